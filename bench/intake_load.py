"""A lean HTTP/1.1 load generator for bench/intake.py: raw asyncio streams on uvloop, in several processes.

httpx costs ~1 ms of client CPU per 1 MB upload on the same two cores the server runs on; a keep-alive
connection that writes a prebuilt request head and the body, then reads the answer's head and body, costs a
fraction of that, so more of the machine is left to the server being measured.

Each process builds and hashes its share of the bodies BEFORE the start signal, so neither appears in the
measured time. Each connection plays one officer (one token, one TPS) as in the field.
"""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing as mp
import resource
import time
from dataclasses import dataclass
from multiprocessing.synchronize import Barrier

import uvloop


@dataclass(frozen=True)
class Job:
    port: int
    base: bytes
    first: int  # upload numbers first, first + step, … below stop
    step: int
    stop: int
    officers: list[tuple[str, str]]  # (token, tps id), one connection each
    pages: int


def unique(base: bytes, n: int) -> bytes:
    """The same picture with a distinct JPEG comment segment: a different SHA-256, still a valid JPEG."""
    text = f"tally-bench-{n}".encode()
    return base[:2] + b"\xff\xfe" + (len(text) + 2).to_bytes(2, "big") + text + base[2:]


async def _read_answer(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def _storm(job: Job, go: Barrier) -> tuple[list[float], dict[int, int], float, float]:
    work: asyncio.Queue[tuple[int, bytes, str]] = asyncio.Queue()
    for n in range(job.first, job.stop, job.step):
        body = unique(job.base, n)
        work.put_nowait((n, body, hashlib.sha256(body).hexdigest()))
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def officer(token: str, tps: str) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", job.port)
        auth = f"Authorization: Bearer {token}\r\nContent-Type: image/jpeg\r\n"
        try:
            while not work.empty():
                n, body, sha = work.get_nowait()
                head = (
                    f"PUT /api/v1/tps/{tps}/pages/{1 + n % job.pages}/photos/{sha} HTTP/1.1\r\n"
                    f"Host: 127.0.0.1\r\n{auth}Content-Length: {len(body)}\r\n\r\n"
                ).encode()
                t = time.perf_counter()
                writer.write(head)
                writer.write(body)
                status = await _read_answer(reader)
                elapsed = time.perf_counter() - t
                statuses[status] = statuses.get(status, 0) + 1
                if status == 202:
                    latencies.append(elapsed)
        finally:
            writer.close()

    await asyncio.get_running_loop().run_in_executor(None, go.wait)  # all bodies ready
    cpu0, t0 = _cpu(), time.perf_counter()
    await asyncio.gather(*(officer(tok, tps) for tok, tps in job.officers))
    return latencies, statuses, time.perf_counter() - t0, _cpu() - cpu0


def _cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def _run(job: Job, go: Barrier, out: mp.Queue[tuple[list[float], dict[int, int], float, float]]) -> None:
    out.put(uvloop.run(_storm(job, go)))


@dataclass
class Result:
    latencies: list[float]
    statuses: dict[int, int]
    elapsed: float
    client_cpu_s: float


def storm(
    port: int, base: bytes, uploads: int, officers: list[tuple[str, str]], processes: int, pages: int
) -> Result:
    """`uploads` distinct photos through `len(officers)` keep-alive connections spread over processes."""
    ctx = mp.get_context("fork")
    go, out = ctx.Barrier(processes + 1), ctx.Queue()
    procs = [
        ctx.Process(
            target=_run,
            args=(Job(port, base, p, processes, uploads, officers[p::processes], pages), go, out),
        )
        for p in range(processes)
    ]
    for p in procs:
        p.start()
    go.wait()  # returns when every process has built and hashed its bodies
    t0 = time.perf_counter()
    parts = [out.get() for _ in procs]
    elapsed = time.perf_counter() - t0
    for p in procs:
        p.join()
    statuses: dict[int, int] = {}
    for _, st, _, _ in parts:
        for k, v in st.items():
            statuses[k] = statuses.get(k, 0) + v
    return Result(
        [x for lat, _, _, _ in parts for x in lat],
        statuses,
        max(elapsed, *(e for _, _, e, _ in parts)) if parts else elapsed,
        sum(c for _, _, _, c in parts),
    )
