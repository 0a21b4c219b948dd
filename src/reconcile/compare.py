"""Several uploads of one TPS settled into one consensus sheet, field by field.

Two KPPS officers hold accounts per TPS and both may upload; a PPS officer may key in an approved correction.
Per field: the highest-version CORRECTION that reads it supersedes everything else; otherwise the uploads that
read it agree (one value) or disagree — then the field stays pending and an UPLOAD_CONFLICT flag names both
values, so neither number reaches the totals until someone looks at the photos.

An OCR sheet decoded again from the same photos plus more evidence (the TPS's next page, decoded together
with the earlier ones; an officer's blind reading) is not another upload: the later decode supersedes it
(`TallySheet.basis`). Comparing the two would flag the joint decode's better reading of a page-2 number as
a conflict with the page-2-alone reading it replaced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from reconcile.contest import Contest
from reconcile.flags import Flag, Rule
from reconcile.ids import SheetId, TpsId
from reconcile.rules import describe
from reconcile.sheet import Source, TallySheet


class Agreement(StrEnum):
    SINGLE = "single"  # one upload read it
    AGREE = "agree"  # several uploads read the same number
    DISAGREE = "disagree"  # uploads read different numbers: pending until corrected
    CORRECTED = "corrected"  # an approved correction supersedes the uploads
    PENDING = "pending"  # no upload read it


@dataclass(frozen=True, slots=True)
class FieldConsensus:
    name: str
    value: int | None
    agreement: Agreement
    readings: tuple[tuple[SheetId, int | None], ...]  # every upload's reading, in upload order


@dataclass(frozen=True, slots=True)
class Consensus:
    tps: TpsId
    sheet: TallySheet  # the settled sheet that counts for this TPS
    fields: tuple[FieldConsensus, ...]
    flags: tuple[Flag, ...]  # UPLOAD_CONFLICT, one per disagreeing field

    def field(self, name: str) -> FieldConsensus:
        return next(f for f in self.fields if f.name == name)


def _order(sheet: TallySheet) -> tuple[bool, int, str]:
    return (sheet.source is Source.CORRECTION, sheet.version, sheet.id)


def superseded(sheet: TallySheet, uploads: Sequence[TallySheet]) -> bool:
    """A later decode of the same photos (and more) replaces `sheet`."""
    return bool(sheet.basis) and any(
        o.source is sheet.source and o.version > sheet.version and sheet.basis <= o.basis for o in uploads
    )


def consensus(uploads: Sequence[TallySheet], contest: Contest) -> Consensus:
    if not uploads:
        raise ValueError("tidak ada unggahan untuk dibandingkan")
    tps = uploads[0].tps
    if any(u.tps != tps for u in uploads):
        raise ValueError(f"unggahan dari TPS berbeda: {sorted({u.tps for u in uploads})}")
    uploads = [u for u in uploads if not superseded(u, uploads)]
    corrections = sorted((u for u in uploads if u.source is Source.CORRECTION), key=_order, reverse=True)
    readings = [u for u in uploads if u.source is not Source.CORRECTION]
    fields: list[FieldConsensus] = []
    flags: list[Flag] = []
    doubtful: set[str] = set()
    for f in contest.fields:
        every = tuple((u.id, u.get(f.name)) for u in uploads)
        fixed = next((c.get(f.name) for c in corrections if c.get(f.name) is not None), None)
        seen = list(dict.fromkeys(v for u in readings if (v := u.get(f.name)) is not None))
        if fixed is not None:
            fields.append(FieldConsensus(f.name, fixed, Agreement.CORRECTED, every))
        elif not seen:
            fields.append(FieldConsensus(f.name, None, Agreement.PENDING, every))
        elif len(seen) == 1:
            read_by = sum(u.get(f.name) is not None for u in readings)
            agreement = Agreement.AGREE if read_by > 1 else Agreement.SINGLE
            # Still in doubt unless some upload read this number without doubt.
            if all(f.name in u.doubtful for u in readings if u.get(f.name) is not None):
                doubtful.add(f.name)
            fields.append(FieldConsensus(f.name, seen[0], agreement, every))
        else:
            fields.append(FieldConsensus(f.name, None, Agreement.DISAGREE, every))
            shown = " dan ".join(str(v) for v in seen)
            hint = f"Unggahan berbeda untuk {describe((f.name,))}: {shown}; periksa foto lalu ajukan koreksi."
            flags.append(Flag(tps, Rule.UPLOAD_CONFLICT, (f.name,), seen[0], seen[1], hint))
    latest = max(uploads, key=_order)
    values = {fc.name: fc.value for fc in fields}
    pages = frozenset().union(*(u.pages for u in uploads))
    version = max(u.version for u in uploads)
    sheet = TallySheet(latest.id, tps, contest.id, values, pages, latest.source, version, frozenset(doubtful))
    return Consensus(tps, sheet, tuple(fields), tuple(flags))
