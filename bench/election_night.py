"""Election night, replayed (issue #18): a real region's TPS send photos of their C.Hasil through the real
service while it is knocked over, and the people settle what the reader doubts; then every number is checked.

    .venv/bin/python bench/election_night.py                               # Kota Cimahi (32.77), by hand
    .venv/bin/python bench/election_night.py --scope 32.77.01 --cache /tmp/night-3277.01
    .venv/bin/python bench/election_night.py --scope 32.77.02.1004 --limit 10 --night-s 40   # CI size

1. The election (`bench/night/election.py`): the TPS of `--scope` (Kepmendagri codes, DOMAIN.md's sizing),
   their true results, every photo rendered, filled in held-out handwriting and photographed by the corpus
   (moderate severity mostly, some clean and harsh, officer slips on paper), some TPS sending a second photo,
   a retake after a rejection or a page hours late. Made once into `--cache`; its cost is reported apart.
2. The system (`bench/night/cluster.py`): a temporary PostgreSQL database, the Redis queue, `tally serve`
   with `--api-workers` API processes and `--ocr-workers` `tally worker` processes with the real reader.
   During the night the API node, one worker and PostgreSQL are killed and restarted (`bench/storm.py`'s
   plan: at 20 %, 35 %, 50 % and 70 % of TPS sent; `--no-pg-restart` on a shared machine: it restarts the
   whole server).
3. The phones (`bench/night/phones.py`) and the people (`bench/night/officers.py`): KPPS phones with device
   tokens from activation codes, over failing links; KPPS and PPS reading doubts blind through the API; a PPK
   keying each kecamatan's D.Hasil with one slip.
4. The checks and the table (`bench/night/report.py`); `--json` writes every figure, `--png` the chart.
The night is compressed: `--night-s` wall seconds stand for 24 hours, and think times are slept at that scale.
"""

# ruff: noqa: E402  (the path fix below must run before the imports)
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]  # bench/ocr.py is not `ocr`
sys.path.insert(0, str(HERE.parent))  # `bench.…` as a namespace package

import argparse
import asyncio
import json
import os
import tempfile
import threading
import time
from typing import Any

import httpx
import psycopg
from bench.night import phones as phones_mod
from bench.night.cluster import NightCluster, create_database, drop_database, free_redis_db
from bench.night.election import Album, build
from bench.night.office import KPU_RI, PASSWORD, seed
from bench.night.officers import SECRET, PpsStats, kelurahan, ppk_keys
from bench.night.phones import Link, Phone, Stats
from bench.night.report import (
    at_share,
    audit_verify,
    chart,
    checks,
    officers_per_tps,
    pct,
    per_desa_minutes,
    table,
)
from bench.storm import drain, faults, free_port

from reconcile.contest import builtin_contest
from tally.regions import read_population, read_regions, wilayah_dir
from tally.settings import Settings


def parse() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scope", default="32.77", help="a kab/kota, kecamatan or kelurahan/desa code")
    ap.add_argument("--limit", type=int, default=0, help="only the first N TPS of the scope (0: all)")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--cache", type=Path, help="where the election is made once (default: /tmp/…)")
    ap.add_argument("--render-workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--api-workers", type=int, default=2)
    ap.add_argument("--ocr-workers", type=int, default=2)
    ap.add_argument("--night-s", type=float, default=600.0, help="wall seconds standing for 24 hours")
    ap.add_argument(
        "--lease-s", type=float, default=30.0, help="OCR lease: a killed worker's job returns after it"
    )
    ap.add_argument("--think-s", type=float, default=8.0, help="seconds a person spends on a field")
    ap.add_argument("--pps-typo", type=float, default=0.01)
    ap.add_argument("--no-pg-restart", action="store_true")
    ap.add_argument("--redis-db", type=int, default=9, help="first Redis database number to try (≤ 15)")
    ap.add_argument("--no-faults", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the database and data directory afterwards")
    ap.add_argument("--json", type=Path, help="write every figure here")
    ap.add_argument("--png", type=Path, help="chart of TPS counted over time")
    ap.add_argument("--table-from", type=Path, help="print the table (and --png) of an earlier run's --json")
    return ap.parse_args()


def main() -> None:
    args = parse()
    if args.table_from:
        r = json.loads(args.table_from.read_text("utf-8"))
        report(args, argparse.Namespace(scope=r["scope"]), r)
        return
    folder = args.cache or Path(tempfile.gettempdir()) / f"tally-night-{args.scope}-{args.limit}-{args.seed}"
    folder.mkdir(parents=True, exist_ok=True)
    where = wilayah_dir(Settings())
    regions, population = read_regions(where), read_population(where)
    t = time.perf_counter()
    election = build(regions, population, args.scope, args.seed, args.limit, folder, args.render_workers)
    print(
        f"election {args.scope}: {len(election.tps)} TPS, {election.photos} photos made in "
        f"{election.made_s:.0f} s ({time.perf_counter() - t:.0f} s this time) → {folder}",
        flush=True,
    )
    phones_mod.PAGE_OF.update({f.name: f.page for f in builtin_contest("ppwp-2024").fields})

    name = f"tally_night_{os.getpid()}"
    url = create_database(name)
    raw_url = f"host=127.0.0.1 user=postgres dbname={name}"
    queue = free_redis_db(args.redis_db)
    data = Path(tempfile.mkdtemp(prefix="tally-night-"))
    port = free_port()
    env = {
        **os.environ,
        "TALLY_DATABASE_URL": url,
        "TALLY_DATA_DIR": str(data),
        "TALLY_PORT": str(port),
        "TALLY_QUEUE_URL": queue,
        "TALLY_API_WORKERS": str(args.api_workers),
        "TALLY_EMBEDDED_WORKERS": "0",
        "TALLY_OCR_LEASE_S": str(args.lease_s),
        "TALLY_RATE_PER_S": "1000",
        "TALLY_RATE_BURST": "1000",
        "TALLY_ENVIRONMENT": "test",
        "TALLY_SECRET_KEY": SECRET[0],
        "TALLY_WILAYAH_DIR": str(where),
        "OMP_NUM_THREADS": "1",
    }
    env.pop("PYTHONPATH", None)
    cluster = NightCluster(env, port, workers=args.ocr_workers)
    try:
        office = seed(url, regions, election)
        cluster.start_api()
        cluster.start_worker()
        result = night(args, election, folder, office, cluster, raw_url, url)
        result["audit_ok"], result["audit"] = audit_verify(env)
        report(args, election, result)
    finally:
        cluster.stop()
        if args.keep:
            print(f"kept: database {name}, queue {queue}, data {data}")
        else:
            drop_database(name, queue)
            subprocess_rm(data)


def night(
    args: argparse.Namespace,
    election: Any,
    folder: Path,
    office: Any,
    cluster: NightCluster,
    raw_url: str,
    url: str,
) -> dict[str, Any]:
    speed = 86_400 / args.night_s
    link = Link(think_s=args.think_s, speed=speed)
    stats, pps = Stats(), PpsStats()
    album = Album(election, folder)
    plans = {p.id: p for p in election.tps}
    timeline: list[tuple[float, int]] = [(0.0, 0)]
    counted_at: dict[str, float] = {}
    progress, stop, watching = [0], [False], [True]
    cluster.sample_cpu()  # the processes' start (imports, the reader's models) is not the night's work
    cpu_at = (cluster.ocr_cpu.total(), cluster.api_cpu.total())
    t0 = time.perf_counter()

    def watch() -> None:
        while watching[0]:
            try:
                with psycopg.connect(raw_url, connect_timeout=3) as db:
                    ids = [r[0] for r in db.execute("SELECT tps_id FROM tps_result WHERE counted = 1")]
            except psycopg.Error:
                ids = None
            now = time.perf_counter() - t0
            if ids is not None:
                for i in ids:
                    counted_at.setdefault(i, now)
                timeline.append((now, len(ids)))
            cluster.sample_cpu()
            time.sleep(1.0)

    async def run() -> None:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{cluster.port}", timeout=60, limits=limits
        ) as http:
            tokens = await activate(http, office.codes)
            queues: dict[str, asyncio.Queue[str]] = {d: asyncio.Queue() for d in office.pps}
            phone = Phone(http, album, link, stats)

            def done(tps: str) -> None:
                progress[0] += 1
                queues[plans[tps].desa].put_nowait(tps)

            clock = lambda: time.perf_counter() - t0  # noqa: E731
            counts = {d: sum(1 for p in election.tps if p.desa == d) for d in office.pps}
            people = [
                kelurahan(
                    http, d, office.pps[d], plans, queues[d], counts[d], link, args.pps_typo, pps, clock
                )
                for d in office.pps
            ]
            await asyncio.gather(*(phone.night(p, tokens[p.id], t0, done) for p in election.tps), *people)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    chaos = None
    if not args.no_faults:
        chaos = threading.Thread(
            target=faults, args=(cluster, progress, len(plans), not args.no_pg_restart, stop)
        )
        chaos.start()
    cpu0 = time.process_time()
    try:
        asyncio.run(run())
    finally:
        stop[0] = True  # the plan's last fault is at 70 % of TPS sent: it has run by now
        if chaos is not None:
            chaos.join()
    people_done = time.perf_counter() - t0
    loadgen_cpu = time.process_time() - cpu0
    drained, left = drain(raw_url, timeout_s=120)
    keyed = asyncio.run(ppk_keys(f"http://127.0.0.1:{cluster.port}", election.tps, office.ppk, args.seed))
    time.sleep(1.5)  # one more sample
    watching[0] = False
    watcher.join()
    cluster.sample_cpu()
    ocr_cpu, api_cpu = cluster.ocr_cpu.total() - cpu_at[0], cluster.api_cpu.total() - cpu_at[1]
    result = checks(raw_url, url, election.tps, stats.sent, election.scope)
    result["api_recap_equal"] = api_recaps(cluster.port, election)
    with psycopg.connect(raw_url) as db:
        read = int(db.execute("SELECT count(*) FROM reading").fetchone()[0])  # type: ignore[index]
        uploads = int(db.execute("SELECT count(*) FROM photo").fetchone()[0])  # type: ignore[index]
    last_photo = {p.id: max(s.at_h for s in p.shots) * 3600 / speed for p in election.tps}
    lags = [(counted_at[i] - last_photo[i]) * speed / 3600 for i in counted_at if i in last_photo]
    n = len(plans)
    result |= {
        "scope": election.scope,
        "speed": speed,
        "cache_photos": election.photos,
        "cache_s": election.made_s,
        "cache_cpu_s": election.made_cpu_s,
        "made_during_night": album.made_now,
        "timeline": timeline,
        "to_share": {str(s): at_share(timeline, n, s) for s in (0.5, 0.9, 0.99, 1.0)},
        "people_done_s": people_done,
        "ocr_left": left,
        "loadgen_cpu_s": loadgen_cpu,
        "ocr_cpu_s": ocr_cpu,
        "api_cpu_s": api_cpu,
        "ocr_photos_per_core_s": read / max(1e-9, ocr_cpu),
        "api_cpu_per_upload_ms": 1000 * api_cpu / max(1, stats.sends),
        "p50_ms": 1000 * pct(stats.latencies, 0.5),
        "p99_ms": 1000 * pct(stats.latencies, 0.99),
        "faults": cluster.log,
        "sends": stats.sends,
        "retries": stats.retries,
        "drops": stats.drops,
        "timeouts": stats.timeouts,
        "duplicates": stats.duplicates,
        "answers": stats.answers,
        "call_errors": phones_mod.CALL_ERRORS,
        "retakes": stats.retakes,
        "kpps_typed": stats.kpps_typed,
        "kpps_slipped": stats.kpps_slipped,
        "pps_typed": sum(pps.typed.values()),
        "pps_web": sum(pps.web.values()),
        "pps_approvals": pps.approvals,
        "pps_swept": pps.swept,
        "pps_second": sum(pps.second.values()),
        "pps_minutes": per_desa_minutes(pps.typed, args.think_s)
        | {d: 0.0 for d in office.pps if d not in pps.typed},
        "officers_per_tps": officers_per_tps(election.tps, pps.officers),
        "slips": len(keyed),
        "slips_caught": sum(k.caught for k in keyed),
        "slips_cleared": all(k.cleared for k in keyed),
        "keyed": [k.__dict__ for k in keyed],
        "lag_p99_sim_h": pct(lags, 0.99) if lags else float("nan"),
        "uploads_rows": uploads,
        "readings": read,
        "drained_s": drained,
    }
    return result


def api_recaps(port: int, election: Any) -> dict[str, bool]:
    """The public recap (`GET /api/v1/regions/{code}/recap`) of every region from each kelurahan up to the
    nation: TPS counted, votes per paslon and suara sah equal to the truth."""
    codes = sorted({p.desa for p in election.tps} | {p.desa[:8] for p in election.tps})
    login = {"username": KPU_RI, "password": PASSWORD}
    token = httpx.post(f"http://127.0.0.1:{port}/api/v1/auth/login", json=login, timeout=60).json()["token"]
    out = {}
    for code in [*codes, election.scope[:5], election.scope[:2], "nasional"]:
        mine = [p for p in election.tps if code == "nasional" or p.desa.startswith(code)]
        want = {str(i): sum(p.truth[f"suara_paslon_{i}"] for p in mine) for i in (1, 2, 3)}
        auth = {"Authorization": f"Bearer {token}"}
        r = httpx.get(f"http://127.0.0.1:{port}/api/v1/regions/{code}/recap", headers=auth, timeout=60).json()
        out[code] = (
            r["paslon"] == want
            and r["totals"].get("suara_sah") == sum(p.truth["suara_sah"] for p in mine)
            and r["tps_counted"] == len(mine)
        )
    return out


async def activate(http: httpx.AsyncClient, codes: dict[str, str]) -> dict[str, str]:
    """Every TPS's phone activated with its one-time code, before the night (as at the KPPS training)."""
    sem = asyncio.Semaphore(16)

    async def one(tps: str, code: str) -> tuple[str, str]:
        async with sem:
            for _ in range(200):
                r = await http.post("/api/v1/auth/activate", json={"code": code})
                if r.status_code == 201:
                    return tps, str(r.json()["token"])
                assert r.status_code == 429, r.text
                await asyncio.sleep(0.05)
        raise RuntimeError(f"{tps}: activation kept being refused")

    return dict(await asyncio.gather(*(one(t, c) for t, c in codes.items())))


def report(args: argparse.Namespace, election: Any, r: dict[str, Any]) -> None:
    print(table(r, args.think_s))
    print(f"audit: {r['audit']}")
    if r["wrong_counted"]:
        print("wrong numbers counted:\n  " + "\n  ".join(r["wrong_counted"][:50]))
    if r["unsettled"]:
        print(f"TPS with fields not settled: {dict(list(r['unsettled'].items())[:30])}")
    bad = [k for k, ok in r["levels_equal"].items() if not ok]
    if bad:
        print(f"regions whose recap differs from the truth: {bad[:30]}")
        for code in bad[:5]:
            print(f"  {code} (computed, truth): {r['level_diffs'].get(code)}")
    if args.png:
        args.png.parent.mkdir(parents=True, exist_ok=True)
        title = f"Election night replayed: {election.scope}, {r['tps']} TPS counted over time"
        chart(r["timeline"], r["tps"], r["speed"], args.png, title)
    if args.json:
        args.json.write_text(json.dumps(r, indent=1, default=str), "utf-8")


def subprocess_rm(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    main()
