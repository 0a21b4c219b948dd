"""Upload latency under an anonymous login flood (issue 14, #8): a KPPS upload took ~130 ms alone and 14 s
while strangers flooded `/api/v1/auth/login` (each refused login still costs an Argon2 check).

    .venv/bin/python bench/login_flood.py [--uploads 40] [--flooders 24] [--photo-kb 300]

One run, three rows, each against a fresh `tally serve` process on loopback (SQLite, no OCR):
- `no flood`: the baseline, uploads one after another;
- `flood, Argon2 unbounded`: the old behaviour (`TALLY_LOGIN_CONCURRENCY=64`, nothing refused early);
- `flood, 1 Argon2 slot`: the default, a login finding the slot taken is refused 429 at once.
The flood comes from many addresses (X-Forwarded-For through a trusted proxy), so the per-address limit
does not stop it: the Argon2 bound alone is measured. The load generator shares the 2 cores: a floor.
"""

# ruff: noqa: E402  (the path fix below must run before the imports)
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse
import asyncio
import hashlib
import io
import multiprocessing as mp
import os
import random
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
from PIL import Image

from reconcile.ids import RegionCode
from tally.auth.service import activate, issue_codes
from tally.db.base import make_engine, migrate, session_factory
from tally.db.regions import RegionRow, TpsRow

DESA, TPS = "31.73.04.1007", "3173041007001"


def photo(seed: int, kb: int) -> bytes:
    rng = np.random.default_rng(seed)
    side = int((kb * 1024 / 0.25) ** 0.5)  # noise at quality 80 takes ~0.25 bytes per pixel scaled 4×
    small = rng.integers(0, 255, size=(side // 4, side // 4, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(small).resize((side, side)).save(out, format="JPEG", quality=80)
    return out.getvalue()


def seed(url: str) -> str:
    migrate(url)
    engine = make_engine(url)
    with session_factory(engine)() as s, s.begin():
        for code, level, parent in [("31", 1, None), ("31.73", 2, "31"), ("31.73.04", 3, "31.73"),
                                    (DESA, 4, "31.73.04")]:  # fmt: skip
            s.add(RegionRow(code=code, name=code, level=level, parent=parent))
        s.flush()
        s.add(TpsRow(id=TPS, desa=DESA, number=1, dpt=280))
        s.flush()
        token = activate(s, issue_codes(s, RegionCode(DESA), "bench")[0].code)[0]
    engine.dispose()
    return token


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(url: str, data_dir: Path, port: int, slots: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TALLY_DATABASE_URL": url,
        "TALLY_DATA_DIR": str(data_dir),
        "TALLY_ENVIRONMENT": "test",
        "TALLY_EMBEDDED_WORKERS": "0",
        "TALLY_OCR_READER": "none",
        "TALLY_RATE_PER_S": "100000",
        "TALLY_RATE_BURST": "100000",
        "TALLY_TRUSTED_PROXIES": '["127.0.0.1"]',
        "TALLY_LOGIN_CONCURRENCY": str(slots),
    }
    cmd = ["-m", "uvicorn", "tally.bootstrap:app_from_environment", "--factory", "--port", str(port)]
    cmd += ["--no-access-log", "--log-level", "error", "--no-proxy-headers"]
    proc = subprocess.Popen(
        [sys.executable, *cmd], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start")


@dataclass
class Row:
    name: str
    p50_ms: float
    p99_ms: float
    logins: int
    refused_429: int
    seconds: float


async def flood(base: str, stop: Callable[[], bool], counts: dict[str, int]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        while not stop():
            addr = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
            body = {"username": f"orang{random.randrange(10**6)}", "password": "tebak-tebak-saja"}
            try:
                r = await http.post("/api/v1/auth/login", json=body, headers={"X-Forwarded-For": addr})
            except httpx.HTTPError:
                continue
            counts["logins"] += 1
            counts["429"] += r.status_code == 429


def flood_process(base: str, flooders: int, stop: Any, logins: Any, refused: Any) -> None:
    """The flood, in a process of its own: the uploader's event loop is not shared with the flooders."""

    async def main() -> None:
        counts = {"logins": 0, "429": 0}
        await asyncio.gather(*(flood(base, stop.is_set, counts) for _ in range(flooders)))
        logins.value, refused.value = counts["logins"], counts["429"]

    asyncio.run(main())


async def measure(
    base: str, token: str, photos: list[bytes], flooders: int
) -> tuple[list[float], dict[str, int]]:
    stop, logins, refused = mp.Event(), mp.Value("i", 0), mp.Value("i", 0)
    flooder = mp.Process(target=flood_process, args=(base, flooders, stop, logins, refused))
    if flooders:
        flooder.start()
        await asyncio.sleep(3.0)  # let the flood build up
    times = []
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "image/jpeg"}
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        for data in photos:
            url = f"/api/v1/tps/{TPS}/pages/1/photos/{hashlib.sha256(data).hexdigest()}"
            t0 = time.perf_counter()
            r = await http.put(url, content=data, headers=headers)
            times.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 202, r.text
    stop.set()
    if flooders:
        flooder.join(timeout=120)
    return times, {"logins": logins.value, "429": refused.value}


def run(name: str, slots: int, flooders: int, photos: list[bytes]) -> Row:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/tally.sqlite3"
        token = seed(url)
        port = free_port()
        proc = start(url, Path(tmp), port, slots)
        try:
            t0 = time.monotonic()
            times, counts = asyncio.run(measure(f"http://127.0.0.1:{port}", token, photos, flooders))
            seconds = time.monotonic() - t0
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    cuts = statistics.quantiles(times, n=100)
    return Row(name, statistics.median(times), cuts[98], counts["logins"], counts["429"], seconds)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--uploads", type=int, default=40)
    ap.add_argument("--flooders", type=int, default=24)
    ap.add_argument("--photo-kb", type=int, default=300)
    args = ap.parse_args()
    rows = []
    for i, (name, slots, flooders) in enumerate(
        [
            ("no flood (baseline)", 1, 0),
            ("flood, Argon2 unbounded (before)", 64, args.flooders),
            ("flood, 1 Argon2 slot (now)", 1, args.flooders),
        ]  # fmt: skip
    ):
        photos = [photo(1000 * i + k, args.photo_kb) for k in range(args.uploads)]
        rows.append(run(name, slots, flooders, photos))
    base = rows[0]
    print(
        f"{args.uploads} uploads of ~{args.photo_kb} KB one after another; {args.flooders} flooding clients"
    )
    head = f"{'scenario':34} {'p50 ms':>8} {'p99 ms':>8} {'p50 × base':>10}"
    print(f"{head} {'logins':>7} {'429':>6} {'login/s':>8}")
    for r in rows:
        rate = r.logins / r.seconds if r.seconds else 0.0
        print(
            f"{r.name:34} {r.p50_ms:8.0f} {r.p99_ms:8.0f} {r.p50_ms / base.p50_ms:10.1f} "
            f"{r.logins:7d} {r.refused_429:6d} {rate:8.0f}"
        )


if __name__ == "__main__":
    main()
