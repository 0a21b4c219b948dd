"""The officers after the phones: the PPS of each kelurahan/desa, and the PPK keying the D.Hasil.

PPS (through the API, logged in with `POST /api/v1/auth/login`): as each TPS's KPPS presses "Periksa &
kirim", the kelurahan's first PPS reads every field still in doubt blind from the crop
(`POST /api/v1/tps/{tps}/doubts/{field}`); a number other than the machine's opens a correction, which the
second PPS approves by typing the same number blind; a third PPS decides where the first two differ (one of
them slipped). Think time per field is simulated (slept at `think_s / speed`), and reported at `think_s`.

Some fields never reach the API's doubts: the doubts route lists only the fields the newest OCR sheet holds in
review, so a field named by a flag of the TPS (two decodes of its pages that disagree: `upload_conflict`; an
arithmetic check) is worked on the PPS's review page, as a PPS would: `POST /petugas/pps/tps/{tps}/periksa`
(`kolom`, `angka`) with the web session and its CSRF token, the first PPS typing what the paper says and a
second PPS the same number (the approval). The report counts those fields apart.

PPK (through the API, `PUT /api/v1/regions/{kecamatan}/dhasil`, the route a phone app uses; the page's form
calls the same `tally.review.keying.key_in`): one audit entry per save, mismatch flags stored. The PPK
keys every number of each kelurahan row from the truth with ONE deliberate slip (a digit off) which must come
back as a mismatch; then keys the right number and the mismatches must be gone.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx

from reconcile.contest import builtin_contest
from tally.election.dhasil import dhasil_fields
from tally.web.csrf import session_token

from .election import TpsPlan
from .office import PASSWORD
from .phones import Link, blind, call


@dataclass
class PpsStats:
    typed: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # desa → fields typed
    second: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # desa → by a 2nd/3rd PPS
    slipped: int = 0
    officers: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # TPS → PPS who typed
    left: dict[str, int] = field(default_factory=dict)  # TPS → doubts no PPS could settle
    web: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # desa → fields typed on the page
    approvals: int = 0  # changes a second PPS approved or refused on the page, side by side
    swept: int = 0  # TPS looked at again from the kelurahan's queue after the first pass
    done_at: dict[str, float] = field(default_factory=dict)


async def login(http: httpx.AsyncClient, username: str) -> str:
    for _ in range(60):
        try:
            r = await http.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
        except httpx.HTTPError:
            await asyncio.sleep(0.5)
            continue
        if r.status_code == 201:
            return str(r.json()["token"])
        await asyncio.sleep(float(r.headers.get("Retry-After", "0.5")) * random.uniform(0.2, 1.0))
    raise RuntimeError(f"{username} could not log in")


async def kelurahan(
    http: httpx.AsyncClient,
    desa: str,
    names: list[str],
    plans: dict[str, TpsPlan],
    ready: asyncio.Queue[str],
    count: int,
    link: Link,
    pps_typo: float,
    stats: PpsStats,
    clock: Any,
) -> None:
    """One kelurahan's PPS team through the night: each TPS as its KPPS sends it, until `count` are done."""
    tokens = [await login(http, n) for n in names]
    people = Link(typo=pps_typo, wrong_row=0.0, think_s=link.think_s, speed=link.speed)
    for _ in range(count):
        tps = await ready.get()
        await one_tps(http, desa, names, tokens, plans[tps], link, people, stats)
        stats.done_at[tps] = clock()
    # Then the team works its queue, as a PPS does: a TPS not counted yet (a page came in late and was read
    # after their pass, a decode raised a new doubt) is looked at again, up to SWEEPS times.
    for _ in range(SWEEPS):
        waiting = [
            t for t in sorted(plans) if plans[t].desa == desa and not await counted(http, t, tokens[0])
        ]
        if not waiting:
            break
        await asyncio.sleep(link.think_s / link.speed * 10)  # the late pages' readings settle meanwhile
        for tps in waiting:
            stats.swept += 1
            await one_tps(http, desa, names, tokens, plans[tps], link, people, stats)
            stats.done_at[tps] = clock()


SWEEPS = 5


async def one_tps(
    http: httpx.AsyncClient,
    desa: str,
    names: list[str],
    tokens: list[str],
    plan: TpsPlan,
    link: Link,
    people: Link,
    stats: PpsStats,
) -> None:
    """The kelurahan's PPS on one TPS: each in turn reads what the API still offers them, blind."""
    tps = plan.id
    rng = random.Random(int(tps) * 7 + 1 + stats.swept)
    for i, (name, token) in enumerate(zip(names, tokens, strict=True)):
        r = await call(http, "GET", f"/api/v1/tps/{tps}/doubts", token)
        doubts = r.json()["doubts"]
        if not doubts:
            break
        for d in doubts:
            value, slipped = blind(plan.truth, d["field"], rng, people)
            await asyncio.sleep(link.think_s / link.speed)
            stats.typed[desa] += 1
            stats.second[desa] += i > 0
            stats.slipped += slipped
            stats.officers[tps].add(name)
            out = await call(
                http, "POST", f"/api/v1/tps/{tps}/doubts/{d['field']}", token, json={"value": value}
            )
            assert out.status_code in (200, 409), out.text
    r = await call(http, "GET", f"/api/v1/tps/{tps}/doubts", tokens[-1])
    stats.left[tps] = len(r.json()["doubts"])
    if stats.left[tps] or not await counted(http, tps, tokens[0]):
        await flagged(http, desa, names, plan, rng, people, stats)


async def counted(http: httpx.AsyncClient, tps: str, token: str) -> bool:
    r = await call(http, "GET", f"/api/v1/tps/{tps}", token)
    return r.json()["status"] == "read" and not r.json()["flags"]


async def web_login(http: httpx.AsyncClient, username: str, secret: str) -> dict[str, str]:
    """The PPS's browser session on the officer pages: cookie and the CSRF header its forms send."""
    pre = "night-" + username.replace(".", "-")
    for _ in range(60):
        try:
            r = await http.post(
                "/petugas/masuk",
                data={"username": username, "password": PASSWORD},
                headers={"X-CSRF-Token": pre, "Cookie": f"tally_prasesi={pre}"},
            )
        except httpx.HTTPError:
            await asyncio.sleep(0.5)
            continue
        if r.status_code == 303 and "tally_sesi" in r.cookies:
            session = r.cookies["tally_sesi"]
            return {"Cookie": f"tally_sesi={session}", "X-CSRF-Token": session_token(secret, session)}
        await asyncio.sleep(float(r.headers.get("Retry-After", "0.5")) * random.uniform(0.2, 1.0))
    raise RuntimeError(f"{username} could not log in on the page")


WEB: dict[str, dict[str, str]] = {}  # username → its page session
SECRET = ["night-secret-key-of-the-bench-0123456789abcdef"]


CURRENT = re.compile(r'id="cek" data-field="([a-z0-9_]+)"')
APPROVAL = re.compile(r'data-change="(\d+)" data-field="([a-z0-9_]+)".*?Setujui (\d+)</button>', re.S)


async def flagged(
    http: httpx.AsyncClient,
    desa: str,
    names: list[str],
    plan: TpsPlan,
    rng: random.Random,
    people: Link,
    stats: PpsStats,
) -> None:
    """What the review page still asks of each PPS (fields a flag names, changes waiting for a second
    officer), typed on the page from the paper until it asks nothing more."""
    for who in names:
        if who not in WEB:
            WEB[who] = await web_login(http, who, SECRET[0])
        for _ in range(len(plan.truth) + 1):
            page = await _web(http, "GET", f"/petugas/pps/tps/{plan.id}", WEB[who])
            found = CURRENT.search(page.text)
            if found is None:
                waiting = APPROVAL.search(page.text)
                if waiting is None:
                    break
                change, name, after = waiting.group(1), waiting.group(2), int(waiting.group(3))
                await asyncio.sleep(people.think_s / people.speed)  # looks at the photo, decides
                stats.approvals += 1
                stats.officers[plan.id].add(who)
                ok = after == plan.truth[name]
                form = (
                    {"keputusan": "setujui"} if ok else {"keputusan": "tolak", "alasan": "Foto tidak begitu."}
                )
                out = await _web(http, "POST", f"/petugas/pps/perubahan/{change}", WEB[who], data=form)
                if out.status_code != 303:
                    break
                continue
            name = found.group(1)
            value, slipped = blind(plan.truth, name, rng, people)
            await asyncio.sleep(people.think_s / people.speed)
            stats.web[desa] += 1
            stats.typed[desa] += 1
            stats.slipped += slipped
            stats.officers[plan.id].add(who)
            out = await _web(http, "POST", f"/petugas/pps/tps/{plan.id}/periksa", WEB[who],
                             data={"kolom": name, "angka": str(value)})  # fmt: skip
            if out.status_code != 303:  # refused (e.g. its own change): the next PPS
                break


async def _web(
    http: httpx.AsyncClient, method: str, url: str, headers: dict[str, str], **kw: Any
) -> httpx.Response:
    for attempt in range(60):
        try:
            r = await http.request(method, url, headers=headers, **kw)
        except httpx.HTTPError:
            pass
        else:
            if r.status_code not in (429, 500, 502, 503, 504):
                return r
        await asyncio.sleep(min(4.0, 0.1 * 2**attempt) * random.uniform(0.5, 1.0))
    raise RuntimeError(f"{method} {url}: the service did not come back")


@dataclass
class Keyed:
    kecamatan: str
    slip: tuple[str, str, int, int]  # (row, field, keyed, true)
    caught: bool
    cleared: bool
    entries: int


async def ppk_keys(base: str, plans: list[TpsPlan], ppk: dict[str, str], seed: int) -> list[Keyed]:
    """Each kecamatan's D.Hasil keyed from the truth with one slip through `PUT /api/v1/regions/{kec}/dhasil`,
    then corrected; was the slip caught, and cleared by the fix?"""
    fields = dhasil_fields(builtin_contest("ppwp-2024"))
    rng = random.Random(seed)
    out = []
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        for kec, username in sorted(ppk.items()):
            rows: dict[str, dict[str, int]] = {}
            for p in plans:
                if p.desa.startswith(kec + "."):
                    row = rows.setdefault(p.desa, dict.fromkeys(fields, 0))
                    for f in fields:
                        row[f] += p.truth[f]
            desa = rng.choice(sorted(rows))
            name = rng.choice([f for f in fields if rows[desa][f] >= 10])
            true = rows[desa][name]
            wrong = true + rng.choice([-10, 10, 1, -1, 100]) if true >= 100 else true + 10
            slipped = {d: dict(v) for d, v in rows.items()}
            slipped[desa][name] = wrong
            auth = {"Authorization": f"Bearer {await login(http, username)}"}
            url = f"/api/v1/regions/{kec}/dhasil"
            saved = await _web(http, "PUT", url, auth, json={"rows": slipped})
            assert saved.status_code == 200, saved.text
            caught = any(m["region"] == desa and m["field"] == name for m in saved.json()["mismatches"])
            fixed = await _web(http, "PUT", url, auth, json={"rows": {desa: {name: true}}})
            assert fixed.status_code == 200, fixed.text
            cleared = not fixed.json()["mismatches"]
            out.append(Keyed(kec, (desa, name, wrong, true), caught, cleared, 2))
    return out
