"""The officers' world: the app on the shared database, a browser-like client per officer (cookies kept,
`support.client`), a sample C.Hasil photo with its truth, and readings built from that truth."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI

from ocr.reading import Candidate, DigitReading, FieldReading, Reading
from reconcile.contest import builtin_contest
from reconcile.ids import NASIONAL, TpsId, parent
from support.client import Client
from tally.auth.scope import Role
from tally.auth.service import activate, create_staff, issue_codes
from tally.bootstrap import create_app
from tally.db.intake import PhotoRow
from tally.db.regions import RegionRow
from tally.election.store import Tps, save_contest, save_tps
from tally.settings import Settings
from tally.worker.apply import apply_reading

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "kata-sandi-yang-panjang"
KEC = "31.73.04"
DESA_A, DESA_B = "31.73.04.1007", "31.73.04.1008"
TPS_A, TPS_A2, TPS_B = "3173041007001", "3173041007002", "3173041008001"


def seed(app: FastAPI, extra_tps: list[tuple[str, str]] = ()) -> None:  # type: ignore[assignment]
    sessions = app.state.services.sessions
    with sessions() as s, s.begin():
        for code, name, level, up in [
            ("31", "DKI JAKARTA", 1, None), ("31.73", "KOTA ADM. JAKARTA BARAT", 2, "31"),
            (KEC, "TAMBORA", 3, "31.73"), (DESA_A, "ANGKE", 4, KEC), (DESA_B, "JEMBATAN BESI", 4, KEC),
        ]:  # fmt: skip
            s.add(RegionRow(code=code, name=name, level=level, parent=up))
        s.flush()
        save_contest(s.connection(), builtin_contest("ppwp-2024"))  # first: new TPS count as expected in it
        all_tps = [TPS_A, TPS_A2, TPS_B, *(t for t, _ in extra_tps)]
        save_tps(s.connection(), NASIONAL, [Tps(TpsId(t), 280) for t in all_tps])


@dataclass
class Office:
    app: FastAPI
    portal: BlockingPortal
    settings: Settings
    browsers: list[Client]

    @property
    def sessions(self) -> Any:
        return self.app.state.services.sessions

    def browser(self) -> Client:
        b = Client(self.app, self.portal)
        self.browsers.append(b)
        return b

    def kpps(self, tps: str) -> Client:
        with self.sessions() as s, s.begin():
            code = next(c.code for c in issue_codes(s, parent(tps), "test") if c.tps_id == tps)  # type: ignore[arg-type]
        b = self.browser()
        r = b.post("/petugas/aktivasi", data={"kode": code})
        assert r.status_code == 303 and r.headers["location"] == "/petugas/kpps", r.text
        return b

    def staff(self, username: str, role: Role, region: str) -> Client:
        with self.sessions() as s, s.begin():
            create_staff(s, username, PASSWORD, role, region)
        b = self.browser()
        r = b.post("/petugas/masuk", data={"username": username, "password": PASSWORD})
        assert r.status_code == 303, r.text
        return b

    def device_token(self, tps: str) -> str:
        with self.sessions() as s, s.begin():
            code = next(c.code for c in issue_codes(s, parent(tps), "test") if c.tps_id == tps)  # type: ignore[arg-type]
            token, _ = activate(s, code)
        return token


@contextmanager
def office(settings: Settings, **update: Any) -> Iterator[Office]:
    settings = settings.model_copy(update={"embedded_workers": 0, "ocr_reader": "none", **update})
    app = create_app(settings, workers=0)
    seed(app)
    with start_blocking_portal() as portal:
        o = Office(app, portal, settings, [])
        yield o
        for b in o.browsers:
            portal.call(b.http.aclose)
    app.state.services.engine.dispose()


@dataclass(frozen=True)
class Sample:
    photo: Path
    truth: dict[str, Any]

    @property
    def jpeg(self) -> bytes:
        return self.photo.read_bytes()


def sample_tps(workdir: Path) -> list[Sample]:
    """Pages 1-3 of one TPS, photographed and handwritten (2024's x_trailing kind: 74 written [7][4][X]):
    the committed `samples/kinds/x_trailing/` when present, else made now by the same generator."""
    folder = REPO / "samples/kinds/x_trailing"
    if len(sorted(folder.glob("ppwp-hal*.jpg"))) < 3:
        folder = workdir / "x_trailing"
        if not folder.exists():
            subprocess.run(
                [str(REPO / ".venv/bin/tally"), "samples", "make", "--n", "3", "--seed", "202", "--severity",
                 "moderate", "--kind", "x_trailing", "--workers", "1", "--out", str(folder)],
                check=True, capture_output=True,
            )  # fmt: skip
    photos = sorted(folder.glob("ppwp-hal*.jpg"))[:3]
    return [Sample(p, json.loads(p.with_suffix(".json").read_text())) for p in photos]


def _digit(content: str) -> int | None:
    return int(content) if content.isdigit() else None


def truth_reading(sample: Sample, misread: dict[str, int]) -> Reading:
    """The reading of `sample` as an OCR that got every box right except `misread` (sent to review), with
    the true boxes' quads: what the PPS page crops from."""
    truth = sample.truth
    fields = {}
    for name in truth["page_fields"]:
        value = truth["fields"][name]
        quads = [truth["boxes"][f"{name}/{i}"]["quad"] for i in range(3)]
        digits = tuple(
            DigitReading(_digit(c), 0.9, tuple(map(tuple, q)))  # type: ignore[arg-type]
            for c, q in zip([truth["boxes"][f"{name}/{i}"]["content"] for i in range(3)], quads, strict=True)
        )
        if name in misread:
            fields[name] = FieldReading(
                name, misread[name], 0.55, "review", digits,
                (Candidate(misread[name], 0.55), Candidate(value, 0.4)),
                "Gelembung tidak sesuai dengan angka tulisan.", {"omr": value},
            )  # fmt: skip
        else:
            fields[name] = FieldReading(name, value, 0.97, "accepted", digits, (Candidate(value, 0.97),))
    return Reading(page=truth["page"], fields=fields, model_version="truth-test", tps=truth["tps"])


# The PPS review journey's TPS: the reader misreads one paslon total, as 2024's app read 74 as 748.
MISREAD = "suara_paslon_2"


def page2(samples: list[Sample]) -> dict[str, object]:
    return next(x.truth for x in samples if x.truth["page"] == 2)


def upload_all(o: Office, samples: list[Sample]) -> None:
    kpps = o.kpps(TPS_A)
    for sample in samples:
        page = sample.truth["page"]
        r = kpps.post(
            "/petugas/kpps/unggah",
            data={"halaman": str(page)},
            files={"foto": (sample.photo.name, sample.jpeg, "image/jpeg")},
        )
        assert r.status_code == 303, r.text
    services = o.app.state.services
    contest = builtin_contest("ppwp-2024")
    for _ in samples:  # the worker's own apply step, with readings built from the photos' truth
        claim = services.queue.claim("test")
        assert claim is not None
        with o.sessions() as s:
            photo = s.get(PhotoRow, claim.photo_sha256)
        sample = next(x for x in samples if x.truth["page"] == photo.page)
        true = sample.truth["fields"].get(MISREAD)
        misread = {MISREAD: true * 10 + 8} if photo.page == 2 else {}  # 2024: 74 read as 748
        apply_reading(o.sessions, claim, photo, truth_reading(sample, misread), "truth", 0.1, contest)
        services.queue.release(claim)
