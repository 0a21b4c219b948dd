"""Every page of the app with something on it (tests/pages): the small election of `support.web_election`
(four TPS, a flag, an outlier, a keyed D.Hasil, audit entries), an officer of each role, a photo of TPS_A
read with one field in doubt, served on loopback for chromium and reachable in-process for plain GETs.

`PAGES` lists what people open, each as (name, who, path): `who` is the officer whose session cookie the page
is opened with ("" for the public). The forms that lead to a page (a refused login, the printed code sheet)
are driven in the tests themselves.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from anyio.from_thread import start_blocking_portal
from fastapi import FastAPI
from sqlalchemy.orm import Session

from ocr.reading import FieldReading, Reading
from support.client import Client
from support.intake import jpeg, sha
from support.live import serve
from support.web_election import COUNTED_FLAGGED, COUNTED_OK, EMPTY, PENDING, load_election, web_app
from tally.auth.codes import grant
from tally.auth.scope import Role
from tally.auth.secrets import new_token
from tally.auth.service import create_staff
from tally.db.base import make_engine
from tally.db.intake import PhotoRow
from tally.settings import Settings
from tally.worker.apply import apply_reading

PASSWORD = "kata-sandi-yang-panjang"
DESA, KEC, KAB = "31.73.04.1007", "31.73.04", "31.73"
# Officers (username → role, where): the KPPS of the counted TPS, two PPS, a PPK, the kab/kota KPU.
OFFICERS = {
    "kpps": (Role.KPPS, COUNTED_OK),
    "pps.angke": (Role.PPS, DESA),
    "pps.dua": (Role.PPS, DESA),
    "ppk.tambora": (Role.PPK, KEC),
    "kpu.jakbar": (Role.KPU, KAB),
}

PAGES: list[tuple[str, str, str]] = [
    ("nasional", "", "/"),
    ("provinsi", "", "/wilayah/31"),
    ("kabkota", "", "/wilayah/31.73"),
    ("kecamatan", "", "/wilayah/31.73.04"),
    ("kelurahan", "", "/wilayah/31.73.04.1007"),
    ("tps-flagged", "", f"/tps/{COUNTED_FLAGGED}"),
    ("tps-counted", "", f"/tps/{COUNTED_OK}"),
    ("tps-pending", "", f"/tps/{PENDING}"),
    ("tps-empty", "", f"/tps/{EMPTY}"),
    ("outliers", "", "/outlier"),
    ("outliers-kecamatan", "", "/outlier?wilayah=31.73.04"),
    ("audit", "", "/audit"),
    ("error-region", "", "/wilayah/99"),
    ("error-tps", "", "/tps/9999999999999"),
    ("login", "", "/petugas/masuk"),
    ("kpps", "kpps", "/petugas/kpps"),
    ("kpps-latihan", "kpps", "/petugas/latihan"),
    ("kpps-forbidden", "kpps", "/petugas/rekap"),
    ("pps-queue", "pps.angke", "/petugas/pps"),
    ("pps-tps", "pps.angke", f"/petugas/pps/tps/{COUNTED_OK}"),
    ("pps-latihan", "pps.angke", "/petugas/latihan"),
    ("ppk-rekap", "ppk.tambora", "/petugas/rekap"),
    ("ppk-queue", "ppk.tambora", "/petugas/pps"),
    ("kpu-rekap", "kpu.jakbar", "/petugas/rekap"),
    ("kpu-kode", "kpu.jakbar", "/petugas/kode"),
    ("kpu-kode-cari", "kpu.jakbar", "/petugas/kode?cari=angke"),
    ("kpu-kode-desa", "kpu.jakbar", f"/petugas/kode/{DESA}"),
    ("officer-not-found", "kpu.jakbar", "/petugas/kode/31.73.04.9999"),
]


@dataclass
class Site:
    app: FastAPI
    url: str
    client: Client
    tokens: dict[str, str]  # officer → session token (the `tally_sesi` cookie)

    def cookies(self, who: str) -> list[dict[str, object]]:
        if not who:
            return []
        return [{"name": "tally_sesi", "value": self.tokens[who], "url": self.url, "httpOnly": True}]

    def get(self, who: str, path: str) -> tuple[int, str, str]:
        """(status, content type, body) of a GET as `who`."""
        headers = {"Cookie": f"tally_sesi={self.tokens[who]}"} if who else {}
        r = self.client.get(path, headers=headers)
        return r.status_code, r.headers.get("content-type", ""), r.text


def _officers(app: FastAPI) -> dict[str, str]:
    tokens = {}
    later = datetime.now(UTC) + timedelta(hours=6)
    with app.state.services.sessions() as s, s.begin():
        for name, (role, where) in OFFICERS.items():
            if role is not Role.KPPS:
                create_staff(s, name, PASSWORD, role, where)
            tokens[name] = new_token()
            subject = name if role is not Role.KPPS else f"kpps:{where}"
            grant(s, role, where, subject, later, token=tokens[name])
    return tokens


def _photo_with_a_doubt(app: FastAPI, client: Client, token: str) -> None:
    """TPS_A's page-1 photo, read with one field in doubt (the PPS review page shows its crop)."""
    data = jpeg(width=600, height=800, seed=7)
    r = client.put(
        f"/api/v1/tps/{COUNTED_OK}/pages/1/photos/{sha(data)}",
        content=data,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "image/jpeg"},
    )
    assert r.status_code == 202, r.text
    services = app.state.services
    field = next(f.name for f in services.contest.fields if f.page == 1)
    claim = services.queue.claim("test")
    with services.sessions() as s:
        photo = s.get(PhotoRow, claim.photo_sha256)
    doubt = FieldReading(name=field, value=7, confidence=0.5, status="review")
    reading = Reading(page=1, fields={field: doubt}, model_version="t-1", tps=COUNTED_OK)
    apply_reading(services.sessions, claim, photo, reading, "test", 0.1, services.contest)
    services.queue.release(claim)


@contextmanager
def site(template: Path, folder: Path) -> Iterator[Site]:
    """The site on a copy of the migrated SQLite `template`, its files in `folder`."""
    shutil.copyfile(template, folder / "tally.sqlite3")
    url = f"sqlite:///{folder / 'tally.sqlite3'}"
    engine = make_engine(url)
    with Session(engine) as session:
        load_election(session)
    settings = Settings(environment="test", database_url=url, data_dir=folder, rate_per_s=10_000.0,
                        rate_burst=10_000, embedded_workers=0)  # fmt: skip
    app = web_app(settings, engine)
    tokens = _officers(app)
    with start_blocking_portal() as portal:
        client = Client(app, portal)
        _photo_with_a_doubt(app, client, tokens["kpps"])
        with serve(app, lifespan="off") as base:
            yield Site(app, base, client, tokens)
        portal.call(client.http.aclose)
    app.state.services.engine.dispose()
    engine.dispose()
