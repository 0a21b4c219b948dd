"""What one officer still has to do for one TPS, and typing a number for it (the PPS page and the API).

- To type, blind (crop, never the machine's number): the fields the reader doubted that this officer has not
  answered (`tally.review.blind.open_doubts`), then — for a PPS/PPK — the fields an error flag names that no
  officer has decided and nobody's change is waiting on (an arithmetic check the paper itself breaks).
- To decide, side by side: the changes someone else made that wait for a second officer, with the machine's
  number and what the KPPS typed blind.
A number typed for a reader's doubt is a blind reading (`answer`); for any other field it is a check
(`tally.review.changes.check`, a PPS/PPK only): the same number as the one that counts confirms it, another
is a correction for a second officer.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ocr.reading import FieldReading
from reconcile.contest import Contest
from tally.audit import Actor
from tally.auth.scope import Principal, Role
from tally.db.blind import BlindReadingRow
from tally.db.review import ReviewChangeRow
from tally.errors import Conflict
from tally.review.blind import ANSWERERS, Outcome, answer, newest, open_doubts
from tally.review.changes import APPROVERS, Kind, State, check, require_role
from tally.review.queue import doubts


@dataclass(frozen=True, slots=True)
class ToType:
    field: str
    label: str
    page: int
    photo_sha256: str | None
    reading: FieldReading | None
    blind: bool  # a reader's doubt (a blind reading); else a field a rule names (a check)


@dataclass(frozen=True, slots=True)
class Approval:
    """A change someone else made, for this officer to approve or refuse: both readings side by side."""

    change: ReviewChangeRow
    label: str
    page: int
    machine: int | None
    photo_sha256: str | None
    kpps: int | None  # what the KPPS typed blind, when they did


@dataclass(frozen=True, slots=True)
class Work:
    todo: tuple[ToType, ...]  # in order: the reader's doubts, then the checks
    approvals: tuple[Approval, ...]
    mine: tuple[ReviewChangeRow, ...]  # this officer's changes waiting for someone else


def work(session: Session, contest: Contest, who: Principal, tps: str) -> Work:
    """The officer's work on `tps` now (the caller has checked the officer may see the TPS)."""
    blind = open_doubts(session, contest, who, tps)
    if who.role not in APPROVERS:  # a KPPS answers the reader's doubts of their TPS, nothing else
        todo = [ToType(d.field, d.label, d.page, d.photo_sha256, d.reading, True) for d in blind]
        return Work(tuple(todo), (), ())
    found = doubts(session, contest, tps)
    blind_fields = {d.field for d in blind}
    mine = [c for d in found for c in d.waiting if c.proposed_by == who.subject]
    mine_fields = {c.field for c in mine}
    # A field someone else already corrected is decided side by side (below), not typed blind again.
    others = {c.field for d in found for c in d.waiting if c.proposed_by != who.subject}
    todo = [
        ToType(d.field, d.label, d.page, d.photo_sha256, d.reading, True)
        for d in blind
        if d.field not in others
    ] + [
        ToType(d.field, d.label, d.page, d.photo_sha256, d.reading, False)
        for d in found
        if d.field not in blind_fields and not d.keyed and not d.waiting and d.field not in mine_fields
    ]
    decoded = newest(session, contest, tps)
    kpps = {
        str(f): int(v)
        for f, v in session.execute(
            select(BlindReadingRow.field, BlindReadingRow.value).where(
                BlindReadingRow.tps_id == tps, BlindReadingRow.role == Role.KPPS.value
            )
        )
    }
    approvals = [
        Approval(
            c, d.label, d.page, decoded.values.get(d.field, (None, ""))[0], d.photo_sha256, kpps.get(d.field)
        )
        for d in found
        for c in d.waiting
        if c.proposed_by != who.subject
    ]
    return Work(tuple(todo), tuple(approvals), tuple(mine))


def type_in(
    session: Session, contest: Contest, who: Principal, actor: Actor, tps: str, field: str, value: int
) -> Outcome:
    """A number typed from the crop (in the caller's transaction): a blind reading when the reader doubted
    the field and this officer has not answered it, else a check (a PPS/PPK only: confirm or correct)."""
    require_role(who, tps, ANSWERERS, "Angka dicek oleh KPPS TPS itu atau PPS kelurahan/desanya.")
    if field in {d.field for d in open_doubts(session, contest, who, tps)}:
        return answer(session, contest, who, actor, tps, field, value)
    if who.role not in APPROVERS:  # a KPPS reads the reader's doubts of their TPS, once each
        raise Conflict("not_in_doubt", "Angka ini sudah dicek atau tidak perlu dicek lagi.")
    change = check(session, contest, who, actor, tps, field, value)
    agreed = change.kind == Kind.CONFIRM.value or change.state == State.APPLIED.value
    label = contest.field(field).label
    return Outcome(field, label, value, change.before, agreed, check_message(change), change)


def check_message(change: ReviewChangeRow) -> str:
    """What the officer is told after a check (Bahasa)."""
    if change.kind == Kind.CONFIRM.value:
        return f"Angka {change.after} sama dengan angka yang berlaku: dikonfirmasi."
    if change.state == State.APPLIED.value:
        return f"Angka {change.after} disetujui dan berlaku."
    if change.state == State.REJECTED.value:
        return "Perubahan ditolak."
    before = "kosong" if change.before is None else change.before
    return f"Anda menulis {change.after}; angka yang berlaku {before}. Petugas kedua memutuskan dari foto."
