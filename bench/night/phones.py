"""The KPPS phones, over loopback through the real API with their own device tokens.

Each TPS's phone sends its photos when its story says (hours compressed into seconds), over a failing link:
a share of attempts drop mid-body (the connection cut while the JPEG streams), a share time out before the
answer, every failure is retried with exponential backoff and jitter (the API may be down: connection refused,
503), and a share of accepted photos is sent once more (a phone unsure it went). Then the KPPS waits for the
reading, retakes any page the reader refused, reads every doubted field blind from the paper (the truth, with
`typo` and wrong-row slips), looks again when asked, and presses "Periksa & kirim".
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from bench.kpps import typo

from .election import Album, Shot, TpsPlan

BUSY = {0, 429, 500, 502, 503, 504}  # 0: no answer (refused, reset, timed out)
PAGE_OF: dict[str, int] = {}  # field → page, filled from the contest
CALL_ERRORS: dict[int, int] = {}  # answers to API calls (not uploads) that were retried, by status


@dataclass
class Link:
    """How bad the phones' links are, and how people slip."""

    drop: float = 0.05  # attempts cut mid-body
    timeout: float = 0.03  # attempts that give up before the answer
    duplicate: float = 0.1  # accepted photos sent once more
    typo: float = 0.02  # blind answers with a keypad slip
    wrong_row: float = 0.01  # blind answers copied from another row of the page
    think_s: float = 8.0  # simulated seconds a person spends on a field
    speed: float = 600.0  # simulated seconds per wall second


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    sends: int = 0
    retries: int = 0
    drops: int = 0
    timeouts: int = 0
    duplicates: int = 0
    answers: dict[int, int] = field(default_factory=dict)
    retakes: int = 0
    kpps_typed: int = 0
    kpps_slipped: int = 0
    kpps_seconds: float = 0.0  # simulated
    sent: dict[str, list[str]] = field(default_factory=dict)  # TPS → sha256 of every distinct photo sent
    done_at: dict[str, float] = field(default_factory=dict)  # TPS → wall seconds when its KPPS finished


def blind(truth: dict[str, int], name: str, rng: random.Random, link: Link) -> tuple[int, bool]:
    """What an officer types for `name` looking at the paper: (number, slipped)."""
    true = truth[name]
    roll = rng.random()
    if roll < link.wrong_row:
        rows = [n for n in truth if n != name and PAGE_OF.get(n) == PAGE_OF.get(name) and truth[n] != true]
        if rows:
            return truth[rng.choice(rows)], True
    if roll < link.wrong_row + link.typo:
        v = int(str(typo(true, rng))[:3])  # the input takes three digits (maxlength 3): a fourth is lost
        return v, v != true
    return true, False


async def call(
    http: httpx.AsyncClient, method: str, url: str, token: str, stats: Stats | None = None, **kw: Any
) -> httpx.Response:
    """One API call, retried while the service is away (a phone or a browser would); other answers return."""
    headers = {"Authorization": f"Bearer {token}", **kw.pop("headers", {})}
    for attempt in range(60):
        try:
            r = await http.request(method, url, headers=headers, **kw)
        except httpx.HTTPError:
            code = 0
        else:
            code = r.status_code
            if code not in BUSY:
                return r
        CALL_ERRORS[code] = CALL_ERRORS.get(code, 0) + 1
        if stats is not None:
            stats.retries += 1
        await asyncio.sleep(min(4.0, 0.1 * 2**attempt) * random.uniform(0.5, 1.0))
    raise RuntimeError(f"{method} {url}: the service did not come back")


class Phone:
    def __init__(self, http: httpx.AsyncClient, album: Album, link: Link, stats: Stats) -> None:
        self.http, self.album, self.link, self.stats = http, album, link, stats

    async def upload(self, token: str, tps: str, page: int, body: bytes, rng: random.Random) -> int:
        sha = hashlib.sha256(body).hexdigest()
        url = f"/api/v1/tps/{tps}/pages/{page}/photos/{sha}"
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "image/jpeg"}
        s = self.stats
        for attempt in range(80):
            s.sends += 1
            roll = rng.random()
            t = time.perf_counter()
            try:
                if roll < self.link.drop:  # the link dies halfway through the body
                    s.drops += 1
                    await self.http.put(url, content=_cut(body), headers=headers)
                    code = -1
                else:
                    timeout = 0.05 if roll < self.link.drop + self.link.timeout else 60.0
                    r = await self.http.put(url, content=body, headers=headers, timeout=timeout)
                    code = r.status_code
            except httpx.TimeoutException:
                s.timeouts += 1
                code = 0
            except (httpx.HTTPError, _Cut):
                code = 0
            s.answers[code] = s.answers.get(code, 0) + 1
            if code in (200, 202):
                s.latencies.append(time.perf_counter() - t)
                s.sent.setdefault(tps, []).append(sha)
                return code
            if code not in BUSY and code != -1:
                raise RuntimeError(f"upload refused: {code} {r.text}")
            s.retries += 1
            await asyncio.sleep(min(3.0, 0.1 * 2**attempt) * rng.uniform(0.5, 1.0))
        raise RuntimeError("upload: gave up")

    async def night(self, plan: TpsPlan, token: str, t0: float, on_done: Callable[[str], None]) -> None:
        rng = random.Random(int(plan.id))
        speed = self.link.speed
        sent: dict[int, int] = {}  # page → highest k sent
        for shot in sorted(plan.shots, key=lambda s: s.at_h):
            await _until(t0 + shot.at_h * 3600 / speed)
            await self._send(plan, token, shot, rng)
            sent[shot.page] = max(sent.get(shot.page, -1), shot.k)
        # The KPPS waits for the reading; a page the reader refused is photographed again.
        for _ in range(6):
            status = await self._read(plan.id, token)
            # Refused by the reader, or not read at all ("Foto gagal dibaca berulang kali"): the KPPS
            # photographs the page again.
            done = set(status["pages_received_read"])
            refused = {p["page"] for p in status["photos"] if p["status"] in ("rejected", "failed")} - done
            if not refused:
                break
            for page in sorted(refused):
                shot = Shot(page, sent[page] + 1, "clean", 0.0)
                sent[page] = shot.k
                self.stats.retakes += 1
                await self._send(plan, token, shot, rng)
        await self.answer_doubts(plan, token, rng)
        r = await call(self.http, "POST", f"/api/v1/tps/{plan.id}/confirmation", token, self.stats)
        assert r.status_code in (200, 409), r.text  # 409: a doubt the KPPS cannot settle waits for the PPS
        self.stats.done_at[plan.id] = time.perf_counter() - t0
        on_done(plan.id)

    async def _send(self, plan: TpsPlan, token: str, shot: Shot, rng: random.Random) -> None:
        body = await asyncio.get_running_loop().run_in_executor(None, self.album.photo, plan.id, shot)
        await self.upload(token, plan.id, shot.page, body, rng)
        if rng.random() < self.link.duplicate:  # unsure it went: sent again, never stored twice
            self.stats.duplicates += 1
            assert await self.upload(token, plan.id, shot.page, body, rng) == 200

    async def _read(self, tps: str, token: str) -> dict[str, Any]:
        """The TPS once none of its photos waits for the reader."""
        while True:
            r = await call(self.http, "GET", f"/api/v1/tps/{tps}", token, self.stats)
            assert r.status_code == 200, r.text
            status: dict[str, Any] = r.json()
            if all(p["status"] not in ("queued", "reading") for p in status["photos"]):
                status["pages_received_read"] = [
                    p["page"] for p in status["photos"] if p["status"] not in ("rejected", "failed", "held")
                ]
                return status
            await asyncio.sleep(random.uniform(1.5, 4.5))  # the page polls every few seconds

    async def answer_doubts(self, plan: TpsPlan, token: str, rng: random.Random) -> None:
        """Every doubt the KPPS is shown, typed blind from the paper, a second look when asked."""
        for _ in range(4):
            r = await call(self.http, "GET", f"/api/v1/tps/{plan.id}/doubts", token, self.stats)
            doubts = r.json()["doubts"]
            if not doubts:
                return
            for d in doubts:
                value, slipped = blind(plan.truth, d["field"], rng, self.link)
                await asyncio.sleep(self.link.think_s / self.link.speed)
                self.stats.kpps_typed += 1
                self.stats.kpps_slipped += slipped
                self.stats.kpps_seconds += self.link.think_s
                out = await call(
                    self.http,
                    "POST",
                    f"/api/v1/tps/{plan.id}/doubts/{d['field']}",
                    token,
                    self.stats,
                    json={"value": value},
                )
                assert out.status_code in (200, 409), (
                    out.text
                )  # 409: its answer went through, lost with the API


class _Cut(Exception):
    pass


async def _cut(body: bytes) -> AsyncIterator[bytes]:
    yield body[: len(body) // 2]
    await asyncio.sleep(0.01)
    raise _Cut("link lost")


async def _until(at: float) -> None:
    delay = at - time.perf_counter()
    if delay > 0:
        await asyncio.sleep(delay)
