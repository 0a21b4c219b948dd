"""Intake benchmark: accepted uploads/s and p50/p99 latency for ~1 MB photos at 50 concurrent clients
against a real `tally serve` on loopback (SQLite and PostgreSQL), and the OCR drain rate of one worker.

    .venv/bin/python bench/intake.py [--uploads 1500] [--clients 50] [--api-workers 2]

Two upper bounds run first, on the same uvicorn settings and load generator (bench/intake_baseline.py):
`bare` only reads the body and answers 202; `durable` also hashes it into a temp file, fsyncs it, renames it
and fsyncs the directory. Whatever `tally` does beyond that (checks, database, auth) is the gap between the
rows. The CPU columns are per accepted upload and do not depend on what else the machine is doing.

Bounded: a fixed number of uploads per row; the servers and the temporary PostgreSQL database are removed
afterwards. The load generator (bench/intake_load.py) runs on the same 2 cores, so the figures are a floor.
"""

# ruff: noqa: E402  (the path fix below must run before the imports)
from __future__ import annotations

import sys
from pathlib import Path

# bench/ocr.py would shadow the `ocr` package for a script run from bench/: drop this directory from the path.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse
import io
import os
import socket
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass

import httpx
import numpy as np
import psycopg
from PIL import Image

from reconcile.ids import RegionCode
from tally.auth.service import activate, issue_codes
from tally.db.base import make_engine, migrate, session_factory
from tally.db.regions import RegionRow, TpsRow

sys.path.append(str(HERE))  # the load generator beside this file (appended: `ocr` still resolves to src/)
from intake_load import storm, unique

TARGET_RATE, TARGET_P99_MS = 300.0, 300.0
DESA = "31.73.04.1007"
BACKENDS = ("sqlite", "postgresql")


def photo_1mb(seed: int) -> bytes:
    """A 2000×1500 JPEG of ~1.0 MB (noise scaled up 4×: compresses like a phone photo of a form)."""
    rng = np.random.default_rng(seed)
    img = Image.fromarray(rng.integers(0, 255, size=(375, 500, 3), dtype=np.uint8)).resize((2000, 1500))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=78)
    return out.getvalue()


def seed(url: str, clients: int) -> list[str]:
    migrate(url)
    engine = make_engine(url)
    tokens = []
    with session_factory(engine)() as s, s.begin():
        for code, level, parent in [
            ("31", 1, None),
            ("31.73", 2, "31"),
            ("31.73.04", 3, "31.73"),
            (DESA, 4, "31.73.04"),
        ]:
            s.add(RegionRow(code=code, name=code, level=level, parent=parent))
        s.flush()
        for i in range(1, clients + 1):
            s.add(TpsRow(id=f"3173041007{i:03d}", desa=DESA, number=i, dpt=280))
        s.flush()
        for issued in issue_codes(s, RegionCode(DESA), "bench"):
            tokens.append(activate(s, issued.code)[0])
    engine.dispose()
    return tokens


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    target: str, url: str, data_dir: Path, port: int, api_workers: int
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TALLY_DATABASE_URL": url,
        "TALLY_DATA_DIR": str(data_dir),
        "TALLY_PORT": str(port),
        "TALLY_RATE_PER_S": "100000",
        "TALLY_RATE_BURST": "100000",
        "TALLY_ENVIRONMENT": "test",
        "BENCH_BASELINE_DIR": str(data_dir),
    }
    if target == "tally":
        serve = ["serve", "--workers", "0"] + (["--api-workers", str(api_workers)] if api_workers > 1 else [])
        cmd = ["-c", f"from tally.cli.main import app; app({serve!r})"]
    else:  # a baseline from bench/intake_baseline.py, on the same uvicorn settings
        cmd = ["-m", "uvicorn", "--app-dir", str(HERE), f"intake_baseline:{target}", "--port", str(port)]
        cmd += ["--workers", str(api_workers), "--no-access-log", "--log-level", "error"]
    proc = subprocess.Popen([sys.executable, *cmd], env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:  # the baseline has no /readyz and answers 404: up all the same
            if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code in (200, 404):
                time.sleep(2.0 if api_workers > 1 else 0.0)  # the other API processes finish starting
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start")


def tree_cpu_s(root: int) -> tuple[float, float]:
    """CPU seconds (user, system) of a process and all its descendants, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    cpu: dict[int, tuple[float, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        cpu[pid] = (int(fields[11]) / tick, int(fields[12]) / tick)
    user, system, todo = 0.0, 0.0, [root]
    while todo:
        pid = todo.pop()
        u, s = cpu.get(pid, (0.0, 0.0))
        user, system = user + u, system + s
        todo.extend(children.get(pid, []))
    return user, system


@dataclass
class Row:
    name: str
    rate: float
    p50: float
    p99: float
    refused: int
    server_ms: float  # CPU per accepted upload, all API processes (not PostgreSQL's own)
    server_sys_ms: float  # the part of it spent in the kernel (socket, page cache, fsync)
    client_ms: float


def run_target(name: str, args: argparse.Namespace, base: bytes) -> Row:
    """One storm against a fresh server: `sqlite`, `postgresql`, or a baseline (`bare`, `durable`)."""
    tmp = Path(tempfile.mkdtemp(prefix=f"tally-bench-{name}-"))
    pg_name = f"tally_bench_{os.getpid()}"
    officers = [(f"t{i}", f"3173041007{i + 1:03d}") for i in range(args.clients)]
    url = f"sqlite:///{tmp / 'tally.sqlite3'}"
    if name == "postgresql":
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{pg_name}"')
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{pg_name}"
    try:
        if name in BACKENDS:
            tokens = seed(url, args.clients)
            officers = [(tok, tps) for tok, (_, tps) in zip(tokens, officers, strict=True)]
        port = free_port()
        server = start_server("tally" if name in BACKENDS else name, url, tmp, port, args.api_workers)
        try:
            user0, sys0 = tree_cpu_s(server.pid)
            r = storm(port, base, args.uploads, officers, args.client_processes, pages=3)
            user1, sys1 = tree_cpu_s(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        if name == "postgresql":
            with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        subprocess.run(["rm", "-rf", str(tmp)], check=False)
    lat_ms = sorted(x * 1000 for x in r.latencies) or [float("nan")]
    accepted = max(1, len(r.latencies))
    return Row(
        name,
        len(r.latencies) / r.elapsed,
        statistics.median(lat_ms),
        lat_ms[min(len(lat_ms) - 1, int(len(lat_ms) * 0.99))],
        sum(v for k, v in r.statuses.items() if k != 202),
        (user1 - user0 + sys1 - sys0) / accepted * 1000,
        (sys1 - sys0) / accepted * 1000,
        r.client_cpu_s / accepted * 1000,
    )


def drain_rate(base: bytes, n: int = 20) -> tuple[float, str]:
    """Photos per second one reader thread gets through (the real `ocr.reader.PhotoReader`)."""
    from tally.worker import load_reader

    reader = load_reader("ocr.reader:PhotoReader")
    if reader is None:
        return 0.0, "ocr.reader not installed"
    photos = [unique(base, 10_000 + i) for i in range(n)]
    t0 = time.perf_counter()
    outcomes = [reader.read(p).rejected is not None for p in photos]
    rate = n / (time.perf_counter() - t0)
    return rate, f"{sum(outcomes)}/{n} refused at the quality gate (noise photos, not forms)"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--uploads", type=int, default=1500)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--backends", default=",".join(BACKENDS))
    ap.add_argument("--baselines", default="bare,durable", help="'' skips the upper-bound rows")
    ap.add_argument("--api-workers", type=int, default=2, help="API processes (tally serve --api-workers)")
    ap.add_argument("--client-processes", type=int, default=2)
    ap.add_argument("--no-drain", action="store_true", help="skip the OCR drain measurement")
    args = ap.parse_args()
    base = photo_1mb(1)
    print(
        f"photo: {len(base) / 1e6:.2f} MB, {args.uploads} uploads per row, {args.clients} clients in "
        f"{args.client_processes} processes, {args.api_workers} API processes, {os.cpu_count()} cores "
        "shared by client and server"
    )
    print(
        f"{'row':<12}{'uploads/s':>10}{'target':>8}{'p50 ms':>9}{'p99 ms':>9}{'target':>8}{'refused':>9}"
        f"{'server CPU (kernel)':>22}{'client CPU':>12}"
    )
    names = [n for n in args.baselines.split(",") if n] + [n for n in args.backends.split(",") if n]
    for name in names:
        r = run_target(name, args, base)
        print(
            f"{name:<12}{r.rate:>10.0f}{TARGET_RATE:>8.0f}{r.p50:>9.0f}{r.p99:>9.0f}{TARGET_P99_MS:>8.0f}"
            f"{r.refused:>9d}{r.server_ms:>9.2f} ms ({r.server_sys_ms:5.2f} ms){r.client_ms:>9.2f} ms",
            flush=True,
        )
    print("CPU: per accepted upload; server = every API process (not PostgreSQL's own), kernel part in ()")
    if not args.no_drain:
        rate, note = drain_rate(base)
        print(f"OCR drain, one worker thread: {rate:.1f} photos/s ({note})")


if __name__ == "__main__":
    main()
