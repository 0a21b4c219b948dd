"""A real photographed TPS read by the real reader once, and an office around it: what the blind-reading
tests (API, pages, browser) share. The reader leaves 15 fields of this TPS in doubt, two misread (87 → 875,
47 → 477: 2024's kind)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from anyio.from_thread import start_blocking_portal

from ocr.reader import PhotoReader
from ocr.reading import Reading
from reconcile.ids import parent
from support.journey import seed_for
from support.officers import PASSWORD, Office, Sample, sample_tps
from tally.auth.codes import grant
from tally.auth.scope import Role
from tally.auth.secrets import new_token
from tally.auth.service import activate, issue_codes
from tally.bootstrap import create_app
from tally.db.intake import PhotoRow
from tally.queue.base import Claim
from tally.settings import Settings
from tally.worker.apply import apply_reading

MISREAD = {"pemilih_dpt_l": 875, "suara_paslon_1": 477}  # what the reader makes of 87 and 47 here
Read = list[tuple[Sample, dict[str, Any]]]  # each page's photo and its reading (JSON)


def read_sample_tps(workdir: Path) -> Read:
    """The TPS's three pages and what the real reader made of each (slow: read once per test module)."""
    samples = sample_tps(workdir)
    reader = PhotoReader()
    return [(s, reader.read(s.jpeg, tps=s.truth["tps"]).to_json()) for s in samples]


@contextmanager
def tps_office(settings: Settings, truth: dict[str, Any]) -> Iterator[Office]:
    quiet = {"embedded_workers": 0, "ocr_reader": "none", "rate_per_s": 10_000.0, "rate_burst": 10_000}
    app = create_app(settings.model_copy(update=quiet), workers=0)
    seed_for(app, truth)
    with start_blocking_portal() as portal:
        o = Office(app, portal, settings, [])
        try:
            yield o
        finally:
            for b in o.browsers:
                portal.call(b.http.aclose)
            app.state.services.engine.dispose()


def upload_and_read(
    o: Office, tps: str, read: list[tuple[Sample, dict[str, Any]]], slot: dict[int, int]
) -> None:
    """The KPPS sends each page (in slot `slot[page]`); the worker applies what the real reader read."""
    upload(o, tps, read, slot)
    services = o.app.state.services
    while (claim := services.queue.claim("test")) is not None:
        apply_read(o, tps, read, claim)


def apply_read(o: Office, tps: str, read: Read, claim: Claim) -> None:
    """The worker's part for one claimed photo: apply what the real reader read from it."""
    services = o.app.state.services
    with o.sessions() as s:
        photo = s.get(PhotoRow, claim.photo_sha256)
    assert photo is not None
    body = next(b for smp, b in read if sha(smp.jpeg) == photo.sha256)
    reading = Reading.from_json({**body, "tps": tps})
    apply_reading(o.sessions, claim, photo, reading, "test", 0.1, services.contest)
    services.queue.release(claim)


def upload(o: Office, tps: str, read: Read, slot: dict[int, int]) -> None:
    """The KPPS sends each page through the API (in slot `slot[page]`); nothing is read yet."""
    token = second_phone(o, tps)  # never a reissue: the test's other phones stay signed in
    client = o.browser()
    for sample, _ in read:
        page = sample.truth["page"]
        url = f"/api/v1/tps/{tps}/pages/{slot.get(page, page)}/photos/{sha(sample.jpeg)}"
        r = client.put(
            url,
            content=sample.jpeg,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "image/jpeg"},
        )
        assert r.status_code == 202, r.text


def phone(o: Office, tps: str) -> str:
    """A KPPS device token for `tps` alone (the other TPS's phones stay active)."""
    with o.sessions() as s, s.begin():
        code = issue_codes(s, str(parent(tps)), "test", only_tps=tps)[0].code  # type: ignore[arg-type]
        token, _ = activate(s, code)
    return token


def second_phone(o: Office, tps: str) -> str:
    """A token for another KPPS phone of `tps`, minted as an activation would, without a reissue (which
    would revoke the phones already active: a revoked token may still pass for the cache's few seconds,
    so a test that reissued would pass or fail with the machine's speed)."""
    token = new_token()
    with o.sessions() as s, s.begin():
        grant(s, Role.KPPS, tps, f"kpps:{tps}", datetime.now(UTC) + timedelta(hours=6), token=token)
    return token


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def truth_of(read: list[tuple[Sample, dict[str, Any]]]) -> dict[str, int]:
    return {k: v for smp, _ in read for k, v in smp.truth["fields"].items()}


def staff_token(o: Office, username: str) -> str:
    """An API token for a staff officer, as `POST /api/v1/auth/login` gives one."""
    r = o.browser().post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 201, r.text
    return str(r.json()["token"])
