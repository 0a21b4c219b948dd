"""OMR bubbles (page 2): under each digit box a column of circles 0–9; the officer blackens the one matching
the digit. Read by fill ratio, the bubbles give a second reading of every total that shares nothing with
the handwriting classifier. A column with no clear single filled bubble is "not legible", never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ocr.forms.spec import Bubbles
from ocr.locate import Gray

# Measured on corpus photos at 5 px/mm: an empty bubble (ring and printed digit) reads 0.13–0.22, a
# blackened one 0.5–0.86, a half-hearted fill ~0.45.
FILLED = 0.38  # darkness inside the circle of a blackened bubble
EMPTY = 0.28  # a column whose darkest bubble stays below this has none filled
CLEAR_GAP = 0.15  # a filled bubble must beat the column's next darkest by this much


@dataclass(frozen=True, slots=True)
class Column:
    digit: int | None  # the one filled bubble; None when none is filled
    legible: bool  # False: two filled, or a doubtful fill
    fills: tuple[float, ...]


def fill_ratios(page: Gray, bubbles: Bubbles, column: int, px_per_mm: float, paper: float) -> list[float]:
    r = max(1, round(bubbles.d * 0.32 * px_per_mm))  # inside the ring
    out = []
    for digit in range(10):
        cx, cy = (round(v * px_per_mm) for v in bubbles.centre(column, digit))
        patch = page[cy - r : cy + r + 1, cx - r : cx + r + 1].astype(np.float32)
        if patch.size == 0:
            out.append(0.0)
            continue
        mask = np.zeros(patch.shape, np.uint8)
        cv2.circle(mask, (patch.shape[1] // 2, patch.shape[0] // 2), r, 1, -1)
        dark = np.clip((paper - patch) / max(paper, 1.0), 0.0, 1.0)
        out.append(float(dark[mask > 0].mean()))
    return out


def read_column(fills: list[float]) -> Column:
    order = np.argsort(fills)[::-1]
    top, second = fills[order[0]], fills[order[1]]
    if top < EMPTY:
        return Column(None, True, tuple(fills))
    if top >= FILLED and top - second >= CLEAR_GAP and second < EMPTY:
        return Column(int(order[0]), True, tuple(fills))
    return Column(None, False, tuple(fills))


def read_total(page: Gray, bubbles: Bubbles, px_per_mm: float, paper: float) -> int | None:
    """The number the bubble columns spell (an unfilled leading column counts 0), or None if any column is
    not legible or none is filled at all (unfilled bubbles are no evidence, not a zero)."""
    value, filled = 0, False
    for col in range(len(bubbles.x)):
        c = read_column(fill_ratios(page, bubbles, col, px_per_mm, paper))
        if not c.legible:
            return None
        filled |= c.digit is not None
        value = value * 10 + (c.digit or 0)
    return value if filled else None
