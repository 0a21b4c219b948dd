"""Applying one reading: the reading row, the TPS's sheet, its flags, the photo's status, its ONE audit entry
(carrying the values read and the TPS results they set) and the job's end, in ONE transaction. The reading
is unique per (photo, model version), so a job delivered twice (a worker killed after the commit but before
it acknowledged) applies once; the second attempt finds the row and only closes the job.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ocr.fields import decodable, decode_tps
from ocr.reading import Reading
from reconcile.contest import Contest
from reconcile.sheet import Source
from tally.audit import Action, Actor, append
from tally.audit.replay import ResultChange, results_json
from tally.db.blind import RetakeRequestRow, witnesses
from tally.db.intake import OcrJobRow, PhotoRow, ReadingRow
from tally.db.locks import lock_kelurahan
from tally.db.sheets import ContestRow, SheetRow, SheetValueRow
from tally.election.rejudge import rejudge
from tally.election.store import next_version, save_contest, supersede_older
from tally.photos.intake import PhotoStatus
from tally.queue.base import Claim

UNAVAILABLE = "OCR belum terpasang di server ini: foto tersimpan aman, angka belum dibaca."


def photo_status(reading: Reading | None, tps: str | None = None) -> PhotoStatus:
    if reading is None:
        return PhotoStatus.OCR_UNAVAILABLE
    if reading.rejected is not None:
        return PhotoStatus.REJECTED
    if other_tps(reading, tps):
        return PhotoStatus.HELD
    return PhotoStatus.REVIEW if reading.needs_review else PhotoStatus.READ


def other_tps(reading: Reading, tps: str | None) -> bool:
    """The form itself names another TPS (the QR on the pages we render): never count it into `tps`."""
    return tps is not None and reading.qr_tps is not None and reading.qr_tps != tps


def _detail(photo: PhotoRow, reading: Reading | None) -> str | None:
    """What the KPPS reads beside the photo's status (Bahasa)."""
    if reading is None:
        return UNAVAILABLE
    if reading.rejected is not None:
        return reading.rejected
    if other_tps(reading, photo.tps_id):
        return (
            f"Formulir di foto ini milik TPS lain ({reading.qr_tps}), bukan TPS ini. Foto disimpan tetapi "
            "tidak dihitung. Foto formulir C.Hasil TPS Anda sendiri."
        )
    if reading.page is not None and reading.page != photo.page:
        return (
            f"Foto ini halaman {reading.page}, dikirim di tempat halaman {photo.page}: "
            f"disimpan sebagai halaman {reading.page}."
        )
    return None


def apply_reading(
    sessions: sessionmaker[Session],
    claim: Claim,
    photo: PhotoRow,
    reading: Reading | None,
    reader: str,
    seconds: float,
    contest: Contest,
) -> bool:
    """Record the outcome of a job. False when this (photo, model version) was already applied."""
    at = datetime.now(UTC)
    status = photo_status(reading, photo.tps_id)
    model = reading.model_version if reading is not None else "none"
    try:
        with sessions() as s, s.begin():
            if photo.tps_id is not None:
                lock_kelurahan(s, photo.tps_id)  # before reading the TPS's other pages (tally.db.locks)
            row = ReadingRow(
                photo_sha256=photo.sha256,
                reader=reader if reading is not None else "none",
                model_version=model,
                status=status.value,
                page=reading.page if reading is not None else None,
                rejected=reading.rejected if reading is not None else None,
                body=json.dumps(reading.to_json() if reading is not None else {}),
                seconds=seconds,
                created_at=at,
            )
            s.add(row)
            s.flush()  # the unique (photo, model) check fires here
            changes: list[ResultChange] = []
            filed: dict[str, object] = {"status": status, "detail": _detail(photo, reading)}
            if status in (PhotoStatus.READ, PhotoStatus.REVIEW) and reading is not None:
                if reading.page is not None and reading.page != photo.page:  # filed as the page it shows
                    filed |= {"page": reading.page, "sent_page": photo.page}
                row.sheet_id, changes = _store_sheet(s, photo, reading, reader, contest, at)
                _close_retakes(s, photo, reading, at)
            s.execute(update(PhotoRow).where(PhotoRow.sha256 == photo.sha256).values(**filed))
            _audit(s, photo, row, reading, changes)
            _finish(s, claim, at)
        return True
    except IntegrityError:
        with sessions() as s, s.begin():
            _finish(s, claim, at)
        return False


def _audit(
    s: Session, photo: PhotoRow, row: ReadingRow, reading: Reading | None, changes: list[ResultChange]
) -> None:
    """The reading's audit entry: what was read from which photo, and every TPS result it set."""
    after = {
        "photo": photo.sha256,
        "page": row.page,
        "status": row.status,
        "model": row.model_version,
        "sheet": row.sheet_id,
        "values": {} if reading is None else {n: f.value for n, f in sorted(reading.fields.items())},
        "results": results_json(changes),
    }
    actor = Actor(f"ocr:{row.reader}", "system", photo.uploaded_by)
    append(s, actor, Action.READING, photo.tps_id, {}, after)


def _close_retakes(s: Session, photo: PhotoRow, reading: Reading, at: datetime) -> None:
    """A readable photo of the page the PPS asked to photograph again answers the request."""
    s.execute(
        update(RetakeRequestRow)
        .where(
            RetakeRequestRow.tps_id == photo.tps_id,
            RetakeRequestRow.page == reading.page,
            RetakeRequestRow.closed_at.is_(None),
        )
        .values(closed_at=at, closed_by_photo=photo.sha256)
    )


def _finish(s: Session, claim: Claim, at: datetime) -> None:
    s.execute(
        update(OcrJobRow)
        .where(OcrJobRow.id == claim.job_id)
        .values(state="done", finished_at=at, lease_until=None, error=None)
    )


def _store_sheet(
    s: Session, photo: PhotoRow, reading: Reading, reader: str, contest: Contest, at: datetime
) -> tuple[str, list[ResultChange]]:
    """The TPS's sheet as read so far: the newest reading of each page, decoded together (a page-3 total
    that its own page could not confirm is settled by page 2's numbers once they arrive), then its flags."""
    newest = (
        select(ReadingRow.page, ReadingRow.photo_sha256, ReadingRow.body)
        .join(PhotoRow, PhotoRow.sha256 == ReadingRow.photo_sha256)
        .where(
            PhotoRow.tps_id == photo.tps_id, ReadingRow.sheet_id.is_not(None), ReadingRow.page.is_not(None)
        )
        .order_by(ReadingRow.created_at, ReadingRow.id)
    )
    earlier = {page: (sha, body) for page, sha, body in s.execute(newest)}
    earlier.pop(reading.page, None)
    readings = [Reading.from_json(json.loads(body)) for _, (_, body) in sorted(earlier.items())]
    readings.append(reading)
    basis = sorted({sha for sha, _ in earlier.values()} | {photo.sha256})
    values, pages = _decoded(readings, contest, witnesses(s, photo.tps_id))
    sheet_id = hashlib.sha256(f"{photo.sha256}:{reading.model_version}".encode()).hexdigest()
    _ensure_contest(s, contest)
    version = next_version(s.connection(), contest.id, photo.tps_id)
    supersede_older(s.connection(), contest.id, photo.tps_id, version, basis)
    s.add(
        SheetRow(
            id=sheet_id,
            tps_id=photo.tps_id,
            contest_id=contest.id,
            source=Source.OCR.value,
            version=version,
            basis=",".join(basis),
            pages=",".join(str(p) for p in sorted(pages)),
            created_at=at,
            photo_sha256=photo.sha256,
            reader=reader,
            model_version=reading.model_version,
        )
    )
    s.flush()
    s.add_all(
        SheetValueRow(sheet_id=sheet_id, field=name, value=v, confidence=c, status=st)
        for name, (v, c, st) in values.items()
    )
    s.flush()
    # Judge the kelurahan again in this transaction: the TPS's result, the region totals and its flags
    # move together with the reading, so a recap never waits for a batch `tally reconcile`.
    return sheet_id, rejudge(s, contest, photo.tps_id)


def _decoded(
    readings: list[Reading], contest: Contest, human: dict[str, int]
) -> tuple[dict[str, tuple[int | None, float, str]], set[int]]:
    """Each read field's value, confidence and status from the pages decoded together, with the officers'
    blind readings as witnesses. A reader that leaves no per-box evidence (no alternatives: a keyed or
    scripted reading) has nothing to decode: its fields stand as given."""
    pages = {r.page for r in readings if r.page is not None}
    own = {name: f for r in readings for name, f in r.fields.items()}
    decoded = decode_tps(readings, contest, human) if decodable(readings) else {}
    values: dict[str, tuple[int | None, float, str]] = {}
    for name, f in own.items():
        d = decoded.get(name, f)
        values[name] = (d.value, d.confidence, d.status)
    return values, pages


def _ensure_contest(s: Session, contest: Contest) -> None:
    if s.get(ContestRow, contest.id) is None:
        save_contest(s.connection(), contest)  # its region totals start from the TPS already stored
