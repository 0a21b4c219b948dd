"""The per-sheet rules on the 2024 cases of DOMAIN.md and on hand-made sheets."""

from __future__ import annotations

import dataclasses

import pytest
from reconcile_sheets import consistent, with_values

from reconcile.contest import Contest, builtin_contest
from reconcile.flags import Rule, Severity
from reconcile.rules import check_sheet

PPWP = builtin_contest("ppwp-2024")
KWK = builtin_contest("pilkada-kwk-2024")


@pytest.mark.parametrize(("contest", "votes"), [(PPWP, (74, 80, 36)), (KWK, (100, 90))], ids=["ppwp", "kwk"])
def test_consistent_sheet_raises_no_flag(contest: Contest, votes: tuple[int, ...]) -> None:
    assert check_sheet(consistent(contest, votes=votes), contest) == []


def test_74_read_as_748_with_245_dpt_breaks_the_cross_page_sum() -> None:
    sheet = with_values(consistent(PPWP), suara_paslon_1=748)
    flags = check_sheet(sheet, PPWP)
    assert [f.rule for f in flags] == [Rule.PAGES]
    (flag,) = flags
    assert (flag.expected, flag.actual) == (190, 864) and "suara_paslon_1" in flag.fields
    assert "Suara paslon (864) tidak sama dengan suara sah (190)" in flag.hint


def test_855_votes_with_162_ballots_used_is_flagged_naming_both_numbers() -> None:
    # Medan, 2024: the votes page read as 855 while page 1 said 162 ballots were used.
    base = consistent(PPWP, dpt=(100, 100), voted=(80, 80), votes=(60, 70, 32))
    assert base.values["surat_digunakan"] == 162
    sheet = with_values(base, suara_paslon_1=60 + 693, suara_sah=855, suara_total=855)
    flags = check_sheet(sheet, PPWP)
    assert [f.rule for f in flags] == [Rule.VOTES]
    assert (flags[0].expected, flags[0].actual) == (162, 855)
    assert "Jumlah seluruh suara (855) tidak sama dengan surat suara digunakan (162)" in flags[0].hint
    assert all(f.severity is Severity.ERROR for f in flags)


def test_sah_plus_tidak_sah_not_equal_to_pengguna_is_flagged() -> None:
    base = consistent(PPWP)
    sheet = with_values(base, suara_tidak_sah=(base.values["suara_tidak_sah"] or 0) + 5)
    flags = check_sheet(sheet, PPWP)
    assert [f.rule for f in flags] == [Rule.VOTES]
    assert flags[0].fields == ("suara_sah", "suara_tidak_sah", "suara_total")
    assert flags[0].actual == (flags[0].expected or 0) + 5


def test_pending_field_skips_its_checks_instead_of_failing_them() -> None:
    sheet = with_values(consistent(PPWP), suara_sah=None, suara_paslon_2=None)
    assert check_sheet(sheet, PPWP) == []


def test_missing_page_is_one_flag_naming_the_page() -> None:
    sheet = dataclasses.replace(consistent(PPWP), pages=frozenset({1, 3}))
    flags = check_sheet(sheet, PPWP)
    assert [f.rule for f in flags] == [Rule.MISSING_PAGE]
    assert "Halaman 2 dari 3" in flags[0].hint and "suara_paslon_1" in flags[0].fields


def test_dpt_above_capacity_and_received_above_reserve_are_flagged() -> None:
    base = consistent(PPWP)
    flags = check_sheet(with_values(base, pemilih_dpt_l=220, pemilih_dpt_j=345), PPWP)
    assert {f.rule for f in flags} == {Rule.CAPACITY}
    sheet = with_values(base, surat_diterima=300, surat_sisa=(base.values["surat_sisa"] or 0) + 50)
    (flag,) = check_sheet(sheet, PPWP)
    assert flag.rule is Rule.CAPACITY and (flag.expected, flag.actual) == (250, 300)
    assert "2% cadangan (250)" in flag.hint
