"""Roll-up, coverage and the one entry point on a small hand-made tree."""

from __future__ import annotations

import dataclasses

from reconcile_sheets import consistent, with_values

from reconcile.contest import builtin_contest
from reconcile.flags import Rule
from reconcile.ids import NASIONAL, RegionCode, TpsId, tps_id
from reconcile.regions import RegionTree
from reconcile.report import reconcile
from reconcile.sheet import Source

PPWP = builtin_contest("ppwp-2024")
ROWS = [
    ("31", "DKI Jakarta"),
    ("31.73", "Kota Jakarta Barat"),
    ("31.73.04", "Kebon Jeruk"),
    ("31.73.04.1007", "Kedoya Utara"),
    ("31.73.04.1008", "Kedoya Selatan"),
    ("32", "Jawa Barat"),
    ("32.77", "Kota Cimahi"),
    ("32.77.01", "Cimahi Selatan"),
    ("32.77.01.1001", "Melong"),
]
TREE = RegionTree.from_rows(ROWS)
A1 = tps_id(RegionCode("31.73.04.1007"), 1)
A2 = tps_id(RegionCode("31.73.04.1007"), 2)
B1 = tps_id(RegionCode("31.73.04.1008"), 1)
C1 = tps_id(RegionCode("32.77.01.1001"), 1)


def test_tree_nests_by_code_and_lists_desa_under_a_region() -> None:
    assert TREE.children(NASIONAL) == ("31", "32")
    assert TREE.children(RegionCode("31.73.04")) == ("31.73.04.1007", "31.73.04.1008")
    assert TREE.desa_under(RegionCode("31")) == ("31.73.04.1007", "31.73.04.1008")
    assert TREE.name(RegionCode("32.77.01.1001")) == "Melong"
    assert len(TREE.desa_under(NASIONAL)) == 3


def test_rollup_sums_counted_tps_and_reports_coverage_pending_and_flags() -> None:
    good_a = consistent(PPWP, tps=A1, votes=(74, 80, 36))
    good_c = consistent(PPWP, tps=C1, votes=(10, 100, 80))
    bad = with_values(consistent(PPWP, tps=B1), suara_paslon_1=748)
    pending = dataclasses.replace(consistent(PPWP, tps=A2), pages=frozenset({1, 2}))
    report = reconcile(TREE, [good_a, good_c, bad, pending], PPWP, expected=[A1, A2, B1, C1])
    nation = report.rollup.totals(NASIONAL)
    assert nation.votes == (84, 180, 116)
    assert (nation.tps_expected, nation.tps_counted, nation.tps_pending, nation.tps_flagged) == (4, 2, 1, 1)
    assert nation.coverage == 0.5
    kec = report.rollup.totals(RegionCode("31.73.04"))
    assert kec.votes == (74, 80, 36) and kec.flags == 2  # PAGES on B1, MISSING_PAGE on A2
    assert {f.rule for f in report.flags_of(B1)} == {Rule.PAGES, Rule.VOTES_ABOVE_DPT}
    assert [t.code for t in report.rollup.children(RegionCode("31.73.04.1007"))] == [A1, A2]
    assert report.rollup.totals(TpsId(A1)).suara_sah == 190


def test_correction_settles_an_upload_conflict_and_counts() -> None:
    first = consistent(PPWP, tps=A1)
    second = dataclasses.replace(with_values(first, suara_paslon_1=748), id="s-2")
    report = reconcile(TREE, [first, second], PPWP)
    assert [f.rule for f in report.flags] == [Rule.UPLOAD_CONFLICT]
    assert "74 dan 748" in report.flags[0].hint
    assert report.rollup.totals(NASIONAL).tps_pending == 1
    fix = dataclasses.replace(first, id="fix", source=Source.CORRECTION, version=3)
    settled = reconcile(TREE, [first, second, fix], PPWP)
    assert settled.flags == () and settled.rollup.totals(NASIONAL).votes == (74, 80, 36)


def test_a_doubtful_read_is_judged_but_never_counted_until_confirmed() -> None:
    """OCR doubt (a field in review) must not reach a total, even when the arithmetic happens to hold."""
    doubtful = dataclasses.replace(consistent(PPWP, tps=A1), doubtful=frozenset({"suara_paslon_1"}))
    report = reconcile(TREE, [doubtful], PPWP, expected=[A1])
    nation = report.rollup.totals(NASIONAL)
    assert (nation.tps_counted, nation.tps_pending, nation.votes) == (0, 1, (0, 0, 0))
    misread = dataclasses.replace(with_values(doubtful, suara_paslon_1=748), id="s-748")
    assert {f.rule for f in reconcile(TREE, [misread], PPWP).flags_of(A1)} >= {Rule.PAGES}  # evidence kept
    confirmed = dataclasses.replace(consistent(PPWP, tps=A1), id="fix", source=Source.CORRECTION, version=2)
    settled = reconcile(TREE, [doubtful, confirmed], PPWP, expected=[A1]).rollup.totals(NASIONAL)
    assert (settled.tps_counted, settled.votes) == (1, (74, 80, 36))


def test_incremental_update_holds_a_doubtful_sheet_back_like_a_full_build() -> None:
    base = consistent(PPWP, tps=A1)
    report = reconcile(TREE, [base], PPWP, expected=[A1])
    report.rollup.update(dataclasses.replace(base, doubtful=frozenset({"suara_sah"})))
    assert report.rollup.totals(NASIONAL).tps_counted == 0
