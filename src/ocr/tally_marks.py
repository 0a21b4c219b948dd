"""Tally grids: the "jumlah tiap baris" (row subtotal) cells, read with the digit classifier, summed into an
independent reading of the total. Any row that cannot be read with confidence makes the whole tally "not
legible" (None): a doubtful tally must never be allowed to confirm a doubtful number.
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
INK = 0.4


def _digit_crops(cell: Gray, ink: NDArray[np.bool_]) -> list[Gray] | None:
    """One padded crop per handwritten digit, left to right; None when the strokes do not split cleanly."""
    h = ink.shape[0]
    joined = cv2.dilate(ink.astype(np.uint8), np.ones((3, 1), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    parts = sorted((s for s in stats[1:] if s[3] > 0.3 * h and s[4] > 8), key=lambda s: int(s[0]))
    if len(parts) > 3:
        return None
    crops = []
    for x, y, w, hh, _ in parts:
        side = int(max(w, hh) * 1.4) + 2
        canvas = np.full((side, side), 255, np.uint8)
        ox, oy = (side - w) // 2, (side - hh) // 2
        canvas[oy : oy + hh, ox : ox + w] = np.where(
            ink[y : y + hh, x : x + w], cell[y : y + hh, x : x + w], 255
        )
        crops.append(canvas)
    return crops


def read_subtotals(
    page: Gray,
    tally: Tally,
    model: DigitModel,
    px_per_mm: float,
    paper: float,
    printed: NDArray[np.bool_] | None,
) -> int | None:
    """Σ of the written row subtotals; rows left empty count 0; None when any row is doubtful."""
    total, seen = 0, False
    for row in range(tally.rows):
        r = tally.subtotal(row)
        ys = slice(round((r.y + 0.4) * px_per_mm), round((r.y + r.h - 0.4) * px_per_mm))
        xs = slice(round((r.x + 0.4) * px_per_mm), round((r.x + r.w - 0.4) * px_per_mm))
        cell = page[ys, xs]
        ink = (paper - cell.astype(np.float32)) / max(paper, 1.0) > INK
        if printed is not None:
            ink &= ~printed[ys, xs][: ink.shape[0], : ink.shape[1]]
        if ink.mean() < 0.01:
            continue
        crops = _digit_crops(cell, np.asarray(ink))
        if not crops:
            return None
        probs = np.asarray(model.predict(crops))
        best = probs.argmax(axis=1)
        if (probs.max(axis=1) < MIN_DIGIT_P).any() or (best == BLANK_CLASS).any():
            return None
        total += int("".join(str(int(d)) for d in best))
        seen = True
    return total if seen else None
