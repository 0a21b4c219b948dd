"""OMR on a straightened page that sits millimetres off the spec (a fold or a wave the page-wide registration
does not follow): the rings are found where they are printed, and a fit that could be a row off says so."""

from __future__ import annotations

import numpy as np

from ocr.cells import paper_level
from ocr.forms.spec import load_spec
from ocr.omr import centres, read_total
from ocr.reader import READ_PX_PER_MM
from support.ocr_fill import PPM, fill

P2 = load_spec("ppwp-2024", 2)
VALUES = {"suara_paslon_1": 74, "suara_paslon_2": 160, "suara_paslon_3": 5}


def _page(dx_mm: float, dy_mm: float, bubbles: dict[str, int] | None = None):  # type: ignore[no-untyped-def]
    """The filled page at READ_PX_PER_MM, its content moved by (dx, dy) mm against the spec."""
    import cv2

    img = fill(P2, VALUES, bubbles=bubbles)
    scale = READ_PX_PER_MM / PPM
    m = np.float32([[scale, 0, dx_mm * READ_PX_PER_MM], [0, scale, dy_mm * READ_PX_PER_MM]])
    size = (round(img.shape[1] * scale), round(img.shape[0] * scale))
    return cv2.warpAffine(img, m, size, flags=cv2.INTER_AREA, borderValue=255)


def _read(page) -> dict[str, int | None]:  # type: ignore[no-untyped-def]
    paper = paper_level(page)
    return {n.field: read_total(page, n.bubbles, READ_PX_PER_MM, paper) for n in P2.numbers if n.bubbles}


def test_bubbles_read_where_they_are_printed_when_the_page_sits_off_the_spec() -> None:
    # 2.5 mm across and 3 mm down: more than a bubble's radius (2.5 mm), half a row (3 mm)
    assert _read(_page(2.5, 3.0)) == VALUES


def test_the_rings_found_follow_the_offset() -> None:
    page = _page(-2.0, 1.5)
    num = P2.number("suara_paslon_2")
    assert num.bubbles is not None
    at = centres(page, num.bubbles, READ_PX_PER_MM)
    assert at is not None
    want = np.array([[(x - 2.0, y + 1.5) for y in num.bubbles.y] for x in num.bubbles.x]) * READ_PX_PER_MM
    assert np.abs(at - want).max() < 0.4 * READ_PX_PER_MM


def test_an_empty_units_column_is_no_number() -> None:
    """What a fit slid by one row would read as (the units bubble under row 9 or above row 0): never a
    number, because the units digit is always written."""
    page = _page(0.0, 0.0)
    num = P2.number("suara_paslon_1")
    assert num.bubbles is not None
    r = round(num.bubbles.d / 2 * READ_PX_PER_MM) + 1
    x, y = (round(v * READ_PX_PER_MM) for v in num.bubbles.centre(2, 4))
    page[y - r : y + r + 1, x - r : x + r + 1] = 255  # the units bubble (4 of 74) rubbed out
    assert _read(page)["suara_paslon_1"] is None


def test_a_block_with_no_rings_is_not_read() -> None:
    page = _page(0.0, 0.0)
    num = P2.number("suara_paslon_3")
    assert num.bubbles is not None
    x0, x1 = (round(v * READ_PX_PER_MM) for v in (num.bubbles.x[0] - 12, num.bubbles.x[-1] + 12))
    y0, y1 = (round(v * READ_PX_PER_MM) for v in (num.bubbles.y[0] - 12, num.bubbles.y[-1] + 12))
    page[y0:y1, x0:x1] = 240  # blank paper where the block should be
    assert centres(page, num.bubbles, READ_PX_PER_MM) is None
    assert _read(page)["suara_paslon_3"] is None


def test_every_block_is_found_to_a_fraction_of_a_millimetre_at_any_small_offset() -> None:
    """The rings are searched on the halved crop and placed to a fraction of a pixel: the centres land
    within 0.4 mm (2 px) of the print for every paslon, offset or not."""
    for dx, dy in ((0.0, 0.0), (0.3, -0.7), (-4.0, 2.0), (5.5, -5.0)):
        page = _page(dx, dy)
        for num in P2.numbers:
            assert num.bubbles is not None
            at = centres(page, num.bubbles, READ_PX_PER_MM)
            assert at is not None, (dx, dy, num.field)
            want = np.array([[(x + dx, y + dy) for y in num.bubbles.y] for x in num.bubbles.x])
            assert np.abs(at - want * READ_PX_PER_MM).max() < 0.4 * READ_PX_PER_MM, (dx, dy, num.field)
        assert _read(page) == VALUES, (dx, dy)


def test_the_paper_grey_off_the_histogram_is_the_90th_percentile() -> None:
    from ocr.omr import _paper

    rng = np.random.default_rng(7)
    img = np.clip(rng.normal(200, 30, (120, 90)), 0, 255).astype(np.uint8)
    assert abs(_paper(img) - float(np.percentile(img, 90))) <= 1.0
    assert _paper(np.zeros((0, 0), np.uint8)) == 255.0
