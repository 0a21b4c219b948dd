"""Properties of the engine, over Hypothesis-built sheets and region trees.

Single-digit misreads, and which are undetectable. Every field of both builtin contests stands on exactly one
side of at least one EQUAL check (`test_every_field_is_tied_by_an_equality` proves it for the shipped data).
So on a sheet with every field read, changing one digit of one field changes that side of that equality by
±1, ±10 or ±100 while the other side stays, and the check breaks: every single-digit change is detected.
What arithmetic cannot see, and is therefore left to the second readings (OMR bubbles, tally rows, a second
upload) or to review:
- the crossed-out leading box "X" read as 0 (the number is unchanged, so nothing is wrong);
- a change to a field whose equality partners are still pending (the check is skipped: the sheet is pending);
- two compensating changes (L +10 and P −10 on one row; paslon A +100 and paslon B −100), which are not
  single-digit changes — the sum rules cannot tell which split is true.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from reconcile.contest import Contest, Relation, builtin_contest
from reconcile.flags import Severity
from reconcile.ids import NASIONAL, Level, TpsId
from reconcile.judge import judge_table
from reconcile.outliers import sheet_outliers
from reconcile.regions import RegionTree
from reconcile.report import reconcile
from reconcile.rollup import RegionIndex, Rollup
from reconcile.rules import check_sheet
from reconcile.sheet import TallySheet
from reconcile.strategies import consistent_sheets, region_trees
from reconcile.table import SheetTable

PPWP = builtin_contest("ppwp-2024")
KWK = builtin_contest("pilkada-kwk-2024")
CONTESTS = [PPWP, KWK, KWK.with_paslon(("Tunggal",)), KWK.with_paslon(tuple(f"P{i}" for i in range(6)))]
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("contest", CONTESTS, ids=lambda c: f"{c.id}-{len(c.paslon)}")
def test_every_field_is_tied_by_an_equality(contest: Contest) -> None:
    for f in contest.fields:
        sides = [
            (c.left.count(f.name), c.right.count(f.name))
            for c in contest.checks
            if c.relation is Relation.EQUAL
        ]
        assert any(sorted(s) == [0, 1] for s in sides), f.name


@pytest.mark.parametrize("contest", CONTESTS, ids=lambda c: f"{c.id}-{len(c.paslon)}")
@FAST
@given(data=st.data())
def test_consistent_sheet_never_raises_a_flag(contest: Contest, data: st.DataObject) -> None:
    sheet = data.draw(consistent_sheets(contest))
    assert check_sheet(sheet, contest) == []


@pytest.mark.parametrize("contest", [PPWP, KWK], ids=lambda c: c.id)
@FAST
@given(data=st.data())
def test_any_single_digit_change_raises_a_flag(contest: Contest, data: st.DataObject) -> None:
    sheet = data.draw(consistent_sheets(contest))
    name = data.draw(st.sampled_from([f.name for f in contest.fields]))
    old = sheet.values[name]
    assert old is not None
    box = data.draw(st.integers(0, 2))  # hundreds, tens, units
    digits = [int(d) for d in f"{old:03d}"]
    digits[box] = data.draw(st.integers(0, 9).filter(lambda d: d != digits[box]))
    new = int("".join(map(str, digits)))
    assume(new != old)  # never fails: a different digit is a different number (X read as 0 is not a change)
    changed = TallySheet(sheet.id, sheet.tps, sheet.contest, {**sheet.values, name: new}, sheet.pages)
    errors = [f for f in check_sheet(changed, contest) if f.severity is Severity.ERROR]
    assert errors and all(name in f.fields for f in errors)


@FAST
@given(data=st.data())
def test_table_judge_counts_the_same_flags_as_the_sheet_rules(data: st.DataObject) -> None:
    sheets = data.draw(st.lists(consistent_sheets(PPWP), min_size=1, max_size=6))
    mangled = []
    for i, s in enumerate(sheets):
        values = dict(s.values)
        for name in data.draw(st.lists(st.sampled_from(list(values)), max_size=3)):
            values[name] = data.draw(st.none() | st.integers(0, 999))
        pages = data.draw(st.frozensets(st.integers(1, 3)))
        mangled.append(TallySheet(s.id, TpsId(f"3173041007{i + 1:03d}"), s.contest, values, pages))
    table = SheetTable.from_sheets(PPWP, mangled)
    verdict = judge_table(table)
    for row, s in enumerate(mangled):
        assert verdict.errors[row] == len(check_sheet(s, PPWP))
        assert verdict.outliers[row] == len(sheet_outliers(s, PPWP))
        assert table.sheet(row).values == s.values


def _sheets_for(tps: list[TpsId], data: st.DataObject) -> list[TallySheet]:
    return [data.draw(consistent_sheets(PPWP, st.just(t))) for t in tps]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(country=region_trees(), data=st.data(), seed=st.integers(0, 2**32))
def test_national_total_is_the_sum_of_the_tps_in_any_order(
    country: tuple[RegionTree, list[TpsId]], data: st.DataObject, seed: int
) -> None:
    tree, tps = country
    sheets = _sheets_for(tps, data)
    random.Random(seed).shuffle(sheets)
    rollup = reconcile(tree, sheets, PPWP).rollup
    nation = rollup.totals(NASIONAL)
    assert nation.votes == tuple(sum(s.values[n] or 0 for s in sheets) for n in PPWP.paslon_fields)
    assert nation.tps_counted == nation.tps_expected == len(tps) and nation.flags == 0
    for lvl in (Level.PROVINSI, Level.KABKOTA, Level.KECAMATAN):
        for code in tree.at_level(lvl):
            kids = rollup.children(code)
            assert rollup.totals(code).votes == tuple(map(sum, zip(*(k.votes for k in kids), strict=True)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(country=region_trees(), data=st.data())
def test_incremental_updates_equal_a_full_recompute(
    country: tuple[RegionTree, list[TpsId]], data: st.DataObject
) -> None:
    tree, tps = country
    index = RegionIndex.from_tree(tree)
    current = {s.tps: s for s in _sheets_for(tps, data)}
    first = SheetTable.from_sheets(PPWP, current.values())
    rollup = Rollup.build(index, first, judge_table(first))
    for _ in range(data.draw(st.integers(1, 8))):
        t = data.draw(st.sampled_from(tps))
        new = data.draw(consistent_sheets(PPWP, st.just(t)))
        values = dict(new.values)
        if data.draw(st.booleans()):
            values[data.draw(st.sampled_from(list(values)))] = data.draw(st.none() | st.integers(0, 999))
        pages = data.draw(st.sampled_from([frozenset({1, 2, 3}), frozenset({1, 3})]))
        current[t] = TallySheet(new.id, t, new.contest, values, pages)
        rollup.update(current[t])
    table = SheetTable.from_sheets(PPWP, current.values())
    full = Rollup.build(index, table, judge_table(table))
    assert np.array_equal(rollup.rows, full.rows)
    for mine, theirs in zip(rollup.levels, full.levels, strict=True):
        assert np.array_equal(mine, theirs)
