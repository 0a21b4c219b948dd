"""Filing an upload: spool the body under a size limit, check it, store it, commit its row — or leave nothing.

The order matters. The file is renamed into place before the row is committed, and removed again if the
commit fails and no row names it; the 202 is sent only after the commit. So a photo the API acknowledged is
on disk and in the database, and an upload that failed anywhere leaves no file and no row behind.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import cast

from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from tally.audit import Action, Actor, append
from tally.db.intake import OcrJobRow, PhotoRow
from tally.errors import Conflict, PayloadTooLarge, Unprocessable
from tally.photos.jpeg import PhotoInfo, inspect
from tally.photos.store import PhotoStore

SHA256 = re.compile(r"^[0-9a-f]{64}$")


class PhotoStatus(StrEnum):
    QUEUED = "queued"  # stored, waiting for a worker
    READING = "reading"  # a worker holds it
    READ = "read"  # every field accepted by the reader
    REVIEW = "review"  # read, some field needs a person
    REJECTED = "rejected"  # the quality gate refused it: photograph again
    HELD = "held"  # the form names another TPS: kept, never counted here (the PPS sees why)
    OCR_UNAVAILABLE = "ocr_unavailable"  # stored, but no OCR is installed: nothing was read
    FAILED = "failed"  # dead-lettered after the maximum tries


@dataclass(frozen=True, slots=True)
class Spooled:
    path: Path
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class Upload:
    tps_id: str
    page: int
    sha256: str
    uploaded_by: str
    role: str = ""  # the uploader's role and address, for the audit entry (role guessed when empty)
    origin: str = ""

    def actor(self) -> Actor:
        role = self.role or ("kpps" if self.uploaded_by.startswith("kpps:") else "pps")
        return Actor(self.uploaded_by, role, self.origin)


UPLOADED = Action.PHOTO_UPLOADED  # one per photo filed (never for a retry that found it)


def too_large(limit: int) -> PayloadTooLarge:
    mb = limit // (1024 * 1024)
    return PayloadTooLarge(
        "photo_too_large",
        f"Ukuran foto melebihi {mb} MB. Kecilkan ukuran foto lalu kirim ulang.",
        max_bytes=limit,
    )


async def spool(chunks: AsyncIterator[bytes], store: PhotoStore, limit: int) -> Spooled:
    """Write the body to a temp file while hashing it; stop at `limit` bytes (the temp file is removed)."""
    f, path = store.spool()
    digest, size = hashlib.sha256(), 0
    try:
        with f:
            async for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise too_large(limit)
                digest.update(chunk)
                f.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Spooled(path, digest.hexdigest(), size)


def check_photo(path: Path, max_pixels: int) -> PhotoInfo:
    """The one photo check every entrance uses (the API's PUT, the KPPS page, latihan): magic, every frame
    header, whole, within the pixel limit, and the size the decoder itself will use (tally.photos.jpeg)."""
    return inspect(path, max_pixels)


def same_place(row: PhotoRow, upload: Upload) -> PhotoRow:
    # A photo filed under the page its tag names still answers a retry to the slot it was sent in.
    if row.tps_id != upload.tps_id or upload.page not in (row.page, row.sent_page):
        raise Conflict(
            "photo_elsewhere",
            f"Foto ini sudah dikirim untuk TPS {row.tps_id} halaman {row.page}. Periksa TPS dan halaman.",
            tps_id=row.tps_id,
            page=row.page,
        )
    return row


PHOTO, JOB = cast(Table, PhotoRow.__table__), cast(Table, OcrJobRow.__table__)


def find(sessions: sessionmaker[Session], sha256: str) -> PhotoRow | None:
    """The photo's row (detached), read with one Core SELECT: the hot path skips the ORM's loading."""
    with sessions() as session:
        found = session.execute(select(PHOTO).where(PHOTO.c.sha256 == sha256)).first()
    return None if found is None else PhotoRow(**found._mapping)


def file_photo(
    sessions: sessionmaker[Session],
    store: PhotoStore,
    spooled: Spooled,
    upload: Upload,
    max_pixels: int,
    writes: AbstractContextManager[object] | None = None,
) -> tuple[PhotoRow, int | None]:
    """Check, store and record one photo. Returns the row and its new job id (None if it existed).

    `writes` (SQLite): held around the transaction, so this process's threads queue for SQLite's one write
    lock in order instead of polling it with the busy handler's growing sleeps (seconds of p99 under load).
    """
    try:
        if spooled.sha256 != upload.sha256:
            raise Unprocessable(
                "hash_mismatch",
                "Foto tidak utuh (sidik SHA-256 tidak cocok). Kirim ulang foto yang sama.",
                expected=upload.sha256,
                actual=spooled.sha256,
            )
        info = check_photo(spooled.path, max_pixels)
        created = store.commit(spooled.path, upload.sha256)
    finally:
        spooled.path.unlink(missing_ok=True)
    at = datetime.now(UTC)
    photo = {
        "sha256": upload.sha256,
        "tps_id": upload.tps_id,
        "page": upload.page,
        "size_bytes": spooled.size,
        "width": info.width,
        "height": info.height,
        "orientation": info.orientation,
        "uploaded_by": upload.uploaded_by,
        "uploaded_at": at,
        "status": PhotoStatus.QUEUED.value,
        "detail": None,
    }
    job = {"photo_sha256": upload.sha256, "state": "queued", "tries": 0}
    job |= {"enqueued_at": at, "available_at": at}
    try:
        # Two Core INSERTs in one transaction (the ORM's unit of work cost more than the rest of the upload).
        with writes or nullcontext(), sessions() as session, session.begin():
            session.execute(insert(PHOTO), photo)
            job_id = session.execute(insert(JOB).returning(JOB.c.id), job).scalar_one()
            after = {"photo": upload.sha256, "page": upload.page, "bytes": spooled.size}
            append(session, upload.actor(), UPLOADED, upload.tps_id, None, after, at=at)
        return PhotoRow(**photo), job_id
    except IntegrityError:
        existing = find(sessions, upload.sha256)
        if existing is None:
            if created:
                store.discard(upload.sha256)
            raise
        return same_place(existing, upload), None  # a concurrent retry won the race
    except BaseException:
        if created and find(sessions, upload.sha256) is None:
            store.discard(upload.sha256)
        raise
