"""The reader end to end on photographed, filled pages: consistent pages are accepted, every kind of doubt
goes to review, pages decode again together. The digit model is the test stand-in (see ocr_template)."""

from __future__ import annotations

import pytest

from ocr.fields import decode_tps
from ocr.forms.spec import load_spec
from ocr.reader import PhotoReader
from ocr.reading import Reading
from reconcile.contest import builtin_contest
from support.ocr_fill import fill
from support.ocr_photos import jpeg, photograph
from support.ocr_template import TemplateDigits

P2, P3 = load_spec("ppwp-2024", 2), load_spec("ppwp-2024", 3)
PPWP = builtin_contest("ppwp-2024")
VOTES = {"suara_paslon_1": 74, "suara_paslon_2": 120, "suara_paslon_3": 9}
SUMS = {"suara_sah": 203, "suara_tidak_sah": 4, "suara_total": 207}


@pytest.fixture(scope="module")
def reader() -> PhotoReader:
    return PhotoReader(model=TemplateDigits())


def _read(reader: PhotoReader, img, angle: float = 3.0) -> Reading:  # type: ignore[no-untyped-def]
    return reader.read(jpeg(photograph(img, angle, background=70)), tps="3173041007005")


def test_consistent_page_3_upside_down_is_read_and_accepted(reader: PhotoReader) -> None:
    r = _read(reader, fill(P3, SUMS), angle=178)
    assert r.rejected is None and r.page == 3 and r.orientation == 180
    assert {n: (f.value, f.status) for n, f in r.fields.items()} == {
        n: (v, "accepted") for n, v in SUMS.items()
    }


def test_page_2_totals_confirmed_by_bubbles_are_accepted(reader: PhotoReader) -> None:
    r = _read(reader, fill(P2, VOTES))
    assert {n: (f.value, f.status, f.evidence.get("omr")) for n, f in r.fields.items()} == {
        n: (v, "accepted", v) for n, v in VOTES.items()
    }


def test_bubble_that_disagrees_sends_that_total_to_review(reader: PhotoReader) -> None:
    r = _read(reader, fill(P2, VOTES, bubbles={**VOTES, "suara_paslon_1": 24}))
    assert r.fields["suara_paslon_1"].status == "review"
    assert "OMR" in (r.fields["suara_paslon_1"].reason or "")
    assert r.fields["suara_paslon_2"].status == "accepted"


def test_extra_digit_beside_the_units_box_counts_only_what_the_sum_confirms(reader: PhotoReader) -> None:
    # The 74 → 748 case: the reader reads the boxes, flags the ink beside them, and lets the flagged number
    # through only when a check of clean numbers confirms it (203 + 4 = 207, each read surely).
    r = _read(reader, fill(P3, SUMS, beside={"suara_sah": "8"}))
    f = r.fields["suara_sah"]
    assert "ink_outside" in f.digits[2].flags
    assert (f.value, f.status) == (203, "accepted")
    # Ink beside two numbers of the same sum: the sum cannot vouch for either (a row written one box to the
    # right still adds up), so both wait for a person.
    r = _read(reader, fill(P3, SUMS, beside={"suara_sah": "8", "suara_total": "5"}))
    assert {n: r.fields[n].status for n in ("suara_sah", "suara_total")} == {
        "suara_sah": "review",
        "suara_total": "review",
    }
    assert "di luar kotak" in (r.fields["suara_sah"].reason or "")


def test_a_page_3_that_breaks_its_sum_is_not_accepted(reader: PhotoReader) -> None:
    r = _read(reader, fill(P3, {**SUMS, "suara_total": 208}))
    assert all(f.status == "review" for f in r.fields.values())


def test_blank_page_goes_to_review(reader: PhotoReader) -> None:
    r = _read(reader, fill(P3, {}))
    assert r.fields and all(f.status == "review" and f.value is None for f in r.fields.values())


def test_pages_decode_again_together_and_catch_a_cross_page_mismatch(reader: PhotoReader) -> None:
    p2 = _read(reader, fill(P2, VOTES))
    good = decode_tps([p2, _read(reader, fill(P3, SUMS))], PPWP)
    assert all(good[n].status == "accepted" for n in [*VOTES, *SUMS])
    assert good["surat_diterima"].status == "empty"
    off = {**SUMS, "suara_sah": 213, "suara_total": 217}  # V.A ≠ Σ page 2, though page 3 adds up alone
    bad = decode_tps([p2, _read(reader, fill(P3, off))], PPWP)
    assert bad["suara_sah"].status == "review"
    assert not any(bad[n].status == "accepted" and bad[n].value != v for n, v in {**VOTES, **SUMS}.items())


def test_reading_json_round_trip_of_a_real_page(reader: PhotoReader) -> None:
    r = _read(reader, fill(P3, SUMS))
    assert Reading.from_json(r.to_json()) == r
