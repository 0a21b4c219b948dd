"""Render a blank C.Hasil page from its spec: a grayscale image at any resolution, plus the TPS QR code.

A page with a `reference` scan (PPWP pages 2 and 3) is KPU's own scan warped onto the spec's frame, so the
printed form is exactly KPU's; every other page is drawn from the spec (frame, markers, tag, header, boxes,
bubbles, grids, its `[[text]]` and `[[rule]]` items) in the same style. Our pages also carry a QR code
naming contest, page and TPS (`spec.qr_payload`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import segno
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from ocr.forms import measure
from ocr.forms.spec import PageSpec, Rect, qr_payload
from ocr.paths import REFERENCE_DIR

Gray = NDArray[np.uint8]
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
PRINT_PX_PER_MM = 300 / 25.4


def font(size_px: float, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "DejaVuSansCondensed-Bold.ttf" if bold else "DejaVuSansCondensed.ttf"
    return ImageFont.truetype(str(FONT_DIR / name), max(6, round(size_px)))


def tag_image(tag_id: int, side_px: int) -> Gray:
    """The 36h10 tag with its black border, upright (its corner 0 at the image's top-left)."""
    d = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_APRILTAG_36h10)
    img: Gray = np.asarray(cv2.aruco.generateImageMarker(d, tag_id, side_px, borderBits=1), dtype=np.uint8)
    return img


def _warp_reference(spec: PageSpec, ppm: float) -> Gray:
    assert spec.reference is not None
    gray = cv2.imread(str(REFERENCE_DIR / spec.reference), cv2.IMREAD_GRAYSCALE)
    if gray is None:
        raise FileNotFoundError(spec.reference)
    src = measure.find_markers(np.asarray(gray, dtype=np.uint8)).astype(np.float32)
    dst = (np.array(spec.markers.centres) * ppm).astype(np.float32)
    size = (round(spec.size_mm[0] * ppm), round(spec.size_mm[1] * ppm))
    page = cv2.warpPerspective(
        gray, cv2.getPerspectiveTransform(src, dst), size, flags=cv2.INTER_CUBIC, borderValue=255
    )
    # paper white: the scan's faint gray background and cut lines outside the frame go
    out: Gray = np.clip((page.astype(np.float32) - 20) * (255 / 215), 0, 255).astype(np.uint8)
    page = out
    m = round(4 * ppm)
    page[:m, :] = 255
    page[-m:, :] = 255
    page[:, :m] = 255
    page[:, -m:] = 255
    _markers(page, spec, ppm)
    return page


def _markers(page: Gray, spec: PageSpec, ppm: float) -> None:
    half = spec.markers.size_mm / 2 * ppm
    for cx, cy in spec.markers.centres:
        x, y = cx * ppm, cy * ppm
        cv2.rectangle(page, (round(x - half), round(y - half)), (round(x) - 1, round(y) - 1), 0, -1)
        cv2.rectangle(page, (round(x), round(y)), (round(x + half) - 1, round(y + half) - 1), 0, -1)


def _tag(page: Gray, spec: PageSpec, ppm: float) -> None:
    side = 400
    img = tag_image(spec.tag.id, side)
    src = np.array([[0, 0], [side, 0], [side, side], [0, side]], dtype=np.float32)
    dst = (np.array(spec.tag.corners) * ppm).astype(np.float32)
    h = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(
        img, h, (page.shape[1], page.shape[0]), flags=cv2.INTER_NEAREST, borderValue=255
    )
    mask = cv2.warpPerspective(
        np.full_like(img, 255), h, (page.shape[1], page.shape[0]), flags=cv2.INTER_NEAREST
    )
    page[mask > 0] = warped[mask > 0]


class _Pen:
    def __init__(self, img: Image.Image, ppm: float) -> None:
        self.d, self.ppm = ImageDraw.Draw(img), ppm

    def rect(self, r: Rect, width: float = 0.4, gray: int = 0) -> None:
        p = self.ppm
        box = (r.x * p, r.y * p, (r.x + r.w) * p, (r.y + r.h) * p)
        if width <= 0:
            self.d.rectangle(box, fill=gray)
        else:
            self.d.rectangle(box, outline=gray, width=max(1, round(width * p)))

    def line(self, x0: float, y0: float, x1: float, y1: float, width: float = 0.3, gray: int = 0) -> None:
        p = self.ppm
        self.d.line((x0 * p, y0 * p, x1 * p, y1 * p), fill=gray, width=max(1, round(width * p)))

    def text(self, x: float, y: float, s: str, size: float, bold: bool = False, anchor: str = "la") -> None:
        self.d.text(
            (x * self.ppm, y * self.ppm), s, fill=0, font=font(size * self.ppm * 1.35, bold), anchor=anchor
        )

    def dots(self, x0: float, y: float, x1: float, step: float = 1.9) -> None:
        r = max(1.0, 0.18 * self.ppm)
        for x in np.arange(x0, x1 + 1e-6, step):
            self.d.ellipse((x * self.ppm - r, y * self.ppm - r, x * self.ppm + r, y * self.ppm + r), fill=60)


def _draw_spec(spec: PageSpec, ppm: float) -> Gray:
    w, h = round(spec.size_mm[0] * ppm), round(spec.size_mm[1] * ppm)
    img = Image.new("L", (w, h), 255)
    pen = _Pen(img, ppm)
    pen.line(16, 6.5, spec.size_mm[0] - 16, 6.5, 0.5, 215)  # the light frame of KPU's pages
    pen.line(6.5, 16, 6.5, spec.size_mm[1] - 16, 0.5, 215)
    pen.line(spec.size_mm[0] - 6.5, 16, spec.size_mm[0] - 6.5, spec.size_mm[1] - 16, 0.5, 215)
    tr = spec.tag.rect
    pen.rect(Rect(tr.x - 1, 12, tr.w + 2, 9.5), 0.35)
    pen.text(tr.x + tr.w / 2, 14.2, "MODEL", 2.0, True, "mt")
    pen.text(tr.x + tr.w / 2, 17.4, spec.form.upper(), 2.0, True, "mt")
    pen.text(tr.x + tr.w / 2, 24.3, f"Halaman {spec.page} dari {spec.pages}", 2.0, True, "mt")
    pen.text(tr.x - 2.5, tr.y + tr.h / 2, str(spec.tag.id), 2.4, False, "rm")
    for line in spec.header:
        pen.text(
            line.x0 - (42 if line.name != "ditetapkan_di" else 34), line.y - 0.3, line.label, 2.3, True, "ls"
        )
        pen.text(line.x0 - 2.5, line.y - 0.3, ":", 2.3, True, "ls")
        pen.dots(line.x0, line.y, line.x1)
    pen.text(27, 52, spec.title, 2.6, True, "ls")
    for rule in spec.rules:
        pen.rect(rule.rect, rule.width, rule.gray)
    for tx in spec.texts:
        pen.text(tx.at[0], tx.at[1], tx.s, tx.size, tx.bold, tx.anchor)
    for n in spec.numbers:
        for b in n.boxes:
            pen.rect(b, 0.7)
        if n.tally:
            t = n.tally
            for c in range(1, t.cols):
                x = t.rect.x + c * t.rect.w / t.cols
                pen.line(x, t.rect.y, x, t.rect.y + t.rect.h, 0.25, 170)
            for r_ in range(1, t.rows):
                y = t.rect.y + r_ * t.rect.h / t.rows
                pen.line(t.rect.x, y, t.subtotal_x[1], y, 0.25, 170)
            pen.rect(Rect(t.rect.x, t.rect.y, t.subtotal_x[1] - t.rect.x, t.rect.h), 0.5)
            pen.line(t.subtotal_x[0], t.rect.y, t.subtotal_x[0], t.rect.y + t.rect.h, 0.5)
        if n.bubbles:
            bb = n.bubbles
            for x in bb.x:
                for digit, y in enumerate(bb.y):
                    r = bb.d / 2 * ppm
                    pen.d.ellipse(
                        (x * ppm - r, y * ppm - r, x * ppm + r, y * ppm + r),
                        outline=0,
                        width=max(1, round(0.2 * ppm)),
                    )
                    pen.text(x, y, str(digit), bb.d * 0.45, False, "mm")
    for d in spec.dates:
        for b in d.boxes:
            pen.rect(b, 0.5)
    page = np.asarray(img, dtype=np.uint8).copy()
    _markers(page, spec, ppm)
    _tag(page, spec, ppm)
    return page


@lru_cache(maxsize=16)
def _blank_cached(spec: PageSpec, ppm: float) -> Gray:
    page = _warp_reference(spec, ppm) if spec.reference else _draw_spec(spec, ppm)
    page.setflags(write=False)
    return page


def draw_qr(page: Gray, spec: PageSpec, ppm: float, tps: str) -> None:
    if spec.qr is None:
        return
    qr = segno.make(qr_payload(spec.contest, spec.page, tps), error="m")
    mat = np.array(qr.matrix, dtype=np.uint8)
    mat = np.pad(mat, 2)  # quiet zone inside the rect
    r = spec.qr
    side = round(r.w * ppm)
    img = cv2.resize(
        np.where(mat > 0, 0, 255).astype(np.uint8), (side, side), interpolation=cv2.INTER_NEAREST
    )
    x, y = round(r.x * ppm), round(r.y * ppm)
    page[y : y + side, x : x + side] = img


def render_blank(spec: PageSpec, px_per_mm: float = PRINT_PX_PER_MM, tps: str | None = None) -> Gray:
    """The printed page (white paper, black print) at `px_per_mm`; with the QR when `tps` is given."""
    page = _blank_cached(spec, round(px_per_mm, 4)).copy()
    if tps is not None:
        draw_qr(page, spec, px_per_mm, tps)
    return page


def mm_to_px(spec_points: NDArray[np.float64], px_per_mm: float) -> NDArray[np.float64]:
    return np.asarray(spec_points, dtype=np.float64) * px_per_mm
