"""Digit boxes: cut each box out of the straightened page, drop its printed frame, hand the crops to the
digit classifier (11 classes: 0–9 and X/blank), and flag what the classifier cannot see: two digits
squeezed into one box, or ink running outside it (a digit written beside the box is the classic source
of an extra trailing digit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from ocr.forms.spec import Rect
from ocr.locate import Gray

FRAME_INSET_MM = 1.0  # the printed frame's line and its blur, cut away from each side
OUTSIDE_MM = 1.6  # width of the strip around a box searched for stray ink
INK_LEVEL = 0.45  # darkness (0 paper … 1 ink) above which a pixel counts as ink


class DigitModel(Protocol):
    """The classifier (`ocr.digits.DigitClassifier`): grey crops → N×11 calibrated probabilities."""

    def predict(self, crops: list[Gray]) -> NDArray[np.float32]: ...


@dataclass(frozen=True, slots=True)
class Cell:
    crop: Gray  # the inside of the box, ink dark on light
    flags: tuple[str, ...]


def _px(r: Rect, px_per_mm: float, inset: float) -> tuple[int, int, int, int]:
    x0 = round((r.x + inset) * px_per_mm)
    y0 = round((r.y + inset) * px_per_mm)
    x1 = round((r.x + r.w - inset) * px_per_mm)
    y1 = round((r.y + r.h - inset) * px_per_mm)
    return x0, y0, x1, y1


def _ink(img: Gray, paper: float) -> NDArray[np.bool_]:
    dark = (paper - img.astype(np.float32)) / max(paper, 1.0)
    return np.asarray(dark > INK_LEVEL)


def cut_cell(page: Gray, box: Rect, px_per_mm: float, paper: float) -> Cell:
    x0, y0, x1, y1 = _px(box, px_per_mm, FRAME_INSET_MM)
    crop = page[max(0, y0) : y1, max(0, x0) : x1]
    flags: list[str] = []
    ink = _ink(crop, paper)
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    tall = [s for s in stats[1:] if s[3] > 0.45 * crop.shape[0]]
    if len(tall) >= 2:
        xs = sorted((int(s[0]), int(s[0] + s[2])) for s in tall)
        if xs[1][0] >= xs[0][1] - 1:  # side by side, not one digit's broken stroke above the other
            flags.append("two_digits")
    # Ink in the strip just outside the printed frame (left/right: a digit beside the box).
    ox0, oy0, ox1, oy1 = _px(box, px_per_mm, -OUTSIDE_MM)
    fx0, fy0, fx1, fy1 = _px(box, px_per_mm, -0.6)  # the frame line itself is printed ink: skip it
    for sx0, sx1 in ((ox0, fx0), (fx1, ox1)):
        strip = page[max(0, fy0) : fy1, max(0, sx0) : max(0, sx1)]
        if strip.size and _ink(strip, paper).mean() > 0.08:
            flags.append("ink_outside")
            break
    return Cell(np.ascontiguousarray(crop), tuple(flags))


def paper_level(page: Gray) -> float:
    """The paper's grey on the straightened page (a high percentile: most of a form is paper)."""
    return float(np.percentile(page[::4, ::4], 90))
