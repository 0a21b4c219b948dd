"""A hint says which digit to look at: the one that makes the number too big, not always the hundreds."""

from __future__ import annotations

import pytest
from reconcile_sheets import consistent, with_values

from reconcile.contest import builtin_contest
from reconcile.flags import Rule
from reconcile.rules import check_sheet, digit_hint

PPWP = builtin_contest("ppwp-2024")


@pytest.mark.parametrize(
    ("written", "bound", "said"),
    [
        (285, 255, "periksa digit puluhan"),
        (355, 255, "periksa digit ratusan"),
        (257, 255, "periksa digit satuan"),
        (2550, 255, "2.550 punya digit lebih banyak daripada 255: periksa digit tambahan"),
        (1255, 1250, "periksa digit satuan"),
    ],
)
def test_digit_hint_names_the_highest_digit_that_differs(written: int, bound: int, said: str) -> None:
    assert digit_hint(written, bound) == said


def test_a_tens_slip_over_the_dpt_asks_for_the_tens_digit_not_the_hundreds() -> None:
    base = consistent(PPWP, dpt=(128, 127), voted=(100, 100))
    assert base.values["pemilih_dpt_j"] == 255
    sheet = with_values(base, pengguna_dpt_j=285)  # 255 voters; 285 read: the tens digit slipped
    flag = next(f for f in check_sheet(sheet, PPWP) if f.rule is Rule.VOTER_LIST and f.expected == 255)
    assert flag.hint == (
        "Pengguna DPT (285) melebihi DPT (255); periksa digit puluhan. "
        "Pengguna hak pilih DPT tidak mungkin lebih dari pemilih DPT yang terdaftar."
    )


def test_hints_write_numbers_with_indonesian_grouping() -> None:
    sheet = with_values(consistent(PPWP), suara_paslon_1=1000)
    (flag,) = [f for f in check_sheet(sheet, PPWP) if f.rule is Rule.PAGES]
    assert flag.hint.startswith("Suara paslon (1.116) tidak sama dengan suara sah (190), selisih 926.")
