"""The quality gate: refuse a photo that cannot be read, and tell the officer what to do.

Every measure is taken on the straightened page at a fixed resolution (so a distant photo is not called
sharp because it is small): sharpness is the variance of the Laplacian, exposure the paper's brightness and
the ink's contrast, glare the share of burnt-out pixels, resolution the digit box's height in the original
photo. A refusal is one short Bahasa Indonesia sentence: what is wrong — what to do.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from ocr.locate import Gray

# Thresholds, calibrated on the corpus (moderate photos pass, `unusable` ones fail): see docs/ocr.md.
MIN_SHARPNESS = 12.0  # steepness of the printed lines (100 = one-pixel edges), see measure()
MIN_PAPER = 70.0  # median grey of the page; darker is underexposed
MIN_CONTRAST = 70.0  # paper minus ink (p50 − p1)
MAX_GLARE = 0.15  # share of the page burnt out (≥ 250) in blobs
MIN_VISIBILITY = 0.18  # contrast of the printed frames around the worst number (0 = washed out)
MIN_BOX_PX = 20.0  # height of a digit box in the photo
QUALITY_PX_PER_MM = 5.0
MIN_PHOTO_SHARPNESS = 8.0  # Laplacian variance of the whole photo (smoothed) when no page is found
MAX_DARK_P99 = 105.0  # brightest 1% of a photo below this: too dark to find anything
PHOTO_CHECK_WIDTH = 1000

REASONS = {
    "not_found": "Formulir tidak dikenali — foto seluruh halaman C.Hasil, keempat tanda sudut terlihat.",
    "not_in_frame": "Halaman tidak utuh di foto — pastikan keempat sudut formulir masuk dalam foto.",
    "blurry": "Foto buram — pegang ponsel lebih stabil dan foto ulang.",
    "dark": "Foto terlalu gelap — foto ulang di tempat yang lebih terang.",
    "low_contrast": "Foto pudar/kurang kontras — hindari bayangan dan foto ulang dengan cahaya merata.",
    "glare": "Ada pantulan cahaya di formulir — ubah sudut ponsel agar tidak silau, lalu foto ulang.",
    "bright": "Foto terlalu terang — matikan lampu kilat/hindari cahaya langsung, lalu foto ulang.",
    "too_small": "Formulir terlalu kecil di foto — dekatkan ponsel sampai halaman memenuhi layar.",
}


@dataclass(frozen=True, slots=True)
class Quality:
    sharpness: float
    paper: float
    contrast: float
    glare: float
    box_px: float
    visibility: float = 1.0  # contrast of the printed box frames where it is worst

    def as_dict(self) -> dict[str, float]:
        return {
            "sharpness": round(self.sharpness, 1),
            "paper": round(self.paper, 1),
            "contrast": round(self.contrast, 1),
            "glare": round(self.glare, 4),
            "box_px": round(self.box_px, 1),
            "visibility": round(self.visibility, 3),
        }

    def problem(self) -> str | None:
        """The key of the first reason to refuse, or None when the photo can be read."""
        if self.box_px < MIN_BOX_PX:
            return "too_small"
        if self.paper < MIN_PAPER:
            return "dark"
        if self.glare > MAX_GLARE:
            return "glare"
        if self.visibility < MIN_VISIBILITY:  # the frames are washed out: a burnt photo or a glare spot
            return "bright" if self.paper >= 250 else "glare"
        if self.contrast < MIN_CONTRAST:
            return "low_contrast"
        if self.sharpness < MIN_SHARPNESS:
            return "blurry"
        return None


def measure(page: Gray, box_px: float, printed: NDArray[np.bool_] | None = None) -> Quality:
    """Measures of a page straightened at QUALITY_PX_PER_MM; `box_px` = a digit box's height in the photo.

    With `printed` (where the blank form has print), sharpness is the steepness of the printed lines' edges
    relative to their contrast: sensor noise cannot pass for sharpness, and an empty form is not "blurry".
    Without it, the variance of the Laplacian."""
    p1, p50 = (float(v) for v in np.percentile(page[::3, ::3], [1, 50]))  # a sample is plenty
    if printed is not None:
        smooth = cv2.GaussianBlur(page, (3, 3), 0).astype(np.float32)
        grad = cv2.magnitude(cv2.Sobel(smooth, cv2.CV_32F, 1, 0), cv2.Sobel(smooth, cv2.CV_32F, 0, 1))
        mask = printed[: grad.shape[0], : grad.shape[1]]
        steep = float(np.percentile(grad[: mask.shape[0], : mask.shape[1]][mask], 90)) if mask.any() else 0.0
        sharp = 100.0 * steep / max(p50 - p1, 1.0) / 4.0  # Sobel gain 4: 100 = a one-pixel edge
    else:
        sharp = float(cv2.Laplacian(page, cv2.CV_32F).var())
    # Glare is a burnt-out blob, not white paper in a bright photo: keep blobs after an opening.
    burnt = cv2.morphologyEx((page >= 250).astype(np.uint8), cv2.MORPH_OPEN, np.ones((9, 9), np.uint8))
    glare = float(burnt.mean()) if p50 < 245 else 0.0
    return Quality(sharp, p50, p50 - p1, glare, box_px)


def box_visibility(page: Gray, regions: list[tuple[int, int, int, int]], printed: NDArray[np.bool_]) -> float:
    """The worst contrast of the printed box frames over the numbers' regions (x0, y0, x1, y1 in page px):
    a glare spot or a burnt-out corner wipes the frames out where it lies, wherever that is on the page."""
    worst = 1.0
    for x0, y0, x1, y1 in regions:
        win = page[y0:y1, x0:x1].astype(np.float32)
        mask = printed[y0:y1, x0:x1][: win.shape[0], : win.shape[1]]
        if win.size == 0 or not mask.any():
            continue
        paper = float(np.percentile(win, 95))
        ink = float(np.percentile(win[mask], 10))
        worst = min(worst, (paper - ink) / max(paper, 1.0))
    return worst


def diagnose_unfound(photo: Gray) -> str:
    """Why no page was found, judged on the whole photo at a fixed width: too dark, blurred, or simply no
    recognisable form (cut off, too far, something else) — the key of the reason to give."""
    h, w = photo.shape
    width = min(PHOTO_CHECK_WIDTH, w)
    small = cv2.resize(photo, (width, max(1, h * width // w)), interpolation=cv2.INTER_AREA)
    if float(np.percentile(small, 99)) < MAX_DARK_P99:
        return "dark"
    smooth = cv2.GaussianBlur(small, (3, 3), 0)  # sensor noise is not detail
    if float(cv2.Laplacian(smooth, cv2.CV_32F).var()) < MIN_PHOTO_SHARPNESS:
        return "blurry"
    return "not_found"
