"""Recap query for one kab/kota at national scale, on SQLite and PostgreSQL, beside naive baselines.

    python bench/rollup_db.py --tps 820000 --runs 20 --scope 32.04

Builds the Pemilu 2024 shape from the real regions and population (voters ≈ 0.72 × population per kab/kota,
spread over its desa, TPS = ceil(voters / 300), scaled to --tps), bulk-loads it (COPY on PostgreSQL) into
fresh databases, then times `tally.election.recap.recap` (index range scans) against:
- the same totals with the range replaced by `substr(tps_id, 1, n) = code` (no index: a full scan),
- a walk up the tree (`tps_vote ⋈ tps ⋈ desa ⋈ kecamatan` filtered on the kecamatan's parent),
- a Python loop over every fetched vote row.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from rich.console import Console
from rich.table import Table
from sqlalchemy import Connection, Engine, text

from reconcile.contest import builtin_contest
from reconcile.ids import Level, RegionCode, undotted
from tally.db.base import make_engine, migrate
from tally.db.bulk import insert_rows
from tally.db.regions import TpsRow
from tally.db.results import TpsResultRow, TpsVoteRow
from tally.db.sheets import SheetRow
from tally.election.recap import recap
from tally.election.scope import key_range
from tally.election.store import _table, save_contest
from tally.regions import load_regions, read_population, read_regions, wilayah_dir
from tally.settings import Settings

CONTEST = builtin_contest("ppwp-2024")
console = Console(width=110)


def national_tps(target: int) -> list[tuple[str, str, int, int]]:
    """(tps id, desa, number, dpt) for the whole country, scaled so the count is about `target`."""
    directory = wilayah_dir(Settings())
    regions = read_regions(directory)
    population = read_population(directory)
    desa_of: dict[str, list[str]] = defaultdict(list)
    for r in regions:
        if r.level is Level.DESA:
            desa_of[r.code[:5]].append(r.code)
    natural = sum(
        math.ceil(0.72 * population.get(RegionCode(k), 0) / len(ds) / 300) * len(ds)
        for k, ds in desa_of.items()
    )
    scale = target / natural
    out: list[tuple[str, str, int, int]] = []
    for kab, desas in sorted(desa_of.items()):
        voters = 0.72 * population.get(RegionCode(kab), 0) * scale / len(desas)
        n_tps = max(1, math.ceil(voters / 300))
        dpt = max(1, min(300, round(voters / n_tps)))
        for desa in desas:
            for number in range(1, n_tps + 1):
                out.append((undotted(RegionCode(desa)) + f"{number:03d}", desa, number, dpt))
    return out


def load(engine: Engine, tps: list[tuple[str, str, int, int]], seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    timings: dict[str, float] = {}
    with engine.begin() as conn:
        t = time.perf_counter()
        load_regions(conn, read_regions(wilayah_dir(Settings())))
        save_contest(conn, CONTEST)
        timings["regions"] = time.perf_counter() - t
        t = time.perf_counter()
        insert_rows(conn, _table(TpsRow), ("id", "desa", "number", "dpt"), tps)
        at = datetime.now(UTC)
        sheets = ((f"s{i}", i, CONTEST.id, "synth", 1, "1,2,3", at) for i, *_ in tps)
        cols = ("id", "tps_id", "contest_id", "source", "version", "pages", "created_at")
        insert_rows(conn, _table(SheetRow), cols, sheets)
        results, votes = _results(tps, rng)
        cols = ("contest_id", "tps_id", "sheet_id", "counted", "flags", "dpt", "pengguna", "suara_sah")
        insert_rows(conn, _table(TpsResultRow), (*cols, "suara_tidak_sah", "suara_total"), results)
        insert_rows(conn, _table(TpsVoteRow), ("contest_id", "tps_id", "paslon", "votes"), votes)
        timings["tps+sheets+results"] = time.perf_counter() - t
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    return timings


def _results(
    tps: list[tuple[str, str, int, int]], rng: random.Random
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    results: list[tuple[object, ...]] = []
    votes: list[tuple[object, ...]] = []
    for tid, _desa, _n, dpt in tps:
        counted = int(rng.random() > 0.03)  # ~3 % still pending
        used = int(dpt * rng.uniform(0.7, 0.9))
        invalid = rng.randint(0, max(1, used // 50))
        a, b = sorted((rng.randint(0, used - invalid), rng.randint(0, used - invalid)))
        split = (a, b - a, used - invalid - b)
        results.append((CONTEST.id, tid, f"s{tid}", counted, 0, dpt, used, used - invalid, invalid, used))
        if counted:
            votes.extend((CONTEST.id, tid, i, v) for i, v in enumerate(split, start=1))
    return results, votes


def _unindexed(conn: Connection, code: RegionCode) -> object:
    key = undotted(code)
    sql = (
        "SELECT paslon, SUM(votes) FROM tps_vote WHERE contest_id = :c AND substr(tps_id, 1, :n) = :k "
        "GROUP BY paslon"
    )
    out = conn.execute(text(sql), {"c": CONTEST.id, "n": len(key), "k": key}).all()
    conn.execute(
        text(
            "SELECT SUM(counted), SUM(suara_sah) FROM tps_result "
            "WHERE contest_id = :c AND substr(tps_id, 1, :n) = :k"
        ),
        {"c": CONTEST.id, "n": len(key), "k": key},
    ).all()
    return out


def _range_totals(conn: Connection, code: RegionCode) -> object:
    low, high = key_range(code)
    sql = (
        "SELECT paslon, SUM(votes) FROM tps_vote WHERE contest_id = :c AND tps_id >= :lo AND tps_id < :hi "
        "GROUP BY paslon"
    )
    return conn.execute(text(sql), {"c": CONTEST.id, "lo": low, "hi": high}).all()


def _tree_join(conn: Connection, code: RegionCode) -> object:
    sql = (
        "SELECT v.paslon, SUM(v.votes) FROM tps_vote v JOIN tps t ON t.id = v.tps_id "
        "JOIN region d ON d.code = t.desa JOIN region k ON k.code = d.parent "
        "WHERE v.contest_id = :c AND k.parent = :code GROUP BY v.paslon"
    )
    return conn.execute(text(sql), {"c": CONTEST.id, "code": code}).all()


def _python_loop(conn: Connection, code: RegionCode) -> object:
    key = undotted(code)
    totals = [0, 0, 0]
    rows = conn.execute(
        text("SELECT tps_id, paslon, votes FROM tps_vote WHERE contest_id = :c"), {"c": CONTEST.id}
    )
    for tid, paslon, v in rows:
        if tid.startswith(key):
            totals[paslon - 1] += v or 0
    return totals


def timed(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm the cache: we measure the query, not the first disk read
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples) * 1000


def backends(which: list[str], pg_server: str) -> Iterator[tuple[str, str]]:
    for name in which:
        if name == "sqlite":
            path = "/tmp/tally-bench.sqlite3"
            for suffix in ("", "-wal", "-shm"):
                Path(path + suffix).unlink(missing_ok=True)
            yield name, f"sqlite:///{path}"
        else:
            with psycopg.connect(pg_server, autocommit=True) as admin:
                admin.execute("DROP DATABASE IF EXISTS tally_bench WITH (FORCE)")
                admin.execute("CREATE DATABASE tally_bench")
            yield name, "postgresql+psycopg://postgres@127.0.0.1:5432/tally_bench"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tps", type=int, default=820_000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--scope", default="32.04", help="kab/kota to recap (default Kabupaten Bandung)")
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--pg-server", default="host=127.0.0.1 port=5432 user=postgres dbname=postgres")
    ap.add_argument("--keep", action="store_true", help="keep the PostgreSQL bench database afterwards")
    args = ap.parse_args()
    code = RegionCode(args.scope)
    t = time.perf_counter()
    tps = national_tps(args.tps)
    in_scope = sum(1 for row in tps if row[0].startswith(undotted(code)))
    console.print(f"{len(tps):,} TPS generated in {time.perf_counter() - t:.1f} s; {in_scope:,} in {code}")
    table = Table(title=f"recap {code}, median of {args.runs} runs, {len(tps):,} TPS")
    for col in ("backend", "query", "median ms", "× range scan"):
        table.add_column(col, justify="right" if col != "query" else "left")
    for name, url in backends(args.backends.split(","), args.pg_server):
        migrate(url)
        engine = make_engine(url)
        timings = load(engine, tps, seed=1)
        console.print(f"{name}: load " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
        with engine.connect() as conn:
            got = recap(conn, CONTEST, code)
            assert list(got.total.votes) == [int(x) for x in _python_loop(conn, code)]  # type: ignore[attr-defined]
            cases: list[tuple[str, Callable[[], object]]] = [
                ("votes per paslon: key range scan", lambda: _range_totals(conn, code)),
                ("full recap() (5 range scans + children)", lambda: recap(conn, CONTEST, code)),
                ("nasional recap (all TPS, for scale)", lambda: recap(conn, CONTEST, RegionCode(""))),
                ("baseline: substr() filter, no index", lambda: _unindexed(conn, code)),
                ("baseline: join up the region tree", lambda: _tree_join(conn, code)),
                ("baseline: Python loop over all rows", lambda: _python_loop(conn, code)),
            ]
            base = None
            for label, fn in cases:
                ms = timed(fn, args.runs if "Python" not in label else max(3, args.runs // 4))
                base = ms if label.startswith("votes") else base
                table.add_row(name, label, f"{ms:,.2f}", f"{ms / (base or ms):,.1f}")
        engine.dispose()
        if name == "postgresql" and not args.keep:
            with psycopg.connect(args.pg_server, autocommit=True) as admin:
                admin.execute("DROP DATABASE IF EXISTS tally_bench WITH (FORCE)")
    console.print(table)


if __name__ == "__main__":
    main()
