"""Election-night storm with faults: N uploads from T simulated TPS over loopback (retries, duplicate
sends), while the API process and an OCR worker are SIGKILLed and restarted and PostgreSQL is restarted
once. Then:
every photo stored once, every photo read once (one reading, one sheet), every total equal to the truth.

    .venv/bin/python bench/storm.py [--uploads 10000] [--tps 2000] [--clients 64] [--no-pg-restart]

Real parts: uvicorn (`tally serve`), `tally worker` with the Redis queue, PostgreSQL (a temporary database).
The OCR is a light reader (`StormReader`, below) that reads the truth the photo carries in a JPEG comment:
the real `ocr.reader.PhotoReader` takes ~1 s of CPU per photo, so 10,000 photos would take hours on 2 cores.
Everything between the bytes and the totals (intake, queue, leases, apply, sheets, reconcile, recap) is real.
"""

# ruff: noqa: E402  (the path fix below must run before the imports)
from __future__ import annotations

import sys
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import asyncio
import hashlib
import io
import json
import os
import random
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

import httpx
import numpy as np
import psycopg
from PIL import Image

READER = """
import json
from ocr.reading import FieldReading, Reading

class StormReader:
    model_version = "storm-1"

    def read(self, jpeg, *, tps=None):
        at = jpeg.index(b"tally-storm:")
        end = jpeg.index(b"\\xff", at)
        truth = json.loads(jpeg[at + 12 : end])
        fields = {k: FieldReading(name=k, value=v, confidence=0.99, status="accepted")
                  for k, v in truth["fields"].items()}
        return Reading(page=truth["page"], fields=fields, model_version=self.model_version, tps=truth["tps"])
"""
ADMIN = "host=127.0.0.1 user=postgres dbname=postgres"
KEC = "31.73.04"
PER_DESA = 20


def base_photo() -> bytes:
    rng = np.random.default_rng(7)
    img = Image.fromarray(rng.integers(0, 255, size=(60, 80, 3), dtype=np.uint8)).resize((640, 480))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=80)
    return out.getvalue()  # ~60 KB: small, real


def with_truth(base: bytes, truth: dict[str, object]) -> bytes:
    text = b"tally-storm:" + json.dumps(truth, separators=(",", ":")).encode()
    return base[:2] + b"\xff\xfe" + (len(text) + 2).to_bytes(2, "big") + text + base[2:]


def tps_ids(n: int) -> list[str]:
    return [f"317304{1001 + i // PER_DESA:04d}{1 + i % PER_DESA:03d}" for i in range(n)]


def seed(url: str, n_tps: int) -> tuple[list[str], list[str], str, dict[str, dict[str, int]]]:
    """Regions, TPS, one KPPS token per TPS, a KPU token, and the true consistent sheet of each TPS."""
    from reconcile.contest import builtin_contest
    from reconcile.ids import RegionCode
    from reconcile.synth import sheets_for
    from tally.auth.scope import Role
    from tally.auth.service import _grant, activate, issue_codes
    from tally.db.base import make_engine, migrate, session_factory
    from tally.db.regions import RegionRow, TpsRow
    from tally.election.store import save_contest

    migrate(url)
    contest = builtin_contest("ppwp-2024")
    ids = tps_ids(n_tps)
    dpt = np.random.default_rng(1).integers(150, 300, n_tps)
    table = sheets_for(contest, np.array([int(t) for t in ids]), dpt, np.random.default_rng(2))
    truth = {
        t: {fd.name: int(table.values[i, j]) for j, fd in enumerate(contest.fields)}
        for i, t in enumerate(ids)
    }
    engine = make_engine(url)
    with session_factory(engine)() as s, s.begin():
        s.add_all([RegionRow(code="31", name="DKI", level=1, parent=None),
                   RegionRow(code="31.73", name="JAKBAR", level=2, parent="31"),
                   RegionRow(code=KEC, name="TAMBORA", level=3, parent="31.73")])  # fmt: skip
        desas = sorted({f"{KEC}.{t[6:10]}" for t in ids})
        s.add_all(RegionRow(code=d, name=d, level=4, parent=KEC) for d in desas)
        s.flush()
        s.add_all(
            TpsRow(id=t, desa=f"{KEC}.{t[6:10]}", number=int(t[10:]), dpt=int(dpt[i]))
            for i, t in enumerate(ids)
        )
        save_contest(s.connection(), contest)
        s.flush()
        tokens = []
        for d in desas:
            tokens += [activate(s, c.code)[0] for c in issue_codes(s, RegionCode(d), "storm")]
        kpu, _ = _grant(s, Role.KPU, "", "kpu:storm")
    engine.dispose()
    return ids, tokens, kpu, truth


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    """The API process and one worker process, started (and SIGKILLed) like an operator's supervisor would."""

    env: dict[str, str]
    port: int
    api: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None
    log: list[str] = field(default_factory=list)

    def _spawn(self, args: list[str]) -> subprocess.Popen[bytes]:
        code = f"from tally.cli.main import app; app({args!r})"
        return subprocess.Popen([sys.executable, "-c", code], env=self.env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)  # fmt: skip

    def start_api(self) -> None:
        self.api = self._spawn(["serve", "--workers", "0"])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise SystemExit("API did not start")

    def start_worker(self) -> None:
        self.worker = self._spawn(["worker", "--threads", "2"])

    def kill(self, which: str) -> None:
        proc = self.api if which == "api" else self.worker
        assert proc is not None
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        self.log.append(f"SIGKILL {which} (pid {proc.pid})")

    def stop(self) -> None:
        for proc in (self.api, self.worker):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=60)


def restart_postgres() -> float:
    version = os.listdir("/etc/postgresql")[0]
    t = time.perf_counter()
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True)
    return time.perf_counter() - t


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    sends: int = 0
    retries: int = 0
    duplicates: int = 0
    answers: dict[int, int] = field(default_factory=dict)


async def send_all(port: int, work: list[tuple[str, str, int, bytes]], clients: int, stats: Stats,
                   on_progress: object) -> None:  # fmt: skip
    """Every (token, tps, page, photo) until accepted; 1 in 10 is sent again afterwards (a phone unsure)."""
    queue: asyncio.Queue[tuple[str, str, int, bytes]] = asyncio.Queue()
    for item in work:
        queue.put_nowait(item)
    rng = random.Random(3)
    done = 0

    async def put(http: httpx.AsyncClient, token: str, tps: str, page: int, body: bytes) -> int:
        sha = hashlib.sha256(body).hexdigest()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "image/jpeg"}
        for attempt in range(200):
            stats.sends += 1
            t = time.perf_counter()
            try:
                r = await http.put(
                    f"/api/v1/tps/{tps}/pages/{page}/photos/{sha}", content=body, headers=headers
                )
            except httpx.HTTPError:
                code = 0  # connection refused or reset: the API is down
            else:
                code = r.status_code
            stats.answers[code] = stats.answers.get(code, 0) + 1
            if code in (200, 202):
                stats.latencies.append(time.perf_counter() - t)
                return code
            if 400 <= code < 500 and code != 429:
                raise SystemExit(f"refused: {code} {r.text}")
            stats.retries += 1
            await asyncio.sleep(min(2.0, 0.05 * 2**attempt) * rng.uniform(0.5, 1.0))
        raise SystemExit("gave up")

    async def client() -> None:
        nonlocal done
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            while not queue.empty():
                token, tps, page, body = queue.get_nowait()
                await put(http, token, tps, page, body)
                if rng.random() < 0.1:
                    stats.duplicates += 1
                    assert await put(http, token, tps, page, body) == 200  # a duplicate is never stored twice
                done += 1
                on_progress(done)  # type: ignore[operator]

    await asyncio.gather(*(client() for _ in range(clients)))


def faults(cluster: Cluster, progress: list[int], total: int, pg_restart: bool, stop: list[bool]) -> None:
    """At fixed fractions of the uploads: kill the API, kill a worker, restart PostgreSQL, kill both."""
    plan = [(0.2, "api"), (0.35, "worker"), (0.5, "postgres"), (0.7, "both")]
    for at, what in plan:
        while progress[0] < at * total and not stop[0]:
            time.sleep(0.05)
        if stop[0]:
            return
        if what == "postgres":
            if pg_restart:
                cluster.log.append(f"PostgreSQL restarted in {restart_postgres():.1f} s")
            continue
        for which in ("api", "worker") if what == "both" else (what,):
            cluster.kill(which)
        time.sleep(1.0)  # a supervisor's restart delay: the phones see the API gone meanwhile
        if what in ("api", "both"):
            cluster.start_api()
        if what in ("worker", "both"):
            cluster.start_worker()


def drain(url: str, timeout_s: float) -> tuple[float, int]:
    """Seconds until no OCR job is left undone (or the timeout), and how many are left."""
    t0 = time.perf_counter()
    left = -1
    while time.perf_counter() - t0 < timeout_s:
        try:
            with psycopg.connect(url) as db:
                row = db.execute("SELECT count(*) FROM ocr_job WHERE state <> 'done'").fetchone()
            left = int(row[0]) if row else -1
        except psycopg.OperationalError:
            left = -1
        if left == 0:
            break
        time.sleep(1.0)
    return time.perf_counter() - t0, left


def verify(
    url: str, store: Path, uploads: int, port: int, kpu: str, truth: dict[str, dict[str, int]]
) -> dict[str, object]:
    with psycopg.connect(url) as db:
        photos = db.execute("SELECT count(*) FROM photo").fetchone()[0]  # type: ignore[index]
        per_photo = db.execute("SELECT count(*) FROM reading GROUP BY photo_sha256").fetchall()
        sheets = db.execute("SELECT count(*) FROM sheet WHERE source = 'ocr'").fetchone()[0]  # type: ignore[index]
        read = db.execute("SELECT count(*) FROM photo WHERE status = 'read'").fetchone()[0]  # type: ignore[index]
        size = db.execute("SELECT pg_database_size(current_database())").fetchone()[0]  # type: ignore[index]
        tables = db.execute(
            "SELECT relname, pg_total_relation_size(relid) FROM pg_statio_user_tables ORDER BY 2 DESC LIMIT 6"
        ).fetchall()
    files = sum(1 for p in store.rglob("*.jpg") if p.relative_to(store).parts[0] != "tmp")
    leftovers = sum(1 for _ in (store / "tmp").glob("*.part"))
    recap = httpx.get(f"http://127.0.0.1:{port}/api/v1/regions/nasional/recap",
                      headers={"Authorization": f"Bearer {kpu}"}, timeout=60).json()  # fmt: skip
    want_paslon = {str(i + 1): sum(t[f"suara_paslon_{i + 1}"] for t in truth.values()) for i in range(3)}
    want_sah = sum(t["suara_sah"] for t in truth.values())
    return {
        "photos stored (rows)": photos,
        "photo files": files,
        "spool leftovers (killed mid-upload, swept at next start)": leftovers,
        "lost (uploads without a reading)": uploads - len(per_photo),
        "doubled (photos read twice)": sum(1 for (n,) in per_photo if n > 1),
        "sheets from OCR": sheets,
        "photos with status read": read,
        "TPS counted / expected": f"{recap['tps_counted']} / {recap['tps_expected']}",
        "paslon totals == truth": recap["paslon"] == want_paslon,
        "suara_sah == truth": recap["totals"]["suara_sah"] == want_sah,
        "database MB (whole, incl. empty schema)": round(size / 1e6, 1),
        "largest tables MB": {t: round(b / 1e6, 1) for t, b in tables},
        "paslon (recap)": recap["paslon"],
        "paslon (truth)": want_paslon,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--uploads", type=int, default=10_000)
    ap.add_argument("--tps", type=int, default=2_000)
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    ap.add_argument("--no-pg-restart", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tally-storm-"))
    (tmp / "storm_reader.py").write_text(READER)
    name = f"tally_storm_{os.getpid()}"
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    raw_url = f"host=127.0.0.1 user=postgres dbname={name}"
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(tmp), "TALLY_DATABASE_URL": url, "TALLY_DATA_DIR": str(tmp),
           "TALLY_PORT": str(port), "TALLY_QUEUE_URL": args.redis,
           "TALLY_OCR_READER": "storm_reader:StormReader",
           "TALLY_OCR_LEASE_S": "10", "TALLY_RATE_PER_S": "100000", "TALLY_RATE_BURST": "100000",
           "TALLY_EMBEDDED_WORKERS": "0", "TALLY_ENVIRONMENT": "test"}  # fmt: skip
    cluster = Cluster(env, port)
    try:
        ids, tokens, kpu, truth = seed(url, args.tps)
        contest_pages = {1: [], 2: [], 3: []}  # type: dict[int, list[str]]
        from reconcile.contest import builtin_contest

        for fd in builtin_contest("ppwp-2024").fields:
            contest_pages[fd.page].append(fd.name)
        base = base_photo()
        work = []
        for k in range(args.uploads):  # photo k: TPS k mod T, pages 1,2,3 then re-photographs
            i, shot = k % len(ids), k // len(ids)
            page = 1 + shot % 3
            fields = {f: truth[ids[i]][f] for f in contest_pages[page]}
            body = with_truth(base, {"tps": ids[i], "page": page, "shot": shot, "fields": fields})
            work.append((tokens[i], ids[i], page, body))
        random.Random(5).shuffle(work)
        cluster.start_api()
        cluster.start_worker()
        stats, progress, stop = Stats(), [0], [False]
        import threading

        chaos = threading.Thread(
            target=faults, args=(cluster, progress, args.uploads, not args.no_pg_restart, stop)
        )
        chaos.start()
        t0 = time.perf_counter()
        try:
            asyncio.run(send_all(port, work, args.clients, stats, lambda n: progress.__setitem__(0, n)))
        finally:
            stop[0] = True
            chaos.join()
        elapsed = time.perf_counter() - t0
        drained, left = drain(raw_url, timeout_s=max(300.0, args.uploads / 5))
        result = verify(raw_url, tmp / "photos", args.uploads, port, kpu, truth)
        lat = sorted(x * 1000 for x in stats.latencies)
        print(
            f"storm: {args.uploads} uploads from {args.tps} TPS, {args.clients} clients, "
            f"{os.cpu_count()} cores"
        )
        for line in cluster.log:
            print(f"  fault: {line}")
        print(f"  uploads/s (accepted, incl. outages): {args.uploads / elapsed:.0f}")
        print(f"  p50 / p99 ms: {lat[len(lat) // 2]:.0f} / {lat[int(len(lat) * 0.99)]:.0f}")
        print(
            f"  sends {stats.sends}, retries {stats.retries}, duplicate sends {stats.duplicates}, "
            f"answers {stats.answers}"
        )
        print(f"  OCR drained {drained:.0f} s after the last upload ({left} jobs left)")
        for key, value in result.items():
            print(f"  {key}: {value}")
    finally:
        cluster.stop()
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        subprocess.run(["rm", "-rf", str(tmp)], check=False)


if __name__ == "__main__":
    main()
