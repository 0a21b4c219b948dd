"""Tally grids: the "jumlah tiap baris" (row subtotal) cells, read with the digit classifier, summed into an
independent reading of the total. A doubtful tally must never confirm a doubtful number, so the reading is
None ("not legible") unless the grid agrees with itself under the form's own rules:

- the grid's printed frame is found where it is on this photo (the straightened page can sit a few mm off
  the spec): the top and bottom rules and the line between the turus and the subtotal column;
- turus go one group of five per cell (ten when a TPS has more votes than the grid holds in fives), cells
  fill left to right and rows top to bottom: a row after one left short is empty;
- a row's subtotal needs exactly as many occupied cells as it has groups, and the upright strokes of a
  last, partial group are counted against it (strokes blurred together are not counted: not legible);
- every subtotal digit is read with confidence.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from ocr.cells import DigitModel
from ocr.decode import BLANK_CLASS
from ocr.forms.spec import Tally
from ocr.locate import Gray

MIN_DIGIT_P = 0.97  # each subtotal digit must be at least this sure
INK = 0.25  # darkness against the paper around it: pen (a light hand, a blurred photo still whole)
SEARCH_MM = 4.0  # how far the printed frame may sit off the spec
RULE = 0.35  # a printed rule: at least this dark on average along the length looked at
STROKE = 0.5  # a turus stroke fills at least this much of the cell's middle band in one pixel column
STROKE_MM = 1.2  # a pen stroke is narrower than this across
NO_STROKE = 0.2  # below this in every column: the cell is empty; in between, doubtful
PER_CELL = (5, 10)  # marks a cell holds: one group of five, or two where the votes outgrow the grid
INSET_MM = 0.6  # kept clear of a printed line's ink
OVER_MM = 2.5  # a subtotal's last digit often runs over the column's right line


def _darkness(page: Gray, x0: int, y0: int, x1: int, y1: int, px_per_mm: float) -> NDArray[np.float32]:
    """Darkness of page[y0:y1, x0:x1] against the paper right around each pixel (the largest grey within
    ~2.5 mm, smoothed): a shadow or a vignette across the grid does not turn paper into ink."""
    h, w = page.shape
    crop = np.full((y1 - y0, x1 - x0), 255, np.uint8)
    a, b, c, d = max(0, y0), min(h, y1), max(0, x0), min(w, x1)
    if a < b and c < d:
        crop[a - y0 : b - y0, c - x0 : d - x0] = page[a:b, c:d]
    # the paper level on a quarter-size copy (a pen stroke is gone once 4×4 pixels are averaged and the
    # brightest of 3×3 of those taken): sixteen times less work than at full size
    small = cv2.resize(crop, ((x1 - x0) // 4 or 1, (y1 - y0) // 4 or 1), interpolation=cv2.INTER_AREA)
    small = cv2.blur(cv2.dilate(small, np.ones((3, 3), np.uint8)), (3, 3))
    bg = cv2.resize(small, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    return np.clip((bg - crop.astype(np.float32)) / np.maximum(bg, 1.0), 0.0, 1.0)


def _rules(profile: NDArray[np.float32], at: tuple[int, ...], s: int) -> tuple[float, ...] | None:
    """Where the rules spaced as `at` (indices into a darkness profile) sit within `s` px of it, every
    one dark enough to be a printed rule; None if not."""
    shifts = np.arange(-s, s + 1)
    idx = np.clip(np.array(at)[:, None] + shifts[None, :], 0, len(profile) - 1)
    score = profile[idx]
    best = int(shifts[int(score.sum(axis=0).argmax())])
    found = []
    for x in at:  # each rule settled within a pixel or two of the common shift
        a = max(0, x + best - 2)
        win = profile[a : x + best + 3]
        if win.size == 0 or float(win.max()) < RULE:
            return None
        found.append(float(a + int(win.argmax())))
    return tuple(found)


def frame(
    dark: NDArray[np.float32], tally: Tally, px_per_mm: float, origin: tuple[int, int]
) -> tuple[float, float, float] | None:
    """(top, bottom, x of the turus/subtotal line) of the grid in `dark`'s px (whose corner is at page px
    `origin`) as printed on this photo, or None when a rule is not within SEARCH_MM of the spec."""
    r, s = tally.rect, round(SEARCH_MM * px_per_mm)
    ox, oy = origin
    x0 = round(tally.subtotal_x[0] * px_per_mm) - ox
    y0, y1 = round(r.y * px_per_mm) - oy, round((r.y + r.h) * px_per_mm) - oy
    # the vertical line: over the middle of the grid's height, clear of the frame rules
    line = _rules(dark[y0 + (y1 - y0) // 4 : y1 - (y1 - y0) // 4].mean(axis=0), (x0,), s)
    if line is None:
        return None
    # the top and bottom rules: across the last turus cells and the subtotal column (they span both)
    xa, xb = max(0, round(line[0] - 3 * r.w / tally.cols * px_per_mm)), round(line[0] + 3 * px_per_mm)
    rows = _rules(dark[:, xa:xb].mean(axis=1), (y0, y1), s)
    if rows is None:
        return None
    return rows[0], rows[1], line[0]


def _handwriting(ink: NDArray[np.bool_], row_h: float, cell_w: float) -> NDArray[np.bool_]:
    """`ink` without the printed rules: whatever runs straight for longer than a row is high (the column's
    frame and its faint middle line) or most of a cell is wide (the row lines). A digit never does."""
    u8 = ink.astype(np.uint8)
    tall = np.asarray(cv2.morphologyEx(u8, cv2.MORPH_OPEN, np.ones((round(0.95 * row_h), 1), np.uint8)))
    wide = np.asarray(cv2.morphologyEx(u8, cv2.MORPH_OPEN, np.ones((1, round(0.8 * cell_w)), np.uint8)))
    lines = np.asarray(cv2.dilate(np.maximum(tall, wide), np.ones((3, 3), np.uint8)))
    return np.asarray(ink & (lines == 0), dtype=bool)


def _strokes(ink: NDArray[np.bool_], widest: float) -> tuple[int, bool]:
    """Vertical strokes in a cell's middle band (runs of pixel columns mostly inked; -1 when a run is wider
    than `widest` px: strokes blurred together cannot be counted), and whether the cell is clear either
    way (no column in between a stroke's fill and none)."""
    fill = ink.mean(axis=0) if ink.size else np.zeros(1)
    on = np.r_[False, fill >= STROKE, False]
    edges = np.flatnonzero(on[1:] != on[:-1])  # starts and ends, in pairs
    widths = edges[1::2] - edges[::2]
    runs = -1 if widths.size and int(widths.max()) > widest else int(widths.size)
    doubtful = bool(((fill >= NO_STROKE) & (fill < STROKE)).any()) and widths.size == 0
    return runs, not doubtful


def _digit_crops(cell: Gray, ink: NDArray[np.bool_]) -> list[Gray] | None:
    """One padded crop per handwritten digit, left to right; None when the strokes do not split cleanly."""
    h = ink.shape[0]
    joined = cv2.dilate(ink.astype(np.uint8), np.ones((3, 1), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    parts = sorted(
        (i for i in range(1, n) if stats[i][3] > 0.3 * h and stats[i][4] > 8), key=lambda i: int(stats[i][0])
    )
    if len(parts) > 3:
        return None
    crops = []
    for i in parts:
        x, y, w, hh, _ = (int(v) for v in stats[i])
        # the stroke and a pixel around it in its own grey: a pen's faint edge is part of the digit's shape
        mine = cv2.dilate((labels[y : y + hh, x : x + w] == i).astype(np.uint8), np.ones((3, 3), np.uint8))
        side = int(max(w, hh) * 1.4) + 2
        canvas = np.full((side, side), 255, np.uint8)
        ox, oy = (side - w) // 2, (side - hh) // 2
        canvas[oy : oy + hh, ox : ox + w] = np.where(mine > 0, cell[y : y + hh, x : x + w], 255)
        crops.append(canvas)
    return crops


def _subtotal(cell: Gray, ink: NDArray[np.bool_], model: DigitModel) -> int | None:
    crops = _digit_crops(cell, ink)
    if not crops:
        return None
    probs = np.asarray(model.predict(crops))
    best = probs.argmax(axis=1)
    if (probs.max(axis=1) < MIN_DIGIT_P).any() or (best == BLANK_CLASS).any():
        return None
    if len(best) > 1 and best[0] == 0:  # nobody writes a leading zero: a split gone wrong
        return None
    return int("".join(str(int(d)) for d in best))


def read_subtotals(
    page: Gray,
    tally: Tally,
    model: DigitModel,
    px_per_mm: float,
) -> int | None:
    """Σ of the written row subtotals (rows left empty count 0); None unless every row is read with
    confidence and agrees with its turus (see the module's rules)."""
    s = round(SEARCH_MM * px_per_mm)
    ox, oy = round(tally.rect.x * px_per_mm) - s, round(tally.rect.y * px_per_mm) - s
    dark = _darkness(
        page,
        ox,
        oy,
        round(tally.subtotal_x[1] * px_per_mm) + s,
        round((tally.rect.y + tally.rect.h) * px_per_mm) + s,
        px_per_mm,
    )
    found = frame(dark, tally, px_per_mm, (ox, oy))
    if found is None:
        return None
    top, bottom, line = found
    dx = line + ox - tally.subtotal_x[0] * px_per_mm  # the grid as printed here against the spec
    row_h = (bottom - top) / tally.rows
    cell_w = tally.rect.w / tally.cols * px_per_mm
    inset = INSET_MM * px_per_mm
    x1 = line + (tally.subtotal_x[1] - tally.subtotal_x[0]) * px_per_mm
    cx0 = max(0, round(line - 2 * px_per_mm))  # the subtotal column, its rules and a little beyond
    column = np.zeros(dark.shape, bool)
    column[:, cx0:] = _handwriting(dark[:, cx0:] > INK, row_h, cell_w)
    h, w = dark.shape
    total, seen, ended = 0, False, False
    per_cell = set(PER_CELL)
    for row in range(tally.rows):
        ya, yb = top + row * row_h, top + (row + 1) * row_h
        # turus: the middle band of each cell, clear of the faint grid lines
        occupied = []
        strokes = 0
        for col in range(tally.cols):
            ca = tally.rect.x * px_per_mm + dx - ox + col * cell_w
            ink = (
                dark[
                    round(ya + 0.35 * row_h) : round(yb - 0.35 * row_h),
                    round(ca + 0.12 * cell_w) : round(ca + 0.88 * cell_w),
                ]
                > INK
            )
            n, clear = _strokes(np.asarray(ink), STROKE_MM * px_per_mm)
            if not clear:
                return None
            occupied.append(n != 0)
            strokes = n if n else strokes
        cells = sum(occupied)
        if any(occupied[cells:]):  # a gap: cells fill left to right
            return None
        # the subtotal cell
        ys = slice(max(0, round(ya + inset)), min(h, round(yb - inset)))
        xs = slice(max(0, round(line + inset)), min(w, round(x1 + OVER_MM * px_per_mm)))
        ink = column[ys, xs]
        cell = page[ys.start + oy : ys.stop + oy, xs.start + ox : xs.stop + ox]
        if cell.shape != ink.shape:
            return None
        written = bool(ink.mean() >= 0.01)
        if not cells and not written:
            ended = True
            continue
        if ended or not cells or not written:  # a row after an empty one, or turus and subtotal apart
            return None
        value = _subtotal(cell, np.asarray(ink), model)
        if value is None or value < 1:
            return None
        # the subtotal needs exactly `cells` groups; the last group's strokes are counted when partial
        per_cell = {k for k in per_cell if k * (cells - 1) < value <= k * cells}
        if not per_cell:
            return None
        rest = {value - k * (cells - 1) for k in per_cell}  # marks in the last cell
        if len(rest) == 1 and min(rest) < 5 and strokes != min(rest):  # a partial group: its strokes
            return None
        total += value
        seen = True
        last_full = cells == tally.cols and value == max(per_cell) * tally.cols
        if not last_full:
            ended = True  # a row left short: the rows after it are empty
    return total if seen else None
