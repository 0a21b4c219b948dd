"""The seam between storage and the pure engine: synthesis and judgement of one scope.

`synth_tables` is `reconcile.synth.synth_chunks` (one kab/kota at a time); `judge` is
`reconcile.report.reconcile` (consensus per TPS, rules, outliers, roll-up). Storage only writes their values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from reconcile.contest import Contest
from reconcile.flags import Flag
from reconcile.ids import RegionCode, TpsId
from reconcile.regions import RegionTree
from reconcile.report import Report, reconcile
from reconcile.sheet import TallySheet
from reconcile.synth import synth_chunks
from tally.election.store import Tps
from tally.regions import Region


@dataclass(frozen=True, slots=True)
class Verdict:
    current: list[TallySheet]  # the settled sheet of each TPS (`reconcile.compare.consensus`)
    counted: set[TpsId]  # TPS in the totals: complete and without an error flag
    flags: list[Flag]  # upload conflicts, rule breaks and outliers
    report: Report


def synth_tables(
    regions: Sequence[Region],
    population: Mapping[RegionCode, int],
    contest: Contest,
    scope: RegionCode,
    *,
    error_share: float,
    seed: int,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[tuple[RegionCode, list[Tps], list[TallySheet]]]:
    """Per kab/kota in `scope`: its TPS (with DPT) and the sheets as phones read them (errors injected)."""
    tree = RegionTree.from_rows((r.code, r.name) for r in regions)
    chunks = synth_chunks(
        tree, population, contest, scope=scope, seed=seed, error_share=error_share, progress=progress
    )
    for chunk in chunks:
        shown = chunk.shown
        dpt = chunk.truth.column("pemilih_dpt_j").tolist()
        tps = [Tps(TpsId(f"{int(t):013d}"), int(d)) for t, d in zip(shown.tps.tolist(), dpt, strict=True)]
        yield chunk.kabkota, tps, list(shown.sheets())


def judge(
    contest: Contest, tree: RegionTree, sheets: Iterable[TallySheet], expected: Iterable[TpsId] = ()
) -> Verdict:
    """Settle, check and roll up with `reconcile.report.reconcile`; keep what storage needs."""
    report = reconcile(tree, sheets, contest, expected=expected)
    current = [report.current[t] for t in sorted(report.current)]
    counted = {s.tps for s in current if report.rollup.totals(s.tps).tps_counted}
    return Verdict(current, counted, list(report.flags), report)
