"""The tally grid's own rules, on drawn pages: its printed frame is found where it sits, turus strokes are
counted (and not when blurred together), and a subtotal with no turus beside it is no reading."""

from __future__ import annotations

import cv2
import numpy as np

from ocr.forms.spec import load_spec
from ocr.reader import READ_PX_PER_MM as P
from ocr.tally_marks import _darkness, _strokes, frame, read_subtotals

P2 = load_spec("ppwp-2024", 2)
TALLY = P2.number("suara_paslon_1").tally
assert TALLY is not None


def _grid(dx_mm: float, dy_mm: float) -> np.ndarray:  # type: ignore[type-arg]
    page = np.full((round(P2.size_mm[1] * P), round(P2.size_mm[0] * P)), 235, np.uint8)
    r = TALLY.rect
    x0, x1 = round((r.x + dx_mm) * P), round((TALLY.subtotal_x[1] + dx_mm) * P)
    for y in (r.y, r.y + r.h):
        cv2.line(page, (x0, round((y + dy_mm) * P)), (x1, round((y + dy_mm) * P)), 40, 2)
    xs = round((TALLY.subtotal_x[0] + dx_mm) * P)
    cv2.line(page, (xs, round((r.y + dy_mm) * P)), (xs, round((r.y + r.h + dy_mm) * P)), 40, 2)
    return page


def test_the_frame_is_found_where_it_is_printed() -> None:
    page = _grid(2.0, -3.0)
    s = round(4.0 * P)
    ox, oy = round(TALLY.rect.x * P) - s, round(TALLY.rect.y * P) - s
    dark = _darkness(
        page, ox, oy, round(TALLY.subtotal_x[1] * P) + s, round((TALLY.rect.y + TALLY.rect.h) * P) + s, P
    )
    got = frame(dark, TALLY, P, (ox, oy))
    assert got is not None
    top, bottom, line = (v for v in got)
    assert abs(top + oy - (TALLY.rect.y - 3.0) * P) <= 2
    assert abs(bottom + oy - (TALLY.rect.y + TALLY.rect.h - 3.0) * P) <= 2
    assert abs(line + ox - (TALLY.subtotal_x[0] + 2.0) * P) <= 2


def test_no_frame_no_reading() -> None:
    page = np.full((round(P2.size_mm[1] * P), round(P2.size_mm[0] * P)), 235, np.uint8)
    assert read_subtotals(page, TALLY, _NoModel(), P) is None


def test_strokes_are_counted_and_blurred_ones_are_not() -> None:
    ink = np.zeros((14, 50), bool)
    for x in (5, 15, 25):
        ink[:, x : x + 2] = True
    assert _strokes(ink, 6.0) == (3, True)
    ink[:, 5:27] = True  # three strokes run together: a count would be a guess
    assert _strokes(ink, 6.0)[0] == -1
    assert _strokes(np.zeros((14, 50), bool), 6.0) == (0, True)


class _NoModel:
    def predict(self, crops: list[np.ndarray]) -> np.ndarray:  # type: ignore[type-arg]
        raise AssertionError("nothing should be read off a page with no grid")
