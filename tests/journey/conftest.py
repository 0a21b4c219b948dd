"""Fixtures of the journey: the whole service (API, pages, in-process OCR worker with the real reader) on a
real uvicorn on loopback, over SQLite, with the region of the sample photos' TPS."""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "review"))
from officers import Sample, sample_tps  # noqa: E402

from reconcile.contest import builtin_contest  # noqa: E402
from reconcile.ids import NASIONAL, TpsId, ancestors, parent  # noqa: E402
from tally.bootstrap import create_app  # noqa: E402
from tally.db.regions import RegionRow  # noqa: E402
from tally.election.store import Tps, save_contest, save_tps  # noqa: E402
from tally.settings import Settings  # noqa: E402


@dataclass
class Service:
    url: str
    app: FastAPI
    samples: list[Sample]
    settings: Settings

    @property
    def tps(self) -> str:
        return str(self.samples[0].truth["tps"])


def seed_for(app: FastAPI, truth: dict[str, object]) -> None:
    """The sample's TPS and its region chain, named as its handwritten header names them."""
    tps = str(truth["tps"])
    desa = parent(tps)  # type: ignore[arg-type]
    assert desa is not None
    header = dict(truth["header"])  # type: ignore[call-overload]
    names = [header["provinsi"], header["kabupaten_kota"], header["kecamatan"], header["kelurahan_desa"]]
    chain = [c for c in reversed(ancestors(desa)) if c] + [desa]
    with app.state.services.sessions() as s, s.begin():
        for depth, code in enumerate(chain, start=1):
            up = chain[depth - 2] if depth > 1 else None
            s.add(RegionRow(code=code, name=names[depth - 1], level=depth, parent=up))
            s.flush()
        save_contest(s.connection(), builtin_contest("ppwp-2024"))  # first: new TPS count as expected in it
        numbers = (int(tps[10:]), int(tps[10:]) + 1)  # the sample's TPS and a neighbour with nothing yet
        save_tps(s.connection(), NASIONAL, [Tps(TpsId(f"{tps[:10]}{n:03d}"), 300) for n in numbers])


@pytest.fixture
def service(sqlite_url: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    samples = sample_tps(tmp_path_factory.mktemp("journey-samples"))
    settings = Settings(environment="test", database_url=sqlite_url, data_dir=tmp_path, embedded_workers=1)
    app = create_app(settings)
    seed_for(app, samples[0].truth)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60  # the lifespan loads the reader before serving
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    yield Service(f"http://127.0.0.1:{port}", app, samples, settings)
    srv.should_exit = True
    thread.join(timeout=30)


def truth_of(samples: list[Sample]) -> dict[str, int]:
    out: dict[str, int] = {}
    for s in samples:
        out |= {k: int(v) for k, v in json.loads(s.photo.with_suffix(".json").read_text())["fields"].items()}
    return out
