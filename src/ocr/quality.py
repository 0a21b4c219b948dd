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

from ocr.locate import Gray

# Thresholds, calibrated on the corpus (moderate photos pass, `unusable` ones fail): see docs/ocr.md.
MIN_SHARPNESS = 60.0  # variance of the Laplacian of the straightened page at QUALITY_PX_PER_MM
MIN_PAPER = 70.0  # median grey of the page; darker is underexposed
MIN_CONTRAST = 70.0  # paper minus ink (p50 − p1)
MAX_GLARE = 0.04  # share of the page burnt out (≥ 250) in blobs
MIN_BOX_PX = 20.0  # height of a digit box in the photo
QUALITY_PX_PER_MM = 5.0
MIN_PHOTO_SHARPNESS = 30.0  # the whole photo at PHOTO_CHECK_WIDTH, when no page could be found
PHOTO_CHECK_WIDTH = 1000

REASONS = {
    "not_found": "Formulir tidak dikenali — foto seluruh halaman C.Hasil, keempat tanda sudut terlihat.",
    "not_in_frame": "Halaman tidak utuh di foto — pastikan keempat sudut formulir masuk dalam foto.",
    "blurry": "Foto buram — pegang ponsel lebih stabil dan foto ulang.",
    "dark": "Foto terlalu gelap — foto ulang di tempat yang lebih terang.",
    "low_contrast": "Foto pudar/kurang kontras — hindari bayangan dan foto ulang dengan cahaya merata.",
    "glare": "Ada pantulan cahaya di formulir — ubah sudut ponsel agar tidak silau, lalu foto ulang.",
    "too_small": "Formulir terlalu kecil di foto — dekatkan ponsel sampai halaman memenuhi layar.",
}


@dataclass(frozen=True, slots=True)
class Quality:
    sharpness: float
    paper: float
    contrast: float
    glare: float
    box_px: float

    def as_dict(self) -> dict[str, float]:
        return {
            "sharpness": round(self.sharpness, 1),
            "paper": round(self.paper, 1),
            "contrast": round(self.contrast, 1),
            "glare": round(self.glare, 4),
            "box_px": round(self.box_px, 1),
        }

    def problem(self) -> str | None:
        """The key of the first reason to refuse, or None when the photo can be read."""
        if self.box_px < MIN_BOX_PX:
            return "too_small"
        if self.paper < MIN_PAPER:
            return "dark"
        if self.glare > MAX_GLARE:
            return "glare"
        if self.contrast < MIN_CONTRAST:
            return "low_contrast"
        if self.sharpness < MIN_SHARPNESS:
            return "blurry"
        return None


def measure(page: Gray, box_px: float) -> Quality:
    """Measures of a page straightened at QUALITY_PX_PER_MM; `box_px` = a digit box's height in the photo."""
    sharp = float(cv2.Laplacian(page, cv2.CV_32F).var())
    p1, p50 = (float(v) for v in np.percentile(page[::3, ::3], [1, 50]))  # a sample is plenty
    # Glare is a burnt-out blob, not white paper in a bright photo: keep blobs after an opening.
    burnt = cv2.morphologyEx((page >= 250).astype(np.uint8), cv2.MORPH_OPEN, np.ones((9, 9), np.uint8))
    glare = float(burnt.mean()) if p50 < 245 else 0.0
    return Quality(sharp, p50, p50 - p1, glare, box_px)


def photo_sharpness(photo: Gray) -> float:
    """Variance of the Laplacian of the whole photo at a fixed width (used when the page is not found)."""
    h, w = photo.shape
    small = cv2.resize(
        photo, (PHOTO_CHECK_WIDTH, max(1, h * PHOTO_CHECK_WIDTH // w)), interpolation=cv2.INTER_AREA
    )
    return float(cv2.Laplacian(small, cv2.CV_32F).var())
