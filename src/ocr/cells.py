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
RULE_WIDTH_MM = 0.9  # a printed rule in a cell, as seen at 5 px/mm with the phone's blur
RULE_PAD_MM = 1.5  # how far above and below a box the outside-ink check looks for table rules
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
    if printed is not None:  # a frame line the page's small shift brought inside is print, not a digit
        ink &= ~printed[max(0, iy0) : iy1, max(0, ix0) : ix1][: ink.shape[0], : ink.shape[1]]
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    ih = ink.shape[0]
    tall = [s for s in stats[1:] if s[3] > 0.45 * ih and not _printed_rule(s, ih, px_per_mm)]
    if len(tall) >= 2:
        spans = sorted((int(s[0]), int(s[0] + s[2])) for s in tall)
        if spans[1][0] >= spans[0][1] - 1:  # side by side, not one digit's broken stroke above the other
            flags.append("two_digits")
    # Ink in the strips left and right of the printed frame (the frame line itself is skipped).
    left = OUTER_MM if position == 0 else GAP_MM
    right = OUTER_MM if position == 2 else GAP_MM
    strips = [(box.x - left, box.x - 0.6), (box.x + box.w + 0.6, box.x + box.w + right)]
    # Left of a number the strip ends before the next printed rule; the trailing side is never cut short:
    # that is where 74 became 748.
    if printed is not None and position == 0:
        strips[0] = (_open_to(printed, box, box.x - 1.0, box.x - left, px_per_mm), strips[0][1])
    for sx0, sx1 in strips:
        if _stray_ink(page, box, sx0, sx1, px_per_mm, paper, printed) > 0.04:
            flags.append("ink_outside")
            break
    return Cell(np.ascontiguousarray(crop), tuple(flags))


def _printed_rule(stat: NDArray[np.int32], h: int, px_per_mm: float) -> bool:
    """A straight vertical line through the whole cell: a frame or table rule printed a little off the
    spec (printers and paper cutting vary by a millimetre or two), not a second digit. A handwritten
    stroke that tall leans or curves wider than RULE_WIDTH_MM."""
    sw, sh = int(stat[2]), int(stat[3])
    return sw <= RULE_WIDTH_MM * px_per_mm and sh >= 0.85 * h


def _upright_line(mask: NDArray[np.bool_]) -> bool:
    """Ink whose rows are all centred within ±1 px of one x: a printed vertical line. A handwritten stroke
    as tall as a box leans or bends more than that."""
    rows = np.flatnonzero(mask.any(axis=1))
    xs = np.arange(mask.shape[1])
    centres = (mask[rows] * xs).sum(axis=1) / mask[rows].sum(axis=1)
    return bool(np.abs(centres - np.median(centres)).max() <= 1.0 and np.ptp(centres) <= 1.5)


def _open_to(
    printed: NDArray[np.bool_], box: Rect, start_mm: float, end_mm: float, px_per_mm: float
) -> float:
    """How far from `start_mm` toward `end_mm` the paper beside a box is open, in page mm: up to 1 mm short of
    the first printed rule (beyond it is another part of the form, e.g. page 2's row subtotals, whose
    handwriting is not ink outside this box)."""
    ys = slice(
        round((box.y + FRAME_INSET_MM) * px_per_mm), round((box.y + box.h - FRAME_INSET_MM) * px_per_mm)
    )
    step = 1 if end_mm > start_mm else -1
    a, b = round(start_mm * px_per_mm), round(end_mm * px_per_mm)
    for x in range(a, b, step):
        if 0 <= x < printed.shape[1] and printed[ys, x].mean() >= 0.8:
            return x / px_per_mm - step * 1.0
    return end_mm


def _stray_ink(
    page: Gray,
    box: Rect,
    x0_mm: float,
    x1_mm: float,
    px_per_mm: float,
    paper: float,
    printed: NDArray[np.bool_] | None,
) -> float:
    """Share of a strip beside a box covered by handwritten ink. The strip is looked at 1.5 mm taller than
    the box so that a table rule the print mask missed (a slightly shifted page) shows as what it is: a
    line running through the whole row (taller than a box and its 3 mm of margin — no digit is), or across
    the whole strip; those are dropped, a digit is not."""
    pad = RULE_PAD_MM * px_per_mm
    ys = slice(max(0, round(box.y * px_per_mm - pad)), max(0, round((box.y + box.h) * px_per_mm + pad)))
    xs = slice(max(0, round(x0_mm * px_per_mm)), max(0, round(x1_mm * px_per_mm)))
    ink = _ink(page[ys, xs], paper)
    if printed is not None:
        ink &= ~printed[ys, xs][: ink.shape[0], : ink.shape[1]]
    if not ink.size:
        return 0.0
    h, w = ink.shape
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    sw, sh = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    rule = (sh >= 0.9 * h) | ((sw >= 0.9 * w) & (sh <= 1.2 * px_per_mm))  # a table rule or a row line
    rule[0] = True  # the background label
    for k in np.flatnonzero(~rule & (sh >= 0.85 * box.h * px_per_mm)):  # a box frame line, shifted?
        rule[k] = _upright_line(labels == k)
    hand = ~rule[labels]
    inner = slice(round(pad + FRAME_INSET_MM * px_per_mm), round(h - pad - FRAME_INSET_MM * px_per_mm))
    return float(hand[inner].mean()) if hand[inner].size else 0.0


def paper_level(page: Gray) -> float:
    """The paper's grey on the straightened page (a high percentile: most of a form is paper)."""
    return float(np.percentile(page[::4, ::4], 90))
