"""The intake world: an app over the shared migrated database (tests/conftest.py: SQLite and PostgreSQL), a
small region tree, photos made on the spot, and officers of each kind."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from anyio.from_thread import start_blocking_portal
from PIL import Image
from sqlalchemy import func, select

from reconcile.contest import builtin_contest
from reconcile.ids import NASIONAL, TpsId
from support.client import Client
from tally.auth.scope import Role
from tally.auth.service import activate, create_staff, issue_codes
from tally.bootstrap import create_app
from tally.db.base import make_engine, session_factory
from tally.db.intake import PhotoRow
from tally.db.regions import RegionRow
from tally.election.store import Tps, save_contest, save_tps
from tally.settings import Settings

DESA_A, DESA_B = "31.73.04.1007", "31.73.04.1008"
TPS_A, TPS_A2, TPS_B = "3173041007001", "3173041007002", "3173041008001"
PASSWORD = "kata-sandi-yang-panjang"


def jpeg(
    width: int = 1200, height: int = 1600, seed: int = 0, orientation: int = 1, quality: int = 85
) -> bytes:
    """A real JPEG with noisy content (compresses like a photo), optionally with an EXIF orientation."""
    import numpy as np

    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, size=(height // 8, width // 8, 3), dtype=np.uint8)
    img = Image.fromarray(pixels).resize((width, height), Image.Resampling.NEAREST)
    out = io.BytesIO()
    exif = Image.Exif()
    if orientation != 1:
        exif[0x0112] = orientation
    img.save(out, format="JPEG", quality=quality, exif=exif.tobytes())
    return out.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def seed_regions(url: str) -> None:
    engine = make_engine(url)
    with session_factory(engine)() as s, s.begin():
        for code, name, level, parent in [
            ("31", "DKI JAKARTA", 1, None), ("31.73", "KOTA JAKARTA BARAT", 2, "31"),
            ("31.73.04", "TAMAN SARI", 3, "31.73"), (DESA_A, "MANGGA BESAR", 4, "31.73.04"),
            (DESA_B, "TANGKI", 4, "31.73.04"),
        ]:  # fmt: skip
            s.add(RegionRow(code=code, name=name, level=level, parent=parent))
        s.flush()
        # Through the store, as the service adds them: the region totals count them as expected.
        save_contest(s.connection(), builtin_contest("ppwp-2024"))
        save_tps(s.connection(), NASIONAL, [Tps(TpsId(t), 280) for t in (TPS_A, TPS_A2, TPS_B)])
    engine.dispose()


@dataclass
class Intake:
    client: Client
    settings: Settings

    def sessions(self):  # type: ignore[no-untyped-def]
        return self.client.app.state.services.sessions  # type: ignore[attr-defined]

    def kpps(self, tps: str) -> dict[str, str]:
        with self.sessions()() as s, s.begin():
            code = next(c.code for c in issue_codes(s, RegionCodeOf(tps), "test") if c.tps_id == tps)
            token, _ = activate(s, code)
        return {"Authorization": f"Bearer {token}"}

    def staff(self, username: str, role: Role, region: str) -> dict[str, str]:
        with self.sessions()() as s, s.begin():
            create_staff(s, username, PASSWORD, role, region)
        r = self.client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
        assert r.status_code == 201, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}

    def photo_rows(self) -> int:
        with self.sessions()() as s:
            return int(s.scalar(select(func.count()).select_from(PhotoRow)) or 0)

    def stored_files(self) -> list[str]:
        root = self.settings.data_dir / "photos"
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def RegionCodeOf(tps: str):  # type: ignore[no-untyped-def]  # noqa: N802
    from reconcile.ids import parent

    return parent(tps)


@contextmanager
def running(settings: Settings) -> Iterator[Intake]:
    """The app on `settings` (no embedded workers: tests drive workers themselves), with a client."""
    settings = settings.model_copy(update={"embedded_workers": 0})
    app = create_app(settings, workers=0)
    with start_blocking_portal() as portal:
        client = Client(app, portal)
        yield Intake(client, settings)
        portal.call(client.http.aclose)
    app.state.services.engine.dispose()


def now() -> datetime:
    return datetime.now(UTC)
