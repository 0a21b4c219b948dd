"""Recap queries at national scale, on SQLite and PostgreSQL, beside the range-scan and naive baselines.

    python bench/rollup_db.py --tps 820000 --runs 20 --scope 32.04
    python bench/rollup_db.py --backends postgresql --reuse tally_bench_recap   # bench/recap.py's database

Builds the Pemilu 2024 shape from the real regions and population (voters ≈ 0.72 × population per kab/kota,
spread over its desa, TPS = ceil(voters / 300), scaled to --tps), bulk-loads it (COPY on PostgreSQL) into
fresh databases, rebuilds the region totals (one GROUP BY per level), then times, for the nation, the scope's
provinsi and the scope (a kab/kota), median and p95:
- `tally.election.recap.recap`: the region's and its children's rows of `region_total` / `region_vote`,
- `recap_scan`: the same recap summed from every TPS row in the key range (the previous implementation),
- a Python loop over every fetched vote row;
plus one TPS correction (`write_results` on its desa, moving its ancestors' totals) and, for the kab/kota,
the `substr()` filter without index and a walk up the tree (`tps_vote ⋈ tps ⋈ desa ⋈ kecamatan`).
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
from functools import partial
from pathlib import Path

import psycopg
from rich.console import Console
from rich.table import Table
from sqlalchemy import Connection, Engine, text

from reconcile.contest import builtin_contest
from reconcile.ids import Level, RegionCode, SheetId, TpsId, key_range, parent, undotted
from reconcile.sheet import TallySheet
from tally.db.base import make_engine, migrate
from tally.db.bulk import insert_rows, table_of
from tally.db.regions import TpsRow
from tally.db.results import TpsResultRow, TpsVoteRow
from tally.db.sheets import SheetRow
from tally.election.recap import recap
from tally.election.recap_scan import recap_scan
from tally.election.results import write_results
from tally.election.store import save_contest
from tally.election.totals import check, rebuild
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
        insert_rows(conn, table_of(TpsRow), ("id", "desa", "number", "dpt"), tps)
        at = datetime.now(UTC)
        sheets = ((f"s{i}", i, CONTEST.id, "synth", 1, "1,2,3", at) for i, *_ in tps)
        cols = ("id", "tps_id", "contest_id", "source", "version", "pages", "created_at")
        insert_rows(conn, table_of(SheetRow), cols, sheets)
        results, votes = _results(tps, rng)
        result_cols: tuple[str, ...] = ("contest_id", "tps_id", "sheet_id", "counted", "complete", "flags")
        result_cols += ("dpt", "pengguna", "suara_sah", "suara_tidak_sah", "suara_total")
        insert_rows(conn, table_of(TpsResultRow), result_cols, results)
        insert_rows(conn, table_of(TpsVoteRow), ("contest_id", "tps_id", "paslon", "votes"), votes)
        timings["tps+sheets+results"] = time.perf_counter() - t
        t = time.perf_counter()
        rebuild(conn, CONTEST.id)
        timings["region totals rebuild"] = time.perf_counter() - t
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
        # A pending TPS has a value still unread: not complete, not counted.
        results.append(
            (CONTEST.id, tid, f"s{tid}", counted, counted, 0, dpt, used, used - invalid, invalid, used)
        )
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


def _python_loop(conn: Connection, code: RegionCode) -> list[int]:
    key = undotted(code)
    totals = [0, 0, 0]
    rows = conn.execute(
        text("SELECT tps_id, paslon, votes FROM tps_vote WHERE contest_id = :c"), {"c": CONTEST.id}
    )
    for tid, paslon, v in rows:
        if tid.startswith(key):
            totals[paslon - 1] += v or 0
    return totals


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """(median, p95) in ms after one warm-up call: we measure the query, not the first disk read."""
    fn()
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]


def correction(conn: Connection, code: RegionCode) -> Callable[[], object]:
    """One TPS of `code` re-written (5 votes moved between paslon) through `write_results` on its desa."""
    tid = conn.scalar(
        text("SELECT min(tps_id) FROM tps_result WHERE contest_id = :c AND counted = 1 AND tps_id >= :lo"),
        {"c": CONTEST.id, "lo": undotted(code)},
    )
    desa = parent(TpsId(tid))
    assert desa is not None
    rows = conn.execute(
        text("SELECT tps_id, sheet_id, counted, dpt, pengguna, suara_sah, suara_tidak_sah, suara_total"
             " FROM tps_result WHERE contest_id = :c AND tps_id >= :lo AND tps_id < :hi"),
        {"c": CONTEST.id, "lo": undotted(desa), "hi": undotted(desa) + "a"},
    ).all()  # fmt: skip
    votes = {
        (t, p): v
        for t, p, v in conn.execute(
            text("SELECT tps_id, paslon, votes FROM tps_vote WHERE contest_id = :c AND tps_id >= :lo"
                 " AND tps_id < :hi"),
            {"c": CONTEST.id, "lo": undotted(desa), "hi": undotted(desa) + "a"},
        )
    }  # fmt: skip
    full = dict.fromkeys((f.name for f in CONTEST.fields), 0)
    flip = [0]

    def sheets() -> list[TallySheet]:
        out: list[TallySheet] = []
        for t, sid, counted, dpt, used, sah, tidak, total in rows:
            v = {**full, "pemilih_dpt_j": dpt, "pengguna_total_j": used, "suara_sah": sah}
            v |= {"suara_tidak_sah": tidak, "suara_total": total}
            v |= {f"suara_paslon_{p}": votes.get((t, p), 0) for p in (1, 2, 3)}
            if not counted:
                v["suara_paslon_3"] = None  # still pending: a value not read yet
            if t == tid:
                shift = 5 if flip[0] % 2 == 0 else -5
                v["suara_paslon_1"] -= shift
                v["suara_paslon_2"] += shift
            out.append(TallySheet(SheetId(sid), TpsId(t), CONTEST.id, v, frozenset({1, 2, 3})))
        return out

    def run() -> None:
        flip[0] += 1
        write_results(conn, CONTEST, desa, sheets(), {TpsId(r[0]) for r in rows if r[2]}, {})
        conn.commit()

    return run


def backends(which: list[str], pg_server: str, reuse: str | None = None) -> Iterator[tuple[str, str]]:
    if reuse:
        yield "postgresql", f"postgresql+psycopg://postgres@127.0.0.1:5432/{reuse}"
        return
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
    ap.add_argument("--reuse", metavar="DB", help="PostgreSQL only: time this database already built")
    args = ap.parse_args()
    code = RegionCode(args.scope)
    tps: list[tuple[str, str, int, int]] = []
    if not args.reuse:
        t = time.perf_counter()
        tps = national_tps(args.tps)
        console.print(f"{len(tps):,} TPS generated in {time.perf_counter() - t:.1f} s")
    table = Table(title=f"recap, median / p95 of {args.runs} runs")
    for col in ("backend", "region", "query", "median ms", "p95 ms", "× region_total"):
        table.add_column(col, justify="right" if col not in ("query", "region") else "left")
    targets = [("nasional", RegionCode("")), ("provinsi", RegionCode(code[:2])), ("kab/kota", code)]
    for name, url in backends(args.backends.split(","), args.pg_server, args.reuse):
        migrate(url)
        engine = make_engine(url)
        if tps:
            timings = load(engine, tps, seed=1)
            console.print(f"{name}: load " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
        with engine.connect() as conn:
            n_tps = conn.scalar(text("SELECT count(*) FROM tps"))
            for region, where in targets:
                got = recap(conn, CONTEST, where)
                assert got == recap_scan(conn, CONTEST, where), region
                assert list(got.total.votes) == _python_loop(conn, where)
                cases: list[tuple[str, Callable[[], object], int]] = [
                    ("recap(): region_total rows", partial(recap, conn, CONTEST, where), args.runs),
                    ("baseline: recap_scan() over TPS rows", partial(recap_scan, conn, CONTEST, where),
                     max(3, args.runs // 4)),
                    ("baseline: Python loop over all rows", partial(_python_loop, conn, where), 3),
                ]  # fmt: skip
                if region == "kab/kota":
                    cases += [
                        ("baseline: substr() filter, no index", lambda: _unindexed(conn, code), args.runs),
                        ("baseline: join up the region tree", lambda: _tree_join(conn, code), args.runs),
                        ("one TPS correction (write + totals)", correction(conn, code), args.runs),
                    ]
                base = None
                for label, fn, runs in cases:
                    med, p95 = timed(fn, runs)
                    base = med if base is None else base
                    table.add_row(name, region, label, f"{med:,.2f}", f"{p95:,.2f}", f"{med / base:,.1f}")
            conn.rollback()
            assert check(conn, CONTEST.id) == [] if n_tps and n_tps < 50_000 else True
        engine.dispose()
        console.print(f"{name}: {n_tps:,} TPS")
        if name == "postgresql" and not args.keep and not args.reuse:
            with psycopg.connect(args.pg_server, autocommit=True) as admin:
                admin.execute("DROP DATABASE IF EXISTS tally_bench WITH (FORCE)")
    console.print(table)


if __name__ == "__main__":
    main()
