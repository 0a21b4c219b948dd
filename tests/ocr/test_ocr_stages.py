"""Cells, OMR and QR on rendered, filled and photographed pages (real OpenCV, zxing-cpp)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ocr.cells import cut_cell, paper_level, printed_mask
from ocr.forms.render import render_blank
from ocr.forms.spec import load_spec
from ocr.layout import frame_of
from ocr.locate import locate
from ocr.omr import read_total
from ocr.reader import READ_PX_PER_MM, PhotoReader
from support.ocr_fill import fill
from support.ocr_photos import jpeg, photograph

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


@pytest.mark.parametrize("shift_mm", [-1.6, 1.6])
def test_print_a_little_off_the_spec_is_not_a_second_digit_or_stray_ink(shift_mm: float) -> None:
    # Printers and cutting move a form's lines by a millimetre or two: the box's own frame line then sits
    # inside the cell and the table rule beside it sits outside the print mask. Both are print, not ink.
    page = _straight(P1, fill(P1, {"pemilih_dpt_l": 148, "pemilih_dpt_p": 130}))
    dx = round(shift_mm * READ_PX_PER_MM)
    moved = cv2.warpAffine(page, np.float32([[1, 0, dx], [0, 1, 0]]), page.shape[::-1], borderValue=255)
    paper = paper_level(moved)
    printed = printed_mask(render_blank(P1, READ_PX_PER_MM))
    for name in ("pemilih_dpt_l", "pemilih_dpt_p"):
        num = P1.number(name)
        flags = {
            f
            for i, b in enumerate(num.boxes)
            for f in cut_cell(moved, b, READ_PX_PER_MM, paper, i, printed).flags
        }
        assert flags == set(), (name, flags)


def test_a_digit_beside_the_box_is_still_flagged_when_the_print_is_off() -> None:
    page = _straight(P2, fill(P2, {"suara_paslon_1": 74}, beside={"suara_paslon_1": "8"}))
    moved = cv2.warpAffine(page, np.float32([[1, 0, 8], [0, 1, 0]]), page.shape[::-1], borderValue=255)
    printed = printed_mask(render_blank(P2, READ_PX_PER_MM))
    units = cut_cell(
        moved, P2.number("suara_paslon_1").boxes[2], READ_PX_PER_MM, paper_level(moved), 2, printed
    )
    assert "ink_outside" in units.flags
