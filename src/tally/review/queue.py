"""What a PPS looks at: the queue of TPS in a kelurahan (worst first) and, for one TPS, the fields in doubt.

A field is in doubt when the reader was not sure of it (status review/empty on a page it read), when an error
flag on the sheet that counts names it, or when a change of it waits for approval. Each carries what the
reviewer needs beside the number: the photo and the digit boxes it was read from (for the crop), the
alternatives, the independent readings (OMR bubbles, tally) and the hint of every rule that fired.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import IntEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from ocr.reading import FieldReading, Reading
from reconcile.contest import Contest
from reconcile.flags import Severity
from tally.db.blind import open_retakes
from tally.db.flags import FlagRow
from tally.db.intake import PhotoRow, ReadingRow
from tally.db.regions import TpsRow
from tally.db.results import TpsResultRow
from tally.db.review import ReviewChangeRow
from tally.db.sheets import SheetRow
from tally.review.changes import State
from tally.review.sheets import current


class Priority(IntEnum):
    """Queue order: errors, then doubts, then what is still coming in, then the settled and the empty."""

    ERROR = 0
    REVIEW = 1
    PENDING = 2
    DONE = 3
    EMPTY = 4


SETTLED = ("accepted", "keyed")
RETAKE = {"rejected", "held", "failed"}  # a page's newest photo in one of these: the KPPS must send another
READING = {"queued", "reading"}

LABELS = {
    Priority.ERROR: "galat",
    Priority.REVIEW: "perlu diperiksa",
    Priority.PENDING: "menunggu",
    Priority.DONE: "selesai",
    Priority.EMPTY: "belum ada foto",
}


@dataclass(frozen=True, slots=True)
class QueueItem:
    tps_id: str
    number: int
    priority: Priority
    errors: int
    doubts: int
    waiting: int  # changes waiting for a second pair of eyes
    photos: int
    retake: bool = False  # a page must be photographed again (refused, held, or the PPS asked)

    @property
    def label(self) -> str:
        return LABELS[self.priority]


@dataclass(frozen=True, slots=True)
class Doubt:
    field: str
    label: str
    page: int
    value: int | None  # the value that counts now
    keyed: bool  # an officer already decided this field
    reading: FieldReading | None
    photo_sha256: str | None
    hints: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    waiting: tuple[ReviewChangeRow, ...] = ()

    @property
    def open(self) -> bool:
        return not self.keyed or bool(self.waiting)


def live_flags(session: Session, contest_id: str, tps: str) -> list[FlagRow]:
    """The error flags of the sheet that counts for the TPS (older readings' flags are history)."""
    result = session.get(TpsResultRow, (contest_id, tps))
    sheet = (
        result.sheet_id
        if result is not None
        else session.scalar(
            select(SheetRow.id)
            .where(SheetRow.contest_id == contest_id, SheetRow.tps_id == tps)
            .order_by(SheetRow.created_at.desc())
            .limit(1)
        )
    )
    if sheet is None:
        return []
    stmt = select(FlagRow).where(
        FlagRow.contest_id == contest_id,
        FlagRow.subject == tps,
        FlagRow.severity == Severity.ERROR.value,
        (FlagRow.sheet_id == sheet) | FlagRow.sheet_id.is_(None),
    )
    return list(session.scalars(stmt.order_by(FlagRow.id)))


def latest_readings(session: Session, tps: str) -> dict[int, tuple[str, Reading]]:
    """Per page, the newest reading filed into the TPS's sheet: (photo sha256, reading). A rejected photo,
    or one whose form names another TPS (held), has no sheet and is not one of them."""
    rows = session.execute(
        select(ReadingRow.page, ReadingRow.photo_sha256, ReadingRow.body)
        .join(PhotoRow, PhotoRow.sha256 == ReadingRow.photo_sha256)
        .where(PhotoRow.tps_id == tps, ReadingRow.page.is_not(None), ReadingRow.sheet_id.is_not(None))
        .order_by(ReadingRow.created_at, ReadingRow.id)
    ).all()
    return {int(page or 0): (sha, Reading.from_json(json.loads(body))) for page, sha, body in rows}


def doubts(session: Session, contest: Contest, tps: str) -> list[Doubt]:
    """The fields of one TPS a reviewer must look at: those the reader doubted first, then those a rule or a
    waiting change names, each group in form order."""
    now = current(session, contest, tps)
    readings = latest_readings(session, tps)
    read_by_field = {
        name: (sha, page, f) for page, (sha, r) in readings.items() for name, f in r.fields.items()
    }
    hints: dict[str, list[tuple[str, str]]] = {}
    for flag in live_flags(session, contest.id, tps):
        for name in (x for x in flag.fields.split(",") if x):
            hints.setdefault(name, []).append((flag.rule, flag.hint))
    waiting: dict[str, list[ReviewChangeRow]] = {}
    for change in session.scalars(
        select(ReviewChangeRow)
        .where(ReviewChangeRow.tps_id == tps, ReviewChangeRow.state == State.PENDING.value)
        .order_by(ReviewChangeRow.id)
    ):
        waiting.setdefault(change.field, []).append(change)
    found: list[tuple[bool, Doubt]] = []
    for f in contest.fields:
        sha, _, reading = read_by_field.get(f.name, (None, None, None))
        # Settled or not is the TPS's sheet's word (pages decoded together, blind readings weighed), not the
        # page's own reading: a page-3 total page 2 confirms, or a doubt the KPPS settled blind, is done.
        unsure = reading is not None and now.statuses.get(f.name) not in SETTLED
        if not (unsure or f.name in hints or f.name in waiting):
            continue
        found.append(
            (
                not unsure,
                Doubt(
                    field=f.name,
                    label=f.label,
                    page=f.page,
                    value=now.values.get(f.name),
                    keyed=now.statuses.get(f.name) == "keyed",
                    reading=reading,
                    photo_sha256=sha,
                    hints=tuple(dict.fromkeys(h for _, h in hints.get(f.name, []))),
                    rules=tuple(dict.fromkeys(r for r, _ in hints.get(f.name, []))),
                    waiting=tuple(waiting.get(f.name, [])),
                ),
            ),
        )
    return [d for _, d in sorted(found, key=lambda pair: pair[0])]


def queue(session: Session, contest: Contest, desa: str) -> list[QueueItem]:
    """Every TPS of a kelurahan/desa, worst first."""
    items = []
    for tps in session.scalars(select(TpsRow).where(TpsRow.desa == desa).order_by(TpsRow.id)):
        rows = session.execute(
            select(PhotoRow.page, PhotoRow.status)
            .where(PhotoRow.tps_id == tps.id)
            .order_by(PhotoRow.uploaded_at, PhotoRow.sha256)
        ).all()
        latest = {int(page): str(status) for page, status in rows}  # each page's newest photo
        errors = len(live_flags(session, contest.id, tps.id))
        found = doubts(session, contest, tps.id) if rows else []
        open_ = sum(d.open for d in found)
        waiting = sum(len(d.waiting) for d in found)
        retake = bool(RETAKE & set(latest.values())) or bool(open_retakes(session, tps.id))
        if not rows:
            priority = Priority.EMPTY
        elif errors:
            priority = Priority.ERROR
        elif open_ or retake:
            priority = Priority.REVIEW
        elif READING & set(latest.values()) or len(latest) < contest.pages:
            priority = Priority.PENDING
        else:
            priority = Priority.DONE
        items.append(QueueItem(tps.id, tps.number, priority, errors, open_, waiting, len(rows), retake))
    return sorted(items, key=lambda i: (i.priority, -i.errors, -i.doubts, i.tps_id))


@dataclass(frozen=True, slots=True)
class Progress:
    """A kelurahan at a glance: "12/18 TPS selesai, 3 menunggu foto ulang"."""

    tps: int
    done: int
    retake: int
    empty: int
    open: int

    @classmethod
    def of(cls, items: list[QueueItem]) -> Progress:
        return cls(
            tps=len(items),
            done=sum(i.priority is Priority.DONE for i in items),
            retake=sum(i.retake for i in items),
            empty=sum(i.priority is Priority.EMPTY for i in items),
            open=sum(i.priority in (Priority.ERROR, Priority.REVIEW) for i in items),
        )


def next_tps(items: list[QueueItem], after: str) -> QueueItem | None:
    """The next TPS that needs a person (worst first), other than `after`."""
    return next(
        (i for i in items if i.tps_id != after and i.priority in (Priority.ERROR, Priority.REVIEW)), None
    )
