"""The synthetic election on the real regions: consistent truth, every injected 2024 error caught."""

from __future__ import annotations

import numpy as np

from reconcile.contest import builtin_contest
from reconcile.flags import Rule
from reconcile.ids import Level, RegionCode
from reconcile.inject import ErrorKind
from reconcile.judge import judge_table, table_flags
from reconcile.regions import RegionTree
from reconcile.synth import DEFAULT_SCOPE, synth_chunks, synthesize

PPWP = builtin_contest("ppwp-2024")
KWK = builtin_contest("pilkada-kwk-2024")


def test_full_tree_builds_fast_and_nests_every_desa(country: RegionTree) -> None:
    assert [len(country.at_level(lvl)) for lvl in Level if lvl < Level.TPS] == [1, 38, 514, 7285, 83762]
    assert len(country.desa_under(RegionCode("31.73"))) == 56
    assert country.name(RegionCode("32.77")) == "Kota Cimahi"


def test_default_scope_is_consistent_and_sized_from_population(
    country: RegionTree, population: dict[RegionCode, int]
) -> None:
    election = synthesize(country, population, PPWP, seed=3, error_share=0.0)
    truth = election.truth
    assert len(truth) > 500 and election.injected == ()
    dpt = truth.column("pemilih_dpt_j")
    assert dpt.max() <= 300 and abs(int(dpt.sum()) - 0.72 * population[DEFAULT_SCOPE]) < 1
    verdict = judge_table(truth)
    assert int(verdict.errors.sum()) == 0 and bool(verdict.counted.all())


def test_every_injected_error_is_flagged_and_only_those_tps(
    country: RegionTree, population: dict[RegionCode, int]
) -> None:
    election = synthesize(country, population, PPWP, seed=7, error_share=0.2)
    shown = election.shown
    assert {i.kind for i in election.injected} == set(ErrorKind)
    verdict = judge_table(shown)
    flagged = set(shown.tps[verdict.errors > 0].tolist())
    assert flagged == {int(i.tps) for i in election.injected}
    flags = table_flags(shown, verdict)
    for i in election.injected:
        rules = {f.rule for f in flags if f.region == i.tps}
        if i.kind is ErrorKind.MISSING_PAGE:
            assert Rule.MISSING_PAGE in rules
        else:
            assert i.field is not None and i.true is not None and i.shown is not None
            assert shown.sheet(int(np.searchsorted(shown.tps, int(i.tps)))).values[i.field] == i.shown
            assert any(i.field in f.fields for f in flags if f.region == i.tps)
        if i.kind is ErrorKind.TRAILING_DIGIT:
            assert i.shown // 10 == i.true  # type: ignore[operator]
        if i.kind is ErrorKind.X_AS_DIGIT:
            assert i.shown % 100 == i.true and i.shown // 100 in (1, 7, 4)  # type: ignore[operator]


def test_a_kecamatan_is_the_same_slice_as_in_its_kabkota(
    country: RegionTree, population: dict[RegionCode, int]
) -> None:
    kab = synthesize(country, population, KWK, scope=RegionCode("32.77"), seed=5)
    kec = synthesize(country, population, KWK, scope=RegionCode("32.77.01"), seed=5)
    inside = kab.truth.tps // 10**7 == 327701  # 13-digit TPS id → 6-digit kecamatan
    assert np.array_equal(kab.truth.tps[inside], kec.truth.tps)
    assert np.array_equal(kab.truth.values[inside], kec.truth.values)


def test_chunks_report_progress_per_kabkota(country: RegionTree, population: dict[RegionCode, int]) -> None:
    seen: list[tuple[int, int]] = []
    chunks = list(
        synth_chunks(
            country, population, PPWP, scope=RegionCode("75"), progress=lambda d, t: seen.append((d, t))
        )
    )
    assert [c.kabkota for c in chunks] == list(country.children(RegionCode("75")))
    assert seen[-1][0] == seen[-1][1] == sum(len(c.truth) for c in chunks)
