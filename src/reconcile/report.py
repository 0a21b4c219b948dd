"""The one pure entry point: regions + uploads + contest → a `Report` of flags and roll-up.

`reconcile` takes sheets as uploaded (several per TPS allowed), settles each TPS with `compare.consensus`,
judges the settled sheets and rolls them up. `reconcile_table` is the same over a `SheetTable` (one settled
sheet per TPS, national scale).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from reconcile.compare import consensus
from reconcile.contest import Contest
from reconcile.flags import Flag
from reconcile.ids import TpsId
from reconcile.judge import judge_table, table_flags
from reconcile.regions import RegionTree
from reconcile.rollup import RegionIndex, Rollup
from reconcile.sheet import TallySheet
from reconcile.table import Int64s, SheetTable


@dataclass(frozen=True, slots=True, eq=False)
class Report:
    flags: tuple[Flag, ...]  # upload conflicts, rule breaks and outliers, in TPS order
    rollup: Rollup
    current: Mapping[TpsId, TallySheet]  # the settled sheet of each TPS (empty from `reconcile_table`)

    def flags_of(self, tps: TpsId) -> tuple[Flag, ...]:
        return tuple(f for f in self.flags if f.region == tps)


def reconcile(
    tree: RegionTree,
    sheets: Iterable[TallySheet],
    contest: Contest,
    *,
    expected: Iterable[TpsId] = (),
    index: RegionIndex | None = None,
) -> Report:
    """Settle, judge and roll up; `expected` names TPS with no upload yet (they lower coverage)."""
    by_tps: dict[TpsId, list[TallySheet]] = defaultdict(list)
    for s in sheets:
        if s.contest == contest.id:
            by_tps[s.tps].append(s)
    settled = {tps: consensus(ups, contest) for tps, ups in sorted(by_tps.items())}
    current = {tps: c.sheet for tps, c in settled.items()}
    table = SheetTable.from_sheets(contest, current.values())
    verdict = judge_table(table)
    judged: dict[TpsId | str, list[Flag]] = defaultdict(list)
    for f in table_flags(table, verdict):
        judged[f.region].append(f)
    flags: list[Flag] = []
    for tps, c in settled.items():
        flags += c.flags
        flags += judged.get(tps, [])
    wanted: Int64s = np.array(sorted(int(t) for t in expected), np.int64)
    rollup = Rollup.build(
        index or RegionIndex.from_tree(tree), table, verdict, wanted if len(wanted) else None
    )
    return Report(tuple(flags), rollup, current)


def reconcile_table(
    tree: RegionTree, table: SheetTable, *, expected: Int64s | None = None, index: RegionIndex | None = None
) -> Report:
    verdict = judge_table(table)
    rollup = Rollup.build(index or RegionIndex.from_tree(tree), table, verdict, expected)
    return Report(tuple(table_flags(table, verdict)), rollup, {})
