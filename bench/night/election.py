"""The election the night replays: a real region's TPS (Kepmendagri codes, DOMAIN.md's sizing), their true
results, and every photo its KPPS will send, rendered, filled and photographed by the corpus.

The TPS and their DPT are `reconcile.synth.layout` of the region's kab/kota (voters ≈ 0.72 × population,
spread over its desa, ≤ 300 per TPS), cut to the scope; the true results are `reconcile.synth.sheets_for`
(every check of the form holds). Each page is `ocr.corpus`'s: the blank with the TPS's QR, the numbers in
held-out (TEST) handwriting with the officer's slips, the header with the region's real names, photographed at
a severity drawn per photo (`SEVERITY_MIX`). What each TPS's phone does is drawn per TPS (`STORIES`): most
send pages 1–3 once; some send one page twice (a second photo), one page first as an unusable photo (a retake
follows its rejection), or one page hours late. Arrival times follow `arrival_hours`.

Everything is deterministic in (scope, seed, TPS id) and cached in a directory: `election.json` and one JPEG
per photo. A retake of a page the reader refused is made on demand (and cached) with the same recipe.
"""

from __future__ import annotations

import json
import math
import multiprocessing as mp
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from reconcile.contest import builtin_contest
from reconcile.ids import RegionCode, parent, undotted
from reconcile.regions import RegionTree
from reconcile.synth import layout, sheets_for

CONTEST = "ppwp-2024"
SEVERITY_MIX = (("moderate", 0.7), ("clean", 0.2), ("harsh", 0.1))
STORIES = (("plain", 0.85), ("second", 0.05), ("retake", 0.05), ("late", 0.05))
SLIP_RATE = 0.1  # the corpus's officer slips on paper (corrected digit, stray mark, bubble disagreeing …)


@dataclass(frozen=True)
class Shot:
    page: int
    k: int  # 0: the first photo of the page; 1, 2, …: another photo of it
    severity: str
    at_h: float  # hours after counting began (13:00 local time) when the phone sends it

    def name(self, tps: str) -> str:
        return f"{tps}-{self.page}-{self.k}.jpg"


@dataclass
class TpsPlan:
    id: str
    dpt: int
    truth: dict[str, int]
    story: str
    shots: list[Shot] = field(default_factory=list)

    @property
    def desa(self) -> str:
        return str(parent(self.id))  # type: ignore[arg-type]


@dataclass
class Election:
    scope: str
    seed: int
    tps: list[TpsPlan]
    names: dict[str, str]  # dotted code → name, for the regions of the scope and above
    made_s: float = 0.0  # wall seconds the photos took to make (the cache's cost)
    made_cpu_s: float = 0.0
    photos: int = 0

    @property
    def truth(self) -> dict[str, dict[str, int]]:
        return {t.id: t.truth for t in self.tps}


def arrival_hours(rng: np.random.Generator) -> float:
    """When a TPS's photos leave the phone, in hours after counting began at 13:00.

    Counting and filling the C.Hasil take the afternoon and evening; most TPS send between 17:00 and 01:00
    (log-normal, median ~4.5 h after 13:00), a tail of 5 % far later (a phone without signal until the
    next day, a TPS that counted into the morning). `docs/election-night.md` says where the shape comes from.
    """
    if rng.random() < 0.05:
        return float(rng.uniform(14.0, 40.0))
    return float(2.5 + rng.lognormal(math.log(2.0), 0.7))


def _pick(rng: np.random.Generator, mix: tuple[tuple[str, float], ...]) -> str:
    r, acc = rng.random(), 0.0
    for name, p in mix:
        acc += p
        if r < acc:
            return name
    return mix[-1][0]


def plan(regions: Any, population: dict[RegionCode, int], scope: str, seed: int, limit: int) -> Election:
    """The TPS of `scope` (the first `limit` by id when `limit` > 0), their truth and their phones' shots."""
    tree = RegionTree.from_rows((r.code, r.name) for r in regions)
    contest = builtin_contest(CONTEST)
    kab = RegionCode(".".join(scope.split(".")[:2]))
    ids, dpt = layout(tree, kab, population[kab], contest.max_dpt, seed)
    keep = np.array([str(i).startswith(undotted(RegionCode(scope))) for i in ids], dtype=bool)
    ids, dpt = ids[keep], dpt[keep]
    if limit:
        ids, dpt = ids[:limit], dpt[:limit]
    table = sheets_for(contest, ids, dpt, np.random.default_rng([seed, int(undotted(kab)), 1]))
    out = []
    for i, tid in enumerate(ids):
        tps = str(int(tid))
        rng = np.random.default_rng([seed, int(tid), 7])
        truth = {fd.name: int(table.values[i, j]) for j, fd in enumerate(contest.fields)}
        story = _pick(rng, STORIES)
        at = arrival_hours(rng)
        shots = [Shot(p, 0, _pick(rng, SEVERITY_MIX), at + 0.02 * (p - 1)) for p in (1, 2, 3)]
        odd = int(rng.integers(1, 4))
        if story == "second":  # an unsure officer photographs the page again a few minutes later
            shots.append(Shot(odd, 1, _pick(rng, SEVERITY_MIX), at + 0.1))
        elif story == "retake":  # a blurred, dark photo first: the reader refuses it, the KPPS retakes
            shots[odd - 1] = Shot(odd, 0, "unusable", shots[odd - 1].at_h)
        elif story == "late":  # one page sent hours after the others
            shots[odd - 1] = Shot(odd, 0, shots[odd - 1].severity, at + float(rng.uniform(1.0, 6.0)))
        out.append(TpsPlan(tps, int(dpt[i]), truth, story, shots))
    wanted = {scope, *[str(t.desa) for t in out]}
    names = {r.code: r.name for r in regions if any(w.startswith(r.code) for w in wanted)}
    return Election(scope, seed, out, names)


# ---- photos --------------------------------------------------------------------------------------------

_HAND: dict[str, Any] = {}


def _init_worker() -> None:
    import cv2

    from ocr.corpus.handwriting import Handwriting, Split

    cv2.setNumThreads(1)
    _HAND["hand"] = Handwriting(Split.TEST)


def render(job: tuple[str, dict[str, int], Shot, dict[str, str], int]) -> tuple[str, bytes]:
    """One photo of one page of one TPS: the corpus's page, filled with the TPS's truth and header."""
    from ocr.corpus.camera import photograph
    from ocr.corpus.make import PX_PER_MM
    from ocr.corpus.officer import fill_page
    from ocr.forms.spec import load_spec

    tps, truth, shot, header, seed = job
    if "hand" not in _HAND:
        _init_worker()
    rng = np.random.default_rng([seed, int(tps), shot.page, shot.k])
    spec = load_spec(CONTEST, shot.page, None)
    filled = fill_page(
        spec, truth, _HAND["hand"], rng, px_per_mm=PX_PER_MM, tps=tps, header=header, slip_rate=SLIP_RATE
    )
    quads = {k: np.array(r.corners(), dtype=np.float64) * PX_PER_MM for k, r in spec.boxes().items()}
    return shot.name(tps), photograph(filled.page_bgr, quads, shot.severity, rng).jpeg


def header_of(names: dict[str, str], tps: str) -> dict[str, str]:
    d = f"{tps[:2]}.{tps[2:4]}.{tps[4:6]}.{tps[6:10]}"
    kab = names.get(d[:5], "").removeprefix("Kabupaten ").removeprefix("Kota ")
    values = {
        "provinsi": names.get(d[:2], ""),
        "kabupaten_kota": kab,
        "kecamatan": names.get(d[:8], ""),
        "kelurahan_desa": names.get(d, ""),
        "nomor_tps": tps[10:],
    }
    return {k: v.upper() for k, v in values.items()}


class Album:
    """The photos on disk; a missing one (a retake nobody planned) is made now with the same recipe."""

    def __init__(self, election: Election, folder: Path) -> None:
        self.election, self.folder = election, folder
        self.by_id = {t.id: t for t in election.tps}
        self.made_now = 0
        self.made_now_s = 0.0

    def photo(self, tps: str, shot: Shot) -> bytes:
        path = self.folder / "photos" / shot.name(tps)
        if not path.exists():
            t = time.perf_counter()
            name, jpeg = render(
                (tps, self.by_id[tps].truth, shot, header_of(self.election.names, tps), self.election.seed)
            )
            path.write_bytes(jpeg)
            self.made_now += 1
            self.made_now_s += time.perf_counter() - t
        return path.read_bytes()


def build(
    regions: Any,
    population: dict[RegionCode, int],
    scope: str,
    seed: int,
    limit: int,
    folder: Path,
    workers: int,
) -> Election:
    """The election of `scope`, from `folder` when it was made there before with the same inputs."""
    meta = folder / "election.json"
    if meta.exists():
        data = json.loads(meta.read_text("utf-8"))
        if (data["scope"], data["seed"], data.get("limit", 0)) == (scope, seed, limit):
            return _from_json(data)
    election = plan(regions, population, scope, seed, limit)
    (folder / "photos").mkdir(parents=True, exist_ok=True)
    jobs = [(t.id, t.truth, s, header_of(election.names, t.id), seed) for t in election.tps for s in t.shots]
    # The planned retakes' second photo too: the reader will refuse the unusable first one.
    jobs += [
        (t.id, t.truth, Shot(s.page, 1, "clean", s.at_h), header_of(election.names, t.id), seed)
        for t in election.tps
        for s in t.shots
        if s.severity == "unusable"
    ]
    t0, c0 = time.perf_counter(), _children_cpu()
    with mp.get_context("fork").Pool(max(1, workers), _init_worker) as pool:
        for name, jpeg in pool.imap_unordered(render, jobs, chunksize=1):
            (folder / "photos" / name).write_bytes(jpeg)
    election.made_s, election.made_cpu_s = time.perf_counter() - t0, _children_cpu() - c0
    election.photos = len(jobs)
    meta.write_text(json.dumps(_to_json(election) | {"limit": limit}), "utf-8")
    return election


def _children_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _to_json(e: Election) -> dict[str, Any]:
    return {
        "scope": e.scope,
        "seed": e.seed,
        "names": e.names,
        "made_s": e.made_s,
        "made_cpu_s": e.made_cpu_s,
        "photos": e.photos,
        "tps": [asdict(t) for t in e.tps],
    }


def _from_json(d: dict[str, Any]) -> Election:
    tps = [
        TpsPlan(t["id"], t["dpt"], t["truth"], t["story"], [Shot(**s) for s in t["shots"]]) for t in d["tps"]
    ]
    return Election(d["scope"], d["seed"], tps, d["names"], d["made_s"], d["made_cpu_s"], d["photos"])
