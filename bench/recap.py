"""Public recap pages on national-scale data in PostgreSQL: p50/p95 ms per page, beside a naive baseline.

    python bench/recap.py --tps 820000 --requests 40          # builds tally_bench_recap, then times
    python bench/recap.py --tps 820000 --requests 40 --reuse  # times again on the database already built

Data: the Pemilu 2024 shape from the real regions and population (bench/rollup_db.py's generator and COPY
loader), ~3 % of TPS pending. Each page is requested over HTTP through the real ASGI app (httpx ASGI
transport, HTML rendered), first with the page cache off (every request runs the recap queries), then with
the 15 s cache the Cache-Control header allows (what a visitor gets). The recap behind each page reads
`region_total` (a few rows per page, `tally.election.recap`). Baselines beside it, for the nation and the
kab/kota: `recap_scan` (the same recap summed from every TPS row in the key range: the previous
implementation, ~3 s per national page), and the region's totals by fetching every vote row and summing in
Python (no key range, no SQL aggregation).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from functools import partial
from pathlib import Path

import httpx
import psycopg
from fastapi import FastAPI
from rich.console import Console
from rich.table import Table
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).parent))
from reconcile.ids import RegionCode  # noqa: E402
from rollup_db import CONTEST, _python_loop, load, national_tps  # noqa: E402
from tally.bootstrap import create_app  # noqa: E402
from tally.db.base import make_engine, migrate  # noqa: E402
from tally.election.recap_scan import recap_scan  # noqa: E402
from tally.settings import Settings  # noqa: E402
from tally.web.pages import PageCache  # noqa: E402

DB = "tally_bench_recap"
URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB}"
console = Console(width=120)


def build(tps: int, pg_server: str) -> None:
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DB}")
    migrate(URL)
    rows = national_tps(tps)
    engine = make_engine(URL)
    timings = load(engine, rows, seed=7)
    engine.dispose()
    console.print(f"built {len(rows):,} TPS: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))


def pick_pages(scope: str) -> list[tuple[str, str]]:
    """One page per level inside `scope` (a kab/kota): its first kecamatan, desa and TPS."""
    engine = make_engine(URL)
    with engine.connect() as conn:
        kec = conn.scalar(text("SELECT min(code) FROM region WHERE parent = :p"), {"p": scope})
        desa = conn.scalar(text("SELECT min(code) FROM region WHERE parent = :p"), {"p": kec})
        tps = conn.scalar(text("SELECT min(id) FROM tps WHERE desa = :d"), {"d": desa})
    engine.dispose()
    prov = scope.split(".")[0]
    return [
        ("nasional", "/"),
        ("provinsi", f"/wilayah/{prov}"),
        ("kab/kota", f"/wilayah/{scope}"),
        ("kecamatan", f"/wilayah/{kec}"),
        ("kelurahan", f"/wilayah/{desa}"),
        ("TPS", f"/tps/{tps}"),
    ]


async def timings(app: FastAPI, path: str, n: int) -> list[float]:
    out: list[float] = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for _ in range(n):
            t = time.perf_counter()
            response = await client.get(path)
            out.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200, (path, response.status_code)
    return out


def pct(samples: list[float], q: float) -> float:
    return (
        statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1]
        if len(samples) > 1
        else samples[0]
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tps", type=int, default=820_000, help="national scale (number of TPS)")
    ap.add_argument("--requests", type=int, default=40, help="requests per page and mode")
    ap.add_argument("--scope", default="32.04", help="kab/kota whose pages are timed (default Kab. Bandung)")
    ap.add_argument("--reuse", action="store_true", help="time the database already built")
    ap.add_argument("--pg-server", default="host=127.0.0.1 port=5432 user=postgres dbname=postgres")
    args = ap.parse_args()
    if not args.reuse:
        build(args.tps, args.pg_server)
    else:
        migrate(URL)  # an older build gains the region totals (revision 0005 rolls them up)
    engine = make_engine(URL)
    with engine.connect() as conn:
        n_tps = conn.scalar(text("SELECT count(*) FROM tps"))
    settings = Settings(environment="test", database_url=URL, ocr_reader="none", embedded_workers=0)
    apps = {}
    for label, cache in (("cache off", 0), ("cache 15 s", 15)):
        app = create_app(settings, workers=0)  # the whole app: the pages as served, their middleware too
        app.state.web.page_cache = PageCache(cache)
        apps[label] = app
    table = Table(title=f"recap pages, {n_tps:,} TPS in PostgreSQL, {args.requests} requests each")
    for col in ("page", "mode", "p50 ms", "p95 ms", "≤ 50 ms p95"):
        table.add_column(col, justify="left" if col in ("page", "mode") else "right")
    for level, path in pick_pages(args.scope):
        for mode, app in apps.items():
            asyncio.run(timings(app, path, 1))  # warm: first disk reads and template compile
            samples = asyncio.run(timings(app, path, args.requests))
            p95 = pct(samples, 95)
            table.add_row(
                f"{level} {path}", mode, f"{pct(samples, 50):.1f}", f"{p95:.1f}", "yes" if p95 <= 50 else "no"
            )
        if level in ("nasional", "kab/kota"):
            code = RegionCode("" if path == "/" else path.rsplit("/", 1)[1])
            with engine.connect() as conn:
                for label, fn in (
                    ("baseline: recap_scan()", partial(recap_scan, conn, CONTEST, code)),
                    ("baseline: Python loop", partial(_python_loop, conn, code)),
                ):
                    runs = []
                    for _ in range(3):
                        t = time.perf_counter()
                        fn()
                        runs.append((time.perf_counter() - t) * 1000)
                    table.add_row(f"{level} {path}", label, f"{statistics.median(runs):.1f}", "", "")
    engine.dispose()
    console.print(table)


if __name__ == "__main__":
    main()
