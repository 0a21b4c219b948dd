"""Cells, OMR and QR on rendered, filled and photographed pages (real OpenCV, zxing-cpp)."""

from __future__ import annotations

import pytest
from ocr_fill import fill
from ocr_photos import jpeg, photograph

from ocr.cells import cut_cell, paper_level, printed_mask
from ocr.forms.render import render_blank
from ocr.forms.spec import load_spec
from ocr.layout import frame_of
from ocr.locate import locate
from ocr.omr import read_total
from ocr.reader import READ_PX_PER_MM, PhotoReader

P2 = load_spec("ppwp-2024", 2)
P1 = load_spec("ppwp-2024", 1)


def _straight(spec, img, angle=4.0):  # type: ignore[no-untyped-def]
    photo = photograph(img, angle, background=90)
    found = locate(photo, {spec.tag.id: frame_of(spec)})
    assert found is not None and found.markers_found == 4
    return found.straighten(photo, READ_PX_PER_MM)


def test_bubbles_give_each_total_independently_of_the_digits() -> None:
    values = {"suara_paslon_1": 74, "suara_paslon_2": 160, "suara_paslon_3": 5}
    page = _straight(P2, fill(P2, values, bubbles={**values, "suara_paslon_2": 106}), angle=183)
    paper = paper_level(page)
    got = {n.field: read_total(page, n.bubbles, READ_PX_PER_MM, paper) for n in P2.numbers if n.bubbles}
    assert got == {"suara_paslon_1": 74, "suara_paslon_2": 106, "suara_paslon_3": 5}


def test_unfilled_bubbles_are_no_reading_not_a_zero() -> None:
    page = _straight(P2, fill(P2, {"suara_paslon_1": 12}, bubbles={}))
    paper = paper_level(page)
    num = P2.number("suara_paslon_1")
    assert num.bubbles is not None
    assert read_total(page, num.bubbles, READ_PX_PER_MM, paper) is None


def test_a_digit_written_beside_the_box_is_flagged() -> None:
    page = _straight(
        P2, fill(P2, {"suara_paslon_1": 74, "suara_paslon_2": 74}, beside={"suara_paslon_1": "8"})
    )
    paper = paper_level(page)
    printed = printed_mask(render_blank(P2, READ_PX_PER_MM))
    units = {n.field: cut_cell(page, n.boxes[2], READ_PX_PER_MM, paper, 2, printed) for n in P2.numbers[:2]}
    assert "ink_outside" in units["suara_paslon_1"].flags
    assert units["suara_paslon_2"].flags == ()


@pytest.fixture(scope="module")
def reader() -> PhotoReader:
    return PhotoReader()


def test_qr_on_our_page_names_the_tps_and_a_mismatch_is_flagged(reader: PhotoReader) -> None:
    photo = jpeg(photograph(fill(P1, {}, tps="3173041007005"), 95))
    same = reader.read(photo, tps="3173041007005")
    assert (same.page, same.qr_tps, same.flags) == (1, "3173041007005", ())
    other = reader.read(photo, tps="3173041007006")
    assert other.qr_tps == "3173041007005"
    assert any("3173041007005" in f for f in other.flags)
