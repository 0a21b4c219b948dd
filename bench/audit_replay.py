"""Replaying the audit chain of a synthetic election and comparing it with the counted tables.

    python -P bench/audit_replay.py --scope 51 --runs 3    # Bali, SQLite (-P: bench/ocr.py is not `ocr`)
    python -P bench/audit_replay.py --scope 51 --backend postgresql --runs 3

Synthesises the scope (`tally election synth`'s code: every TPS of the real regions, voters ≈ 0.72 ×
population), reconciles it (`tally reconcile`'s code: one audit entry per TPS result, as every reading
would write), then applies 1 % corrections through the review service (a PPS types the number, a second PPS
approves: one APPROVAL entry each, carrying the results it set). It then times, median over --runs:
- baseline: `verify_chain(replay=False)`, the plain hash-chain walk (every hash recomputed, heads checked);
- replay: `verify_chain(replay=True)`, the same walk replaying every entry and comparing every TPS result
  and every region total with the tables (what `tally audit verify` runs).
A national run (823,220 TPS) is extrapolated linearly from the scope's entries, and says so.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, select, text

from reconcile.contest import builtin_contest
from reconcile.ids import RegionCode, TpsId, parent
from tally.audit import Actor, verify_chain
from tally.auth.scope import Principal, Role
from tally.db.base import make_engine, migrate, session_factory
from tally.db.results import TpsResultRow
from tally.election.run import reconcile_scope, synth_election
from tally.regions import read_population, read_regions, wilayah_dir
from tally.review.changes import check, decide
from tally.settings import Settings

CONTEST = builtin_contest("ppwp-2024")
NATIONAL_TPS = 823_220  # DOMAIN.md, Pemilu 2024
console = Console(width=110)


def fresh(backend: str, workdir: Path) -> str:
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    else:
        import psycopg

        name = "tally_bench_audit"
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    migrate(url)
    return url


def corrections(engine: Engine, share: float, seed: int) -> int:
    """`share` of the counted TPS get one field corrected by two officers of their kelurahan."""
    with engine.connect() as conn:
        counted = [str(t) for t in conn.scalars(select(TpsResultRow.tps_id).where(TpsResultRow.counted == 1))]
    rng = random.Random(seed)
    picked = rng.sample(counted, max(1, round(len(counted) * share)))
    sessions = session_factory(engine)
    for tps in picked:
        desa = str(parent(TpsId(tps)))
        a = Principal(Role.PPS, desa, "pps.a", "a")
        b = Principal(Role.PPS, desa, "pps.b", "b")
        with sessions() as s, s.begin():
            value = rng.randint(0, 300)
            change = check(s, CONTEST, a, Actor("pps.a", "pps"), tps, "suara_tidak_sah", value)
            if change.state == "pending":
                decide(s, CONTEST, b, Actor("pps.b", "pps"), change.id, approve=True)
    return len(picked)


def timed(engine: Engine, replay: bool) -> tuple[float, int]:
    with session_factory(engine)() as s:
        t = time.perf_counter()
        report = verify_chain(s, replay=replay)
        seconds = time.perf_counter() - t
    assert report.ok, report.problems
    return seconds, report.entries


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scope", action="append", default=None, help="region code (repeatable); default 51")
    ap.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--share", type=float, default=0.01, help="share of counted TPS corrected")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    scopes = [RegionCode(s) for s in args.scope or ["51"]]
    directory = wilayah_dir(Settings())
    regions, population = read_regions(directory), read_population(directory)
    with tempfile.TemporaryDirectory() as tmp:
        url = fresh(args.backend, Path(tmp))
        engine = make_engine(url)
        t = time.perf_counter()
        for scope in scopes:
            synth_election(engine, regions, population, CONTEST, scope, error_share=0.02, seed=11)
            reconcile_scope(engine, regions, CONTEST, scope)
        build = time.perf_counter() - t
        t = time.perf_counter()
        fixed = corrections(engine, args.share, 11)
        fixing = time.perf_counter() - t
        with engine.connect() as conn:
            n_tps = int(conn.scalar(text("SELECT count(*) FROM tps")) or 0)
        console.print(
            f"{args.backend}: {n_tps:,} TPS in {', '.join(scopes)}; synth + reconcile {build:.1f} s, "
            f"{fixed:,} corrections {fixing:.1f} s"
        )
        rows = []
        for name, replay in (("hash chain only (baseline)", False), ("replay + compare tables", True)):
            times = []
            entries = 0
            for _ in range(args.runs):
                seconds, entries = timed(engine, replay)
                times.append(seconds)
            rows.append((name, entries, statistics.median(times)))
        engine.dispose()
    factor = NATIONAL_TPS / n_tps
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    table = Table(
        title=f"tally audit verify, {args.backend}, median of {args.runs} (national: × {factor:.1f})"
    )
    for col in ("check", "entries", "seconds", "entries/s", "national seconds (extrapolated)"):
        table.add_column(col, justify="right" if col != "check" else "left")
    for name, entries, seconds in rows:
        table.add_row(
            name, f"{entries:,}", f"{seconds:.2f}", f"{entries / seconds:,.0f}", f"{seconds * factor:.0f}"
        )
    console.print(table)
    console.print(f"peak RSS of this process {peak:.0f} MB (replay holds one result per TPS)")


if __name__ == "__main__":
    main()
