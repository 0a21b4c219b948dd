"""Filled test pages: the spec's rendered blank page with printed-style digits and blackened bubbles.

Handwriting and the phone camera are the corpus's job; these pages exercise the geometry-bound stages
(cells, OMR, QR) through real OpenCV with known truth.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from ocr.forms.render import render_blank
from ocr.forms.spec import PageSpec, Rect

PPM = 6.0  # px per mm of the filled page before it is photographed
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _digit(draw: ImageDraw.ImageDraw, box: Rect, text: str, dx_mm: float = 0.0) -> None:
    font = ImageFont.truetype(FONT, round(box.h * 0.7 * PPM))
    cx, cy = (box.x + box.w / 2 + dx_mm) * PPM, (box.y + box.h / 2) * PPM
    draw.text((cx, cy), text, fill=20, font=font, anchor="mm")


def fill(
    spec: PageSpec,
    values: dict[str, int],
    *,
    tps: str | None = None,
    bubbles: dict[str, int] | None = None,
    beside: dict[str, str] | None = None,
) -> NDArray[np.uint8]:
    """`values` in the digit boxes (leading boxes crossed with X), bubbles as `bubbles` (default: the same
    values), and `beside` a mark written just right of a field's last box."""
    img = Image.fromarray(render_blank(spec, PPM, tps=tps))
    draw = ImageDraw.Draw(img)
    for num in spec.numbers:
        if num.field not in values:
            continue
        v = values[num.field]
        text = f"{v:3d}".replace(" ", "X")
        for box, ch in zip(num.boxes, text, strict=True):
            _digit(draw, box, ch)
        if beside and num.field in beside:
            _digit(draw, num.boxes[2], beside[num.field], dx_mm=num.boxes[2].w * 0.95)
        b = (values if bubbles is None else bubbles).get(num.field)
        if num.bubbles is not None and b is not None:
            for col, ch in enumerate(f"{b:03d}"):
                x, y = num.bubbles.centre(col, int(ch))
                r = num.bubbles.d / 2 * PPM * 0.85
                draw.ellipse((x * PPM - r, y * PPM - r, x * PPM + r, y * PPM + r), fill=25)
    return np.asarray(img, dtype=np.uint8)
