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

FRAME_INSET_MM = 1.0  # the printed frame's line and its blur: the two-digit check looks inside this
CROP_INSET_MM = 0.0  # the classifier gets the box through its frame lines (its preprocessing erases them;
# measured on corpus photos: 93.6 % digit accuracy at 0.0 mm against 92.7 % at 1.0 mm)
GAP_MM = 1.4  # between two boxes of a number: up to the neighbour's frame line
OUTER_MM = 5.0  # left of the hundreds box and right of the units box: where an extra digit lands
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


def printed_mask(blank: Gray) -> NDArray[np.bool_]:
    """Where the blank form itself has print (grown by a few pixels for the warp's slack)."""
    dark = (blank < 160).astype(np.uint8)
    return np.asarray(cv2.dilate(dark, np.ones((7, 7), np.uint8)) > 0)


def cut_cell(
    page: Gray,
    box: Rect,
    px_per_mm: float,
    paper: float,
    position: int = 1,
    printed: NDArray[np.bool_] | None = None,
) -> Cell:
    """The inside of `box`; `position` 0/1/2 = hundreds/tens/units (the outer sides are searched wider);
    `printed` (the blank form's print at the same scale) keeps printed lines from counting as ink."""
    x0, y0, x1, y1 = _px(box, px_per_mm, CROP_INSET_MM)
    crop = page[max(0, y0) : y1, max(0, x0) : x1]
    flags: list[str] = []
    ix0, iy0, ix1, iy1 = _px(box, px_per_mm, FRAME_INSET_MM)
    inner = page[max(0, iy0) : iy1, max(0, ix0) : ix1]
    ink = _ink(inner, paper)
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    tall = [s for s in stats[1:] if s[3] > 0.45 * inner.shape[0]]
    if len(tall) >= 2:
        spans = sorted((int(s[0]), int(s[0] + s[2])) for s in tall)
        if spans[1][0] >= spans[0][1] - 1:  # side by side, not one digit's broken stroke above the other
            flags.append("two_digits")
    # Ink in the strips left and right of the printed frame (the frame line itself is skipped).
    left = OUTER_MM if position == 0 else GAP_MM
    right = OUTER_MM if position == 2 else GAP_MM
    y0, y1 = round((box.y + FRAME_INSET_MM) * px_per_mm), round((box.y + box.h - FRAME_INSET_MM) * px_per_mm)
    strips = (
        (box.x - left, box.x - 0.6),
        (box.x + box.w + 0.6, box.x + box.w + right),
    )
    for sx0, sx1 in strips:
        ys = slice(max(0, y0), y1)
        xs = slice(max(0, round(sx0 * px_per_mm)), max(0, round(sx1 * px_per_mm)))
        strip = _ink(page[ys, xs], paper)
        if printed is not None:
            strip &= ~printed[ys, xs][: strip.shape[0], : strip.shape[1]]
        if strip.size and strip.mean() > 0.04:
            flags.append("ink_outside")
            break
    return Cell(np.ascontiguousarray(crop), tuple(flags))


def paper_level(page: Gray) -> float:
    """The paper's grey on the straightened page (a high percentile: most of a form is paper)."""
    return float(np.percentile(page[::4, ::4], 90))
