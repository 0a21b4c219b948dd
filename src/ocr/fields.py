"""From a straightened page to `FieldReading`s, and from the readings of a TPS's pages to one decision.

`read_page` gathers each number's evidence (digit-box probabilities, the OMR bubbles) and decodes what one
page allows; `decode_tps` rebuilds the evidence from the stored readings of every page that has arrived and
decodes again with the checks that span pages (page 3's V.A = Σ page 2, V.C = ballots used on page 1).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from ocr.cells import DigitModel, cut_cell, paper_level
from ocr.decode import BLANK_CLASS, UNSEEN_INK, Decision, Evidence, decide
from ocr.forms.spec import PageSpec
from ocr.locate import Gray, Located
from ocr.omr import read_total
from ocr.reading import Alternative, Candidate, DigitReading, FieldReading, Quad, Reading
from ocr.register import Registration, slid_too_far
from ocr.tally_marks import read_subtotals
from reconcile.contest import Contest

KEEP_ALTERNATIVE = 1e-4  # class probabilities kept in the reading: enough to decode again later
SLID = (
    "Posisi baris pada foto tidak pasti (kertas terlipat/melengkung) — angka ini mungkin terbaca dari baris "
    "sebelahnya; periksa semua angka halaman ini."
)


def _quad(
    located: Located, x: float, y: float, w: float, h: float, moved: Registration | None, px_per_mm: float
) -> Quad:
    """The printed box's corners in photo pixels: where the spec puts it, plus the local shift the
    re-registration measured there (a crumple moves a box by millimetres; the reviewer's crop follows)."""
    mm = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=np.float64)
    if moved is not None:
        mm = mm + moved.shift_at(mm * px_per_mm, px_per_mm) / px_per_mm
    pts = located.to_photo(mm)
    a, b, c, d = ((round(float(p[0]), 1), round(float(p[1]), 1)) for p in pts)
    return (a, b, c, d)


def _cls(i: int) -> int | None:
    return None if i == BLANK_CLASS else i


def read_page(
    page: Gray,
    located: Located,
    spec: PageSpec,
    model: DigitModel,
    px_per_mm: float,
    contest: Contest,
    printed: NDArray[np.bool_] | None = None,
    moved: Registration | None = None,
) -> dict[str, FieldReading]:
    """Every number on a straightened (and re-registered: `moved` says by how much) page."""
    paper = paper_level(page)
    cells = {
        n.field: [cut_cell(page, b, px_per_mm, paper, i, printed) for i, b in enumerate(n.boxes)]
        for n in spec.numbers
    }
    crops = [c.crop for n in spec.numbers for c in cells[n.field]]
    # One (boxes × classes) array per number, as many boxes as the spec draws for it and the model's classes.
    flat = np.asarray(model.predict(crops), dtype=np.float64)
    probs = np.split(flat, np.cumsum([len(n.boxes) for n in spec.numbers])[:-1])
    evidence: dict[str, Evidence] = {}
    digits: dict[str, tuple[DigitReading, ...]] = {}
    slid = ("slid",) if moved is not None and slid_too_far(moved, spec, px_per_mm) else ()
    for i, num in enumerate(spec.numbers):
        omr = read_total(page, num.bubbles, px_per_mm, paper) if num.bubbles else None
        tally = read_subtotals(page, num.tally, model, px_per_mm) if num.tally else None
        flags = frozenset(f for c in cells[num.field] for f in c.flags if f in UNSEEN_INK)
        evidence[num.field] = Evidence(num.field, probs[i], omr=omr, tally=tally, flags=flags)
        digits[num.field] = tuple(
            _digit(
                probs[i][j],
                _quad(located, b.x, b.y, b.w, b.h, moved, px_per_mm),
                cells[num.field][j].flags + slid,
            )
            for j, b in enumerate(num.boxes)
        )
    return _readings(decide(evidence, contest), evidence, digits)


def _digit(p: NDArray[np.float64], quad: Quad, flags: tuple[str, ...]) -> DigitReading:
    order = np.argsort(-p)
    alts = tuple(Alternative(_cls(int(k)), round(float(p[k]), 6)) for k in order if p[k] >= KEEP_ALTERNATIVE)
    return DigitReading(_cls(int(order[0])), float(p[order[0]]), quad, alts, flags)


def _readings(
    decisions: dict[str, Decision], evidence: dict[str, Evidence], digits: dict[str, tuple[DigitReading, ...]]
) -> dict[str, FieldReading]:
    out: dict[str, FieldReading] = {}
    for name, d in decisions.items():
        reason = d.reason
        # A page whose registration slid may have been read a row off, and a row off still adds up (the
        # neighbouring row is a sum too): no witness on the page clears it, not even a person's reading.
        slid = any("slid" in g.flags for g in digits[name])
        if slid and (reason is None or reason in UNSEEN_INK.values()):
            reason = SLID
        ev = evidence[name]
        out[name] = FieldReading(
            name=name,
            value=d.value,
            confidence=round(d.posterior, 6),
            status="accepted" if reason is None else "review",
            digits=digits[name],
            candidates=tuple(Candidate(v, round(p, 6)) for v, p in d.candidates),
            reason=reason,
            evidence={
                k: v for k, v in (("omr", ev.omr), ("tally", ev.tally), ("human", ev.human)) if v is not None
            },
        )
    return out


def _probs_of(field: FieldReading) -> NDArray[np.float64]:
    p = np.full((len(field.digits), BLANK_CLASS + 1), KEEP_ALTERNATIVE / 10)  # 0–9, then blank
    for j, g in enumerate(field.digits):
        for a in g.alternatives:
            p[j, BLANK_CLASS if a.value is None else a.value] = a.probability
    return np.asarray(p / p.sum(axis=1, keepdims=True), dtype=np.float64)


def decodable(readings: list[Reading]) -> bool:
    """Do the readings carry per-box evidence to decode again? A keyed or scripted reading (no alternatives)
    has none: its fields stand as given."""
    evidence = [d.alternatives for r in readings for f in r.fields.values() for d in f.digits]
    return bool(evidence) and all(evidence)


def decode_tps(
    readings: list[Reading], contest: Contest, human: Mapping[str, int] | None = None
) -> dict[str, FieldReading]:
    """Every contest field for one TPS from the readings that have arrived (the latest per page wins);
    fields of pages not yet read are ``empty``. `human`: what officers typed blind, one more witness each."""
    latest: dict[int, Reading] = {}
    for r in readings:
        if r.page is not None and r.rejected is None:
            latest[r.page] = r
    fields = {n: f for r in latest.values() for n, f in r.fields.items() if f.digits}
    evidence = {
        n: Evidence(
            n,
            _probs_of(f),
            omr=f.evidence.get("omr"),
            tally=f.evidence.get("tally"),
            human=(human or {}).get(n),
            flags=frozenset(g for d in f.digits for g in d.flags if g in UNSEEN_INK),
        )
        for n, f in fields.items()
    }
    out = _readings(decide(evidence, contest), evidence, {n: f.digits for n, f in fields.items()})
    for f in contest.fields:
        out.setdefault(f.name, FieldReading(f.name, None, 0.0, "empty", reason="Halaman belum diunggah."))
    return out
