"""The pure roll-up at national scale, beside naive baselines in the same run.

    python bench/rollup.py                # the whole country, 5 runs
    python bench/rollup.py --scope 32 --runs 7

Synthesises the Pemilu 2024 shape from the real regions and population (`reconcile.synth`, 1% of TPS with a
2024 error kind), then times:
- judging every sheet (`judge_table`, vectorised) against `check_sheet` + `sheet_outliers` in a Python loop
  (timed on a sample and scaled to all TPS, else it would take minutes);
- the full roll-up (`Rollup.build`: TPS → desa → … → nasional with coverage, pending and flag counts) against
  a Python loop over the rows summing into a dict per ancestor;
- an incremental update of one sheet (`Rollup.update`: judge the sheet, add its change to 5 ancestors) against
  recomputing the full roll-up.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from reconcile.contest import builtin_contest
from reconcile.ids import NASIONAL, RegionCode, TpsId, ancestors, region_code
from reconcile.judge import TableVerdict, judge_table
from reconcile.outliers import sheet_outliers
from reconcile.regions import RegionTree
from reconcile.rollup import RegionIndex, Rollup
from reconcile.rules import check_sheet
from reconcile.sheet import TallySheet
from reconcile.synth import synthesize
from reconcile.table import SheetTable

WILAYAH = Path(__file__).resolve().parents[2] / "shared" / "data" / "wilayah"


def timed(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def naive_rollup(table: SheetTable, verdict: TableVerdict) -> dict[str, list[int]]:
    """The obvious Python: walk every TPS row, add its numbers to each ancestor's dict entry."""
    names = (
        *table.contest.paslon_fields,
        "suara_sah",
        "suara_tidak_sah",
        "pemilih_dpt_j",
        "pengguna_total_j",
    )
    cols = [table.position(n) for n in names]
    rows = table.values[:, cols].tolist()
    counted, complete, errors = verdict.counted.tolist(), verdict.complete.tolist(), verdict.errors.tolist()
    totals: dict[str, list[int]] = defaultdict(lambda: [0] * (len(names) + 4))
    for tps, row, c, done, e in zip(table.tps.tolist(), rows, counted, complete, errors, strict=True):
        status = [1, int(c), int(not done), e]
        for code in ancestors(TpsId(f"{tps:013d}")):
            acc = totals[code]
            if c:
                for i, v in enumerate(row):
                    acc[i] += v
            for i, s in enumerate(status, start=len(names)):
                acc[i] += s
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scope", default="", help="region code; empty = the whole country")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--naive-runs", type=int, default=1, help="runs of the (slow) Python-loop roll-up")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    console = Console(width=120)
    contest = builtin_contest("ppwp-2024")
    with (WILAYAH / "wilayah.csv").open(encoding="utf-8") as fh:
        tree = RegionTree.from_rows((r["kode"], r["nama"]) for r in csv.DictReader(fh))
    with (WILAYAH / "penduduk.csv").open(encoding="utf-8") as fh:
        population = {
            RegionCode(r["kode"]): int(r["total"]) for r in csv.DictReader(fh) if r["kode"].count(".") == 1
        }
    scope = region_code(args.scope)

    start = time.perf_counter()
    election = synthesize(tree, population, contest, scope=scope, seed=args.seed, error_share=0.01)
    synth_s = time.perf_counter() - start
    table = election.shown
    n = len(table)
    start = time.perf_counter()
    index = RegionIndex.from_tree(tree)
    index_s = time.perf_counter() - start

    judge_s = timed(lambda: judge_table(table), args.runs)
    sample = random.Random(args.seed).sample(range(n), min(n, 20_000))
    sheets = [table.sheet(i) for i in sample]
    start = time.perf_counter()
    for s in sheets:
        check_sheet(s, contest)
        sheet_outliers(s, contest)
    naive_judge_s = (time.perf_counter() - start) * n / len(sample)

    verdict = judge_table(table)
    build_s = timed(lambda: Rollup.build(index, table, verdict), args.runs)
    full_s = timed(lambda: Rollup.build(index, table, judge_table(table)), args.runs)
    naive_runs = max(1, args.naive_runs)
    naive_s = timed(lambda: naive_rollup(table, verdict), naive_runs)
    naive = naive_rollup(table, verdict)
    rollup = Rollup.build(index, table, verdict)
    nation = rollup.totals(NASIONAL)
    assert list(nation.votes) == naive[NASIONAL][: len(contest.paslon)], "numpy and the Python loop disagree"

    rng = random.Random(args.seed)
    updates: list[TallySheet] = []
    for row in rng.sample(range(n), min(n, args.updates)):
        s = table.sheet(row)
        name = rng.choice(contest.paslon_fields)
        updates.append(
            TallySheet(s.id, s.tps, s.contest, {**s.values, name: (s.values[name] or 0) + 1}, s.pages)
        )
    update_times = []
    for s in updates:
        start = time.perf_counter()
        rollup.update(s)
        update_times.append(time.perf_counter() - start)
    update_s = statistics.median(update_times)

    out = Table(
        title=f"Roll-up, {n:,} TPS ({'nasional' if scope == NASIONAL else scope}); median of {args.runs} runs"
    )
    for col in ("step", "Tally", "naive baseline", "baseline / Tally"):
        out.add_column(col, justify="left" if col == "step" else "right")

    def ms(s: float) -> str:
        return f"{s * 1000:,.1f} ms" if s >= 0.001 else f"{s * 1e6:,.0f} µs"

    out.add_row(f"synthesise {n:,} TPS (once)", ms(synth_s), "", "")
    out.add_row("region index (once per tree)", ms(index_s), "", "")
    out.add_row(
        "judge every sheet", ms(judge_s), f"{ms(naive_judge_s)} ¹", f"{naive_judge_s / judge_s:,.0f}×"
    )
    out.add_row("full roll-up (judged sheets)", ms(build_s), f"{ms(naive_s)} ²", f"{naive_s / build_s:,.0f}×")
    out.add_row(
        "judge + full roll-up",
        ms(full_s),
        ms(naive_judge_s + naive_s),
        f"{(naive_judge_s + naive_s) / full_s:,.0f}×",
    )
    out.add_row(
        "incremental update, one sheet", ms(update_s), f"{ms(full_s)} ³", f"{full_s / update_s:,.0f}×"
    )
    console.print(out)
    console.print(
        f"¹ check_sheet + sheet_outliers in a Python loop, on {len(sample):,} sheets scaled to {n:,}\n"
        f"² Python loop over rows into a dict per ancestor ({naive_runs} runs)\n"
        f"³ recomputing judge + full roll-up; update median over {len(updates):,} sheets"
        f" (p99 {ms(float(np.percentile(update_times, 99)))})\n"
        f"nasional: {nation.tps_counted:,}/{nation.tps_expected:,} TPS counted, {nation.tps_pending:,}"
        f" pending, {nation.flags:,} error flags, {nation.outliers:,} outliers"
    )


if __name__ == "__main__":
    main()
