"""The result tree of reading one photo: `Reading > FieldReading > DigitReading`, JSON round-trip.

Every level carries a value, a confidence and, where it has one, a box in photo coordinates, so a reviewer
can be shown exactly what the machine saw. Status of a field:

- ``accepted``: the best reading clearly beats the runner-up AND the independent readings (OMR bubbles,
  tally subtotals, the contest arithmetic) agree with it. Only this status may flow on without a person.
- ``review``: anything doubtful; `reason` says why (Bahasa Indonesia) and `candidates` lists the top values.
- ``empty``: nothing read for this field yet (its page has not arrived, or the photo was rejected).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["accepted", "review", "empty"]
STATUSES: tuple[Status, ...] = ("accepted", "review", "empty")
Quad = tuple[tuple[float, float], tuple[float, float], tuple[float, float], tuple[float, float]]
BLANK = None  # a digit box holding an X or nothing


@dataclass(frozen=True, slots=True)
class Alternative:
    value: int | None  # None = X/blank
    probability: float


@dataclass(frozen=True, slots=True)
class DigitReading:
    """One digit box: 0–9, or None for an X / blank box."""

    value: int | None
    confidence: float
    quad: Quad  # the box's corners in photo pixels (tl, tr, br, bl of the printed box)
    alternatives: tuple[Alternative, ...] = ()
    flags: tuple[str, ...] = ()  # e.g. "two_digits", "ink_outside"


@dataclass(frozen=True, slots=True)
class Candidate:
    value: int | None
    probability: float


@dataclass(frozen=True, slots=True)
class FieldReading:
    name: str
    value: int | None
    confidence: float
    status: Status
    digits: tuple[DigitReading, ...] = ()
    candidates: tuple[Candidate, ...] = ()  # best first; the value the decoder chose is first
    reason: str | None = None  # why review, in Bahasa Indonesia
    evidence: dict[str, int | None] = field(default_factory=dict)  # independent readings: "omr", "tally"


@dataclass(frozen=True, slots=True)
class Reading:
    page: int | None
    fields: dict[str, FieldReading]
    model_version: str
    rejected: str | None = None  # why the quality gate refused the photo, and what to do
    tps: str | None = None  # from the upload
    qr_tps: str | None = None  # from the page's QR code when it has one
    orientation: int = 0  # degrees the photo was rotated (clockwise) to read it upright
    quality: dict[str, float] = field(default_factory=dict)
    flags: tuple[str, ...] = ()  # page-level findings in Bahasa Indonesia (wrong page, TPS mismatch)
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def needs_review(self) -> bool:
        return self.rejected is not None or any(f.status != "accepted" for f in self.fields.values())

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reading:
        fields = {k: _field_from_json(v) for k, v in data["fields"].items()}
        return cls(
            page=data["page"],
            fields=fields,
            model_version=data["model_version"],
            rejected=data.get("rejected"),
            tps=data.get("tps"),
            qr_tps=data.get("qr_tps"),
            orientation=int(data.get("orientation", 0)),
            quality={k: float(v) for k, v in data.get("quality", {}).items()},
            flags=tuple(data.get("flags", ())),
            timings_ms={k: float(v) for k, v in data.get("timings_ms", {}).items()},
        )


def _quad(raw: Any) -> Quad:
    a, b, c, d = (tuple(float(x) for x in p) for p in raw)
    return ((a[0], a[1]), (b[0], b[1]), (c[0], c[1]), (d[0], d[1]))


def _field_from_json(d: dict[str, Any]) -> FieldReading:
    status = d["status"]
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    return FieldReading(
        name=d["name"],
        value=d["value"],
        confidence=float(d["confidence"]),
        status=status,
        digits=tuple(
            DigitReading(
                value=g["value"],
                confidence=float(g["confidence"]),
                quad=_quad(g["quad"]),
                alternatives=tuple(
                    Alternative(a["value"], float(a["probability"])) for a in g["alternatives"]
                ),
                flags=tuple(g["flags"]),
            )
            for g in d["digits"]
        ),
        candidates=tuple(Candidate(c["value"], float(c["probability"])) for c in d["candidates"]),
        reason=d.get("reason"),
        evidence=dict(d.get("evidence", {})),
    )
