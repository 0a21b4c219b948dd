"""Doubts settled by two independent readings: the reader's, and an officer's typed blind.

For every field the reader did not accept, an officer is shown the crop of its boxes (never the machine's
number) and types what the paper says: the KPPS at the TPS with the paper in hand first, then a PPS. The
answer is stored (`blind_reading`) and the TPS decoded again with it as one more witness (`decode_tps`,
`Evidence.human`, with its own prior): when the typed number is the reader's own decoded value and every check
still holds, the decoder accepts the field — two independent readings agree — and a new OCR sheet records it.
Otherwise nothing moves: a KPPS's different number waits for the PPS with both readings side by side, and a
PPS's goes on as a correction a second officer approves (`tally.review.changes.check`). A blind answer can
therefore settle a number only where the photo already supports it; it never changes a count alone.

Each answer is ONE audit entry in its transaction, carrying the number typed, the machine's, whether they
agreed and the TPS results the new sheet set (`tally audit verify` replays them).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ocr.fields import decodable, decode_tps
from ocr.reading import FieldReading
from reconcile.contest import Contest
from reconcile.sheet import Source
from tally.audit import Action, Actor, append
from tally.audit.replay import ResultChange, results_json
from tally.auth.scope import Principal, Role
from tally.db.blind import BlindReadingRow, RetakeRequestRow, TpsConfirmationRow, witnesses
from tally.db.locks import lock_kelurahan
from tally.db.review import ReviewChangeRow
from tally.db.sheets import SheetRow, SheetValueRow
from tally.election.rejudge import rejudge
from tally.election.store import ValueStatus, next_version, supersede_older
from tally.errors import Conflict, Unprocessable
from tally.review.changes import APPROVERS, MAX_VALUE, check, require_role
from tally.review.queue import latest_readings
from tally.review.sheets import current

ANSWERERS = (Role.KPPS, *APPROVERS)
KPPS_LOOKS = 2  # a KPPS number that disagrees is asked for once more, still blind


@dataclass(frozen=True, slots=True)
class BlindDoubt:
    """A field an officer must read from the paper: where to look, never what the machine read."""

    field: str
    label: str
    page: int
    photo_sha256: str | None
    reading: FieldReading | None  # its boxes, for the crop; its value must not reach the officer


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one blind answer, said after it (the machine's number may be shown now)."""

    field: str
    label: str
    value: int
    machine: int | None
    agreed: bool
    message: str
    change: ReviewChangeRow | None = None  # a PPS's different number: the correction it opened
    again: bool = False  # the KPPS is asked for one more look (the machine's number still hidden)


@dataclass(frozen=True, slots=True)
class Decoded:
    """The TPS's newest OCR sheet: each field's (value, status)."""

    sheet: SheetRow | None
    values: dict[str, tuple[int | None, str]]


def newest(session: Session, contest: Contest, tps: str) -> Decoded:
    sheet = session.scalar(
        select(SheetRow)
        .where(
            SheetRow.contest_id == contest.id,
            SheetRow.tps_id == tps,
            SheetRow.source == Source.OCR.value,
        )
        .order_by(SheetRow.version.desc(), SheetRow.created_at.desc(), SheetRow.id.desc())
        .limit(1)
    )
    if sheet is None:
        return Decoded(None, {})
    rows = session.execute(
        select(SheetValueRow.field, SheetValueRow.value, SheetValueRow.status).where(
            SheetValueRow.sheet_id == sheet.id
        )
    )
    return Decoded(sheet, {str(f): (v, str(st)) for f, v, st in rows})


def _answered(session: Session, who: Principal, tps: str) -> set[str]:
    """Fields this officer may no longer answer blind. A PPS answers each field once. The KPPS's TPS (both
    KPPS accounts hold the same paper) answers once, or twice when the first number disagreed with the
    machine's: the page asks for one more look at the paper (never showing the machine's number)."""
    if who.role is not Role.KPPS:
        stmt = select(BlindReadingRow.field).where(
            BlindReadingRow.tps_id == tps, BlindReadingRow.entered_by == who.subject
        )
        return set(session.scalars(stmt))
    rows = session.execute(
        select(BlindReadingRow.field, BlindReadingRow.value, BlindReadingRow.machine, BlindReadingRow.agreed)
        .where(BlindReadingRow.tps_id == tps, BlindReadingRow.role == Role.KPPS.value)
        .order_by(BlindReadingRow.id)
    ).all()
    tries: dict[str, int] = {}
    done = set()
    for field, value, machine, agreed in rows:
        tries[field] = tries.get(field, 0) + 1
        # Another look helps only a number that differs from the machine's; one that agrees but leaves a
        # check broken (the paper's own arithmetic) goes to the PPS as it is.
        if agreed or value == machine or tries[field] >= KPPS_LOOKS:
            done.add(str(field))
    return done


def looks(session: Session, tps: str, field: str) -> int:
    """How many times the KPPS has typed this field."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(BlindReadingRow)
            .where(
                BlindReadingRow.tps_id == tps,
                BlindReadingRow.field == field,
                BlindReadingRow.role == Role.KPPS.value,
            )
        )
        or 0
    )


def open_doubts(session: Session, contest: Contest, who: Principal, tps: str) -> list[BlindDoubt]:
    """The fields `who` is asked to read blind, in form order: those the reader left in review, not yet
    answered by them, nor settled since by an officer's correction."""
    decoded = newest(session, contest, tps)
    if decoded.sheet is None:
        return []
    done = _answered(session, who, tps)
    keyed = {n for n, st in current(session, contest, tps).statuses.items() if st == ValueStatus.KEYED.value}
    readings = latest_readings(session, tps)
    where = {name: (sha, f) for sha, r in readings.values() for name, f in r.fields.items()}
    out = []
    for f in contest.fields:
        _, status = decoded.values.get(f.name, (None, ValueStatus.PENDING.value))
        if status != ValueStatus.REVIEW.value or f.name in done or f.name in keyed:
            continue
        sha, reading = where.get(f.name, (None, None))
        out.append(BlindDoubt(f.name, f.label, f.page, sha, reading))
    return out


def answer(
    session: Session,
    contest: Contest,
    who: Principal,
    actor: Actor,
    tps: str,
    field: str,
    value: int,
    *,
    at: datetime | None = None,
) -> Outcome:
    """Record `who`'s blind reading of `field` and decode the TPS again with it (in the caller's
    transaction). A PPS whose number differs goes on to `check` (a correction for a second officer)."""
    require_role(who, tps, ANSWERERS, "Angka dicek oleh KPPS TPS itu atau PPS kelurahan/desanya.")
    lock_kelurahan(session, tps)  # before the doubts and the newest sheet are read (tally.db.locks)
    if not 0 <= value <= MAX_VALUE:
        raise Unprocessable("bad_value", f"Angka harus 0 sampai {MAX_VALUE} (tiga kotak).")
    spec = next((f for f in contest.fields if f.name == field), None)
    if spec is None:
        raise Unprocessable("unknown_field", "Kolom ini tidak ada di formulir.")
    if field not in {d.field for d in open_doubts(session, contest, who, tps)}:
        raise Conflict("not_in_doubt", "Angka ini sudah dicek atau tidak perlu dicek lagi.")
    at = at or datetime.now(UTC)
    decoded = newest(session, contest, tps)
    machine = decoded.values.get(field, (None, ""))[0]
    attempt = looks(session, tps, field) + 1 if who.role is Role.KPPS else 1
    row = BlindReadingRow(
        contest_id=contest.id,
        tps_id=tps,
        field=field,
        value=value,
        attempt=attempt,
        role=who.role.value,
        entered_by=who.subject,
        machine=machine,
        agreed=False,
        created_at=at,
    )
    try:
        with session.begin_nested():  # two phones answering at once: one wins, the other hears why
            session.add(row)
    except IntegrityError:
        raise Conflict("not_in_doubt", "Angka ini sudah dicek petugas lain.") from None
    settled, changes = _decode_again(session, contest, tps, decoded, at)
    row.agreed = field in settled
    row.sheet_id = settled.get(field)
    session.flush()
    after = {
        "field": field,
        "value": value,
        "role": who.role.value,
        "agreed": row.agreed,
        "sheet": row.sheet_id,
        "results": results_json(changes),
    }
    append(session, actor, Action.BLIND_READING, tps, {"field": field, "machine": machine}, after)
    change = None
    if not row.agreed and who.role in APPROVERS:
        # Both readings are now side by side for this PPS; their number goes the way of any correction
        # (its own entry, after this one).
        change = check(session, contest, who, actor, tps, field, value)
    again = look_again(row)
    shown = None if again else machine  # a second look must be as blind as the first
    return Outcome(field, spec.label, value, shown, row.agreed, message(row, change), change, again)


def look_again(row: BlindReadingRow) -> bool:
    """Is the KPPS asked to look at the paper once more for this answer?"""
    return (
        row.role == Role.KPPS.value
        and not row.agreed
        and row.value != row.machine
        and row.attempt < KPPS_LOOKS
    )


def message(row: BlindReadingRow, change: ReviewChangeRow | None) -> str:
    """What the officer is told after answering (Bahasa)."""
    if row.agreed:
        return f"Cocok: angka {row.value} sama dengan bacaan mesin. Angka ini sah."
    if look_again(row):
        return (
            f"Angka {row.value} belum cocok. Lihat sekali lagi baris ini di formulir, lalu tulis ulang "
            "angkanya (angka mesin tidak ditunjukkan)."
        )
    machine = "mesin tidak dapat membacanya" if row.machine is None else f"mesin membaca {row.machine}"
    if change is not None and change.kind == "confirm":  # a PPS confirming the number that counts
        return f"Angka {row.value} sama dengan bacaan mesin: dikonfirmasi dan berlaku."
    if row.value == row.machine:
        return (
            f"Angka {row.value} sama dengan bacaan mesin, tetapi penjumlahan di formulir belum cocok: "
            "PPS memeriksanya."
        )
    if change is not None and change.state == "applied":
        return f"Anda menulis {row.value}, {machine}. Perbaikan Anda disetujui."
    if change is not None:
        return f"Anda menulis {row.value}, {machine}. Petugas kedua memutuskan dari foto."
    return f"Anda menulis {row.value}, {machine}. PPS akan memutuskan dari foto; angka belum dihitung."


def _decode_again(
    session: Session, contest: Contest, tps: str, decoded: Decoded, at: datetime
) -> tuple[dict[str, str], list[ResultChange]]:
    """Decode the TPS with every blind reading as a witness. A field the decode now accepts at the value the
    newest sheet holds is settled: a new OCR sheet records it (values unchanged, so no upload conflict) and
    the kelurahan is judged again. Returns {settled field: new sheet id} and the TPS results that changed."""
    base = decoded.sheet
    readings = [r for _, r in latest_readings(session, tps).values()]
    if base is None or not readings:
        return {}, []
    human = witnesses(session, tps)
    if decodable(readings):
        fresh = decode_tps(readings, contest, human)
    else:  # a scripted reading has no evidence to weigh: agreeing with its number is all there is
        fresh = {
            n: FieldReading(n, v, 1.0, "accepted")
            for n, (v, _) in decoded.values.items()
            if human.get(n) == v
        }
    settled = [
        name
        for name, (v, st) in decoded.values.items()
        if st == ValueStatus.REVIEW.value
        and name in fresh
        and fresh[name].status == "accepted"
        and fresh[name].value == v
    ]
    if not settled:
        return {}, []
    n = session.scalar(select(func.count()).select_from(BlindReadingRow).where(BlindReadingRow.tps_id == tps))
    sheet_id = hashlib.sha256(f"{base.id}:blind:{n}".encode()).hexdigest()
    version = next_version(session.connection(), contest.id, tps)
    supersede_older(session.connection(), contest.id, tps, version, (base.basis or "").split(","))
    session.add(
        SheetRow(
            id=sheet_id,
            tps_id=tps,
            contest_id=contest.id,
            source=Source.OCR.value,
            version=version,  # supersedes `base`: the same photos
            basis=base.basis,
            pages=base.pages,
            created_at=at,
            photo_sha256=base.photo_sha256,
            reader=base.reader,
            model_version=base.model_version,
        )
    )
    session.flush()
    session.add_all(
        SheetValueRow(
            sheet_id=sheet_id,
            field=name,
            value=v,
            confidence=fresh[name].confidence if name in fresh else None,
            status=ValueStatus.ACCEPTED.value if name in settled else st,
        )
        for name, (v, st) in decoded.values.items()
    )
    session.flush()
    return dict.fromkeys(settled, sheet_id), rejudge(session, contest, tps)


def confirm(session: Session, contest: Contest, who: Principal, actor: Actor, tps: str) -> TpsConfirmationRow:
    """The KPPS's "Periksa & kirim": every number of the TPS looked at, with the photo. Refused while a doubt
    still waits for their blind answer."""
    require_role(who, tps, (Role.KPPS,), "Hasil TPS dikirim oleh KPPS TPS itu sendiri.")
    left = open_doubts(session, contest, who, tps)
    if left:
        raise Conflict("doubts_left", f"Masih ada {len(left)} angka yang perlu dicek sebelum dikirim.")
    now = current(session, contest, tps)
    if now.sheet_id is None:
        raise Conflict("nothing_read", "Belum ada angka yang terbaca. Kirim foto halaman C.Hasil dulu.")
    row = TpsConfirmationRow(
        tps_id=tps, sheet_id=now.sheet_id, confirmed_by=who.subject, created_at=datetime.now(UTC)
    )
    session.add(row)
    session.flush()
    values = dict(sorted(now.values.items()))
    append(session, actor, Action.TPS_CONFIRMED, tps, {}, {"sheet": now.sheet_id, "values": values})
    return row


def request_retake(
    session: Session, contest: Contest, who: Principal, actor: Actor, tps: str, page: int, reason: str
) -> RetakeRequestRow:
    """A PPS asks the KPPS for a new photo of one page, saying why; the KPPS sees it on their page."""
    require_role(who, tps, APPROVERS, "Foto ulang diminta oleh PPS kelurahan/desa TPS itu.")
    if not 1 <= page <= contest.pages:
        raise Unprocessable("bad_page", f"Halaman harus 1 sampai {contest.pages}.")
    reason = " ".join(reason.split())[:300]
    if not reason or "\x00" in reason:
        raise Unprocessable("no_reason", "Tulis alasan foto ulang agar KPPS tahu apa yang harus diperbaiki.")
    row = RetakeRequestRow(
        tps_id=tps, page=page, reason=reason, requested_by=who.subject, created_at=datetime.now(UTC)
    )
    session.add(row)
    session.flush()
    append(session, actor, Action.RETAKE_REQUESTED, tps, {}, {"page": page, "reason": reason, "id": row.id})
    return row
