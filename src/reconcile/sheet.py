"""A TallySheet is what one TPS's C.Hasil says, page by page, however it was read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from reconcile.ids import SheetId, TpsId


class Source(StrEnum):
    OCR = "ocr"  # read from a photo
    KEYED = "keyed"  # typed in by an officer
    CORRECTION = "correction"  # an approved correction that supersedes earlier readings
    SYNTH = "synth"  # generated for demos, tests and benchmarks


@dataclass(frozen=True, slots=True)
class TallySheet:
    """`values` maps field name → number; a field that is missing or None has not been read (pending)."""

    id: SheetId
    tps: TpsId
    contest: str
    values: Mapping[str, int | None]
    pages: frozenset[int] = field(default_factory=frozenset)
    source: Source = Source.OCR
    version: int = 1  # higher is newer: a CORRECTION supersedes lower ones; an OCR decode, see `basis`
    # Fields read but awaiting an officer (the OCR was not sure): rules see them, totals never count them.
    doubtful: frozenset[str] = field(default_factory=frozenset)
    # The photos an OCR sheet was decoded from. A later decode whose photos include all of these (another
    # page arrived, an officer's blind reading weighed in) supersedes it; photos that differ are independent
    # uploads that must agree (`reconcile.compare`). Empty: never superseded.
    basis: frozenset[str] = field(default_factory=frozenset)

    def get(self, name: str) -> int | None:
        return self.values.get(name)
