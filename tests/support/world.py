"""A small election world for the authorisation, fuzzing and bad-input tests: a region tree with a sibling
outside every role's scope, one officer of each role (tokens usable as a bearer header or the pages' cookie),
one stored photo per TPS, and the app over the shared migrated database (SQLite or PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from anyio.from_thread import start_blocking_portal
from fastapi import FastAPI

from ocr.reading import FieldReading, Reading
from reconcile.contest import builtin_contest
from reconcile.ids import parent
from support.client import Client
from support.intake import jpeg, sha
from tally.auth.codes import grant
from tally.auth.scope import Role
from tally.auth.secrets import new_token
from tally.auth.service import _HASHER, issue_codes
from tally.bootstrap import create_app
from tally.db.intake import PhotoRow, StaffRow
from tally.db.regions import RegionRow, TpsRow
from tally.election.store import save_contest
from tally.settings import Settings
from tally.worker.apply import apply_reading

PASSWORD = "kata-sandi-yang-panjang"
PROV, KAB, KEC = "31", "31.73", "31.73.04"
DESA_A, DESA_B = "31.73.04.1007", "31.73.04.1008"
KEC_C, DESA_C = "31.73.05", "31.73.05.1001"
KAB_D, KEC_D, DESA_D = "31.74", "31.74.01", "31.74.01.1001"
TPS_A, TPS_A2, TPS_B = "3173041007001", "3173041007002", "3173041008001"
TPS_C, TPS_D = "3173051001001", "3174011001001"
ALL_TPS = (TPS_A, TPS_A2, TPS_B, TPS_C, TPS_D)

ROLES = ("anon", "kpps", "pps", "ppk", "kpu")
# Staff accounts (username, role, region): one per role at HOME, and two the KPU may or may not disable.
STAFF = [("pps", "pps", DESA_A), ("ppk", "ppk", KEC), ("kpu", "kpu", KAB), ("pps.b", "pps", DESA_B),
         ("pps.d", "pps", DESA_D)]  # fmt: skip
# Where each officer sits; "in scope" targets are TPS_A / DESA_A for every role.
HOME = {"kpps": TPS_A, "pps": DESA_A, "ppk": KEC, "kpu": KAB}
# The nearest TPS and kelurahan outside each role's scope (a sibling, not a far-away province).
OUT_TPS = {"anon": TPS_A, "kpps": TPS_A2, "pps": TPS_B, "ppk": TPS_C, "kpu": TPS_D}
OUT_DESA = {"anon": DESA_A, "kpps": DESA_B, "pps": DESA_B, "ppk": DESA_C, "kpu": DESA_D}

REGIONS = [
    (PROV, "DKI JAKARTA", 1, None), (KAB, "KOTA ADM. JAKARTA BARAT", 2, PROV),
    (KEC, "TAMBORA", 3, KAB), (DESA_A, "ANGKE", 4, KEC), (DESA_B, "JEMBATAN BESI", 4, KEC),
    (KEC_C, "TAMAN SARI", 3, KAB), (DESA_C, "GLODOK", 4, KEC_C),
    (KAB_D, "KOTA ADM. JAKARTA PUSAT", 2, PROV), (KEC_D, "GAMBIR", 3, KAB_D), (DESA_D, "GAMBIR", 4, KEC_D),
]  # fmt: skip


@cache
def _password_hash() -> str:
    return _HASHER.hash(PASSWORD)  # once per process: the staff rows share it


def seed(app: FastAPI) -> None:
    with app.state.services.sessions() as s, s.begin():
        for code, name, lvl, up in REGIONS:
            s.add(RegionRow(code=code, name=name, level=lvl, parent=up))
        s.flush()
        for tps in ALL_TPS:
            s.add(TpsRow(id=tps, desa=parent(tps), number=int(tps[10:]), dpt=280))  # type: ignore[arg-type]
        save_contest(s.connection(), builtin_contest("ppwp-2024"))


@dataclass
class World:
    app: FastAPI
    client: Client
    settings: Settings
    tokens: dict[str, str] = field(default_factory=dict)
    photos: dict[str, str] = field(default_factory=dict)  # TPS id → sha256 of a stored photo

    @property
    def sessions(self) -> Any:
        return self.app.state.services.sessions

    def headers(self, role: str, token: str | None = None) -> dict[str, str]:
        token = token or self.tokens.get(role)
        return {"Authorization": f"Bearer {token}"} if token else {}

    def cookies(self, role: str, token: str | None = None) -> dict[str, str]:
        token = token or self.tokens.get(role)
        return {"tally_sesi": token} if token else {}

    def new_code(self, tps: str, by: str = "test") -> str:
        """A fresh code for `tps` alone (a reissue: the TPS's earlier codes and devices are revoked)."""
        with self.sessions() as s, s.begin():
            return issue_codes(s, parent(tps), by, only_tps=tps)[0].code  # type: ignore[arg-type]

    def fresh_token(self, role: str, tps: str = TPS_A) -> str:
        """A new token for `role` (KPPS: bound to `tps`), for requests that revoke the one they carry;
        minted like an activation or a login would, without revoking the others or paying Argon2."""
        token = new_token()
        later = datetime.now(UTC) + timedelta(hours=6)
        with self.sessions() as s, s.begin():
            if role == "kpps":
                grant(s, Role.KPPS, tps, f"kpps:{tps}", later, token=token)
            else:
                grant(s, Role(role), HOME[role], role, later, token=token)
        return token

    def put_photo(self, tps: str, data: bytes, token: str, page: int = 1, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "image/jpeg", **kw.pop("headers", {})}
        url = f"/api/v1/tps/{tps}/pages/{page}/photos/{sha(data)}"
        return self.client.put(url, content=data, headers=headers, **kw)


def _populate(world: World) -> None:
    seed(world.app)
    with world.sessions() as s, s.begin():
        for name, role, region in STAFF:
            s.add(StaffRow(username=name, password_hash=_password_hash(), role=role, region=region,
                           created_at=datetime.now(UTC), failed_logins=0))  # fmt: skip
    for role in ("pps", "ppk", "kpu"):
        world.tokens[role] = world.fresh_token(role)
    world.tokens["kpps"] = world.fresh_token("kpps")
    for i, tps in enumerate(ALL_TPS):  # one photo per TPS, each sent by that TPS's own KPPS
        data = jpeg(width=160, height=120, seed=900 + i)
        r = world.put_photo(tps, data, world.fresh_token("kpps", tps))
        assert r.status_code == 202, r.text
        world.photos[tps] = sha(data)


@contextmanager
def world(settings: Settings, **update: Any) -> Iterator[World]:
    """The app (no OCR, generous rate limit unless `update` says otherwise), populated."""
    base = {"embedded_workers": 0, "ocr_reader": "none", "rate_per_s": 10_000.0, "rate_burst": 10_000}
    settings = settings.model_copy(update={**base, **update})
    app = create_app(settings, workers=0)
    with start_blocking_portal() as portal:
        w = World(app, Client(app, portal), settings)
        try:
            _populate(w)
            yield w
        finally:
            portal.call(w.client.http.aclose)
    app.state.services.engine.dispose()


def read_tps_a_with_a_doubt(w: World) -> str:
    """Run the worker's apply step on the queued photos: TPS_A's photo read with one field in review."""
    services = w.app.state.services
    field = next(f.name for f in services.contest.fields if f.page == 1)
    while (claim := services.queue.claim("test")) is not None:
        with w.sessions() as s:
            photo = s.get(PhotoRow, claim.photo_sha256)
        reading = None
        if photo.tps_id == TPS_A:
            doubt = FieldReading(name=field, value=7, confidence=0.5, status="review")
            reading = Reading(page=photo.page, fields={field: doubt}, model_version="t-1", tps=TPS_A)
        apply_reading(w.sessions, claim, photo, reading, "test", 0.1, services.contest)
        services.queue.release(claim)
    return field
