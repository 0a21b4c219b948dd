"""Latihan (bimtek practice): anyone uploads a practice form, types what it says, then sees what the reader
made of it (`tally.review.practice_key` holds the answer key and the questions), in a
namespace of its own — its own table (`practice_attempt`) and photo directory (`DATA_DIR/latihan`) — so a
practice photo never becomes a sheet, a result, a flag or a recap line. The reader is loaded once, on the
first practice upload, and reads in the request's worker thread (a bimtek room, not election night)."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tally.db.review import PracticeAttemptRow
from tally.errors import Unprocessable
from tally.photos.intake import check_photo
from tally.photos.jpeg import CORRUPT
from tally.photos.store import PhotoStore
from tally.worker.apply import photo_status
from tally.worker.readers import Reader, load_reader

MAX_BYTES = 15 * 1024 * 1024
DEFAULT_MAX_PIXELS = 50_000_000  # Settings.max_photo_pixels' default; the page passes the setting


class Practice:
    def __init__(self, data_dir: Path, reader_spec: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
        self.store = PhotoStore(data_dir / "latihan")
        self.reader_spec = reader_spec
        self.max_pixels = max_pixels
        self._reader: Reader | None = None
        self._loaded = False
        self._lock = threading.Lock()

    def reader(self) -> Reader | None:
        with self._lock:
            if not self._loaded:
                self._reader, self._loaded = load_reader(self.reader_spec), True
            return self._reader

    def attempt(self, sessions: sessionmaker[Session], officer: str, data: bytes) -> PracticeAttemptRow:
        if not data.startswith(b"\xff\xd8") or len(data) > MAX_BYTES:
            raise Unprocessable("not_jpeg", "Kirim foto JPEG halaman C.Hasil (maksimal 15 MB).")
        sha = hashlib.sha256(data).hexdigest()
        f, path = self.store.spool()
        try:
            with f:
                f.write(data)
            check_photo(path, self.max_pixels)  # the same check as a counted upload, before any decode
            created = self.store.commit(path, sha)
        finally:
            path.unlink(missing_ok=True)
        reader = self.reader()
        try:
            reading = reader.read(data) if reader is not None else None
        except Exception as exc:  # a photo the reader cannot take: refused, and nothing kept
            if created:
                self.store.discard(sha)
            raise CORRUPT from exc
        with sessions() as s, s.begin():
            row = PracticeAttemptRow(
                officer=officer,
                page=reading.page if reading is not None else None,
                photo_sha256=sha,
                status=photo_status(reading).value,
                body=json.dumps(reading.to_json() if reading is not None else {}),
                created_at=datetime.now(UTC),
            )
            s.add(row)
            s.flush()
            s.expunge(row)
        return row


def attempts(session: Session, officer: str, limit: int = 10) -> list[PracticeAttemptRow]:
    stmt = (
        select(PracticeAttemptRow)
        .where(PracticeAttemptRow.officer == officer)
        .order_by(PracticeAttemptRow.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def attempt_of(session: Session, owner: str, attempt_id: int) -> PracticeAttemptRow | None:
    """One attempt, only to the browser (or officer) that made it."""
    row = session.get(PracticeAttemptRow, attempt_id)
    return row if row is not None and row.officer == owner else None
