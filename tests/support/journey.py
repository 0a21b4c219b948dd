"""The journey's world: the whole service (API, pages, in-process OCR worker with the real reader) on a real
uvicorn on loopback, over SQLite, with the region of the sample photos' TPS."""

from __future__ import annotations

import json
from dataclasses import dataclass

from fastapi import FastAPI

from reconcile.contest import builtin_contest
from reconcile.ids import NASIONAL, TpsId, ancestors, parent
from support.officers import Sample
from tally.db.regions import RegionRow
from tally.election.store import Tps, save_contest, save_tps
from tally.settings import Settings


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


def truth_of(samples: list[Sample]) -> dict[str, int]:
    out: dict[str, int] = {}
    for s in samples:
        out |= {k: int(v) for k, v in json.loads(s.photo.with_suffix(".json").read_text())["fields"].items()}
    return out
