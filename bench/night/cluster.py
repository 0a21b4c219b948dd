"""The system under test: a temporary PostgreSQL database, a Redis database of its own, `tally serve` with
several API processes, and `tally worker` processes running the real reader (`ocr.reader:PhotoReader`).

`bench/storm.py`'s `Cluster` starts and SIGKILLs them; here the API is a process group (uvicorn's master and
its API processes: killing the node kills them all, as a machine failing would) and there are several
single-thread worker processes, of which `kill("worker")` kills one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis
from bench.storm import ADMIN, Cluster


@dataclass
class Cpu:
    """CPU seconds of processes, sampled from /proc, kept for processes that have died since."""

    seen: dict[int, float] = field(default_factory=dict)

    def sample(self, pids: list[int]) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        for pid in pids:
            try:
                stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            # utime, stime, cutime, cstime: fields 14–17 (11–14 after the name)
            self.seen[pid] = sum(int(x) for x in stat[11:15]) / tick

    def total(self) -> float:
        return sum(self.seen.values())


@dataclass
class NightCluster(Cluster):
    workers: int = 2
    others: list[subprocess.Popen[bytes]] = field(default_factory=list)
    api_cpu: Cpu = field(default_factory=Cpu)
    ocr_cpu: Cpu = field(default_factory=Cpu)

    def _spawn(self, args: list[str]) -> subprocess.Popen[bytes]:
        code = f"from tally.cli.main import app; app({args!r})"
        log = open(Path(self.env["TALLY_DATA_DIR"]) / f"{args[0]}.log", "ab")  # noqa: SIM115
        return subprocess.Popen(
            [sys.executable, "-c", code], env=self.env, stdout=log, stderr=log, start_new_session=True
        )

    def start_worker(self) -> None:
        self.worker = self._spawn(["worker", "--threads", "1"])
        while len(self.others) < self.workers - 1:
            self.others.append(self._spawn(["worker", "--threads", "1"]))

    def pids(self, which: str) -> list[int]:
        """The live processes of the API node (master and children) or of the OCR workers."""
        procs = [self.api] if which == "api" else [self.worker, *self.others]
        out = []
        for p in procs:
            if p is None or p.poll() is not None:
                continue
            out.append(p.pid)
            try:
                kids = Path(f"/proc/{p.pid}/task/{p.pid}/children").read_text().split()
            except FileNotFoundError:
                kids = []
            out += [int(k) for k in kids]
        return out

    def sample_cpu(self) -> None:
        self.api_cpu.sample(self.pids("api"))
        self.ocr_cpu.sample(self.pids("worker"))

    def kill(self, which: str) -> None:
        self.sample_cpu()  # what it used until now
        proc = self.api if which == "api" else self.worker
        assert proc is not None
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        self.log.append(
            f"SIGKILL {which} (pid {proc.pid}{' and its API processes' if which == 'api' else ''})"
        )

    def stop(self) -> None:
        self.sample_cpu()
        for proc in (self.api, self.worker, *self.others):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)


def free_redis_db(first: int = 9) -> str:
    """A Redis database nobody uses now (the queue's keys have a fixed prefix: runs must not share one),
    claimed with a marker key so that another run started meanwhile passes it by (an idle queue is empty)."""
    for db in range(first, 16):
        r = redis.Redis(host="127.0.0.1", port=6379, db=db)
        if r.dbsize() == 0 and r.set("election-night:owner", os.getpid(), nx=True):
            return f"redis://127.0.0.1:6379/{db}"
    raise SystemExit(f"no empty Redis database between {first} and 15")


def create_database(name: str) -> str:
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def drop_database(name: str, queue_url: str) -> None:
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    redis.Redis.from_url(queue_url).flushdb()


def wait_ready(port: int, timeout_s: float = 90.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("API did not become ready")
