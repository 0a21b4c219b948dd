"""Intake tables: who may upload (staff, activation codes, device tokens), photos, OCR jobs and readings.

Secrets are never stored: activation codes and tokens are kept as SHA-256 hashes, passwords as Argon2 hashes
(and no answer holding a token or a code is kept for replay).
A photo row is keyed by the SHA-256 of its bytes, so a retried upload finds the row it already made; a
reading is unique per (photo, model version), so a job that runs twice is applied once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, LargeBinary, SmallInteger, String, Text
from sqlalchemy import UniqueConstraint as Unique
from sqlalchemy.orm import Mapped, mapped_column

from tally.db.base import Base
from tally.db.flags import IdType
from tally.db.regions import CODE

HASH = String(64)  # hex SHA-256


class StaffRow(Base):
    """A PPS, PPK or KPU officer who logs in with a password and acts inside `region` ("" = nasional)."""

    __tablename__ = "staff"

    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(8))  # tally.auth.Role
    region: Mapped[str] = mapped_column(CODE)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Revision 0007: a disabled account cannot log in and its sessions are revoked; wrong passwords in a
    # row lock it for a while (tally.auth.service.login).
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ActivationCodeRow(Base):
    """A one-time code a KPPS officer types once to bind their phone to their TPS."""

    __tablename__ = "activation_code"

    code_hash: Mapped[str] = mapped_column(HASH, primary_key=True)
    tps_id: Mapped[str] = mapped_column(CODE, ForeignKey("tps.id"), index=True)
    issued_by: Mapped[str] = mapped_column(String(80))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    token_hash: Mapped[str | None] = mapped_column(HASH)  # the token it was exchanged for
    # Revision 0007: a reissue (or a revocation) ends every earlier code of the TPS; a staff officer who
    # activated a device with it is named, and never counts as the second person for that TPS.
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    activated_by: Mapped[str | None] = mapped_column(String(80))


class AccessTokenRow(Base):
    """An opaque bearer token: a KPPS device bound to one TPS, or a staff login bound to a region."""

    __tablename__ = "access_token"
    __table_args__ = (Index("ix_access_token_scope", "scope"), Index("ix_access_token_subject", "subject"))

    token_hash: Mapped[str] = mapped_column(HASH, primary_key=True)
    role: Mapped[str] = mapped_column(String(8))
    scope: Mapped[str] = mapped_column(CODE)  # TPS id for KPPS, region code for staff
    subject: Mapped[str] = mapped_column(String(80))  # staff username or "kpps:<tps>"
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # 0007; None: expired


class PhotoRow(Base):
    __tablename__ = "photo"
    __table_args__ = (Index("ix_photo_tps_page", "tps_id", "page"),)

    sha256: Mapped[str] = mapped_column(HASH, primary_key=True)
    tps_id: Mapped[str] = mapped_column(CODE, ForeignKey("tps.id"))
    page: Mapped[int] = mapped_column(SmallInteger)
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    orientation: Mapped[int] = mapped_column(SmallInteger)  # EXIF orientation tag as uploaded (1 = upright)
    uploaded_by: Mapped[str] = mapped_column(String(80))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # tally.photos.PhotoStatus: queued, reading, read, review, rejected, held, ocr_unavailable, failed
    status: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text)
    # The page slot it was sent in, when the page's own tag names another page (it is filed by the tag;
    # a retry to the original slot is still the same upload).
    sent_page: Mapped[int | None] = mapped_column(SmallInteger)


class OcrJobRow(Base):
    """One OCR job per photo. With the embedded queue this table IS the queue (state, lease, tries);
    with Redis it is the record that metrics and the resync read."""

    __tablename__ = "ocr_job"
    __table_args__ = (Index("ix_ocr_job_state_available", "state", "available_at"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    photo_sha256: Mapped[str] = mapped_column(HASH, ForeignKey("photo.sha256"), unique=True)
    state: Mapped[str] = mapped_column(String(8))  # queued, leased, done, dead
    tries: Mapped[int] = mapped_column(SmallInteger)
    enqueued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    available_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    worker: Mapped[str | None] = mapped_column(String(80))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)


class ReadingRow(Base):
    """What one reader made of one photo; unique per (photo, model version) so re-runs apply once."""

    __tablename__ = "reading"
    __table_args__ = (Unique("photo_sha256", "model_version", name="uq_reading_photo_model"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    photo_sha256: Mapped[str] = mapped_column(HASH, ForeignKey("photo.sha256"), index=True)
    reader: Mapped[str] = mapped_column(String(40))
    model_version: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))
    page: Mapped[int | None] = mapped_column(SmallInteger)
    rejected: Mapped[str | None] = mapped_column(Text)
    sheet_id: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)  # Reading.to_json()
    seconds: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IdempotencyRow(Base):
    """A POST's answer kept under its Idempotency-Key so a retry replays it. Keys and fingerprints are
    HMACs under the server secret; answers that carry a credential (a token, a code) are never kept, so
    the body holds nothing a reader of the table could use. Expired after `idempotency_ttl_hours`."""

    __tablename__ = "idempotency"
    __table_args__ = (Index("ix_idempotency_created_at", "created_at"),)

    key: Mapped[str] = mapped_column(HASH, primary_key=True)  # hmac(secret, principal | header value)
    fingerprint: Mapped[str] = mapped_column(HASH)  # hmac(secret, what the request asks)
    status_code: Mapped[int] = mapped_column(SmallInteger)
    body: Mapped[bytes] = mapped_column(LargeBinary)  # JSON of an answer without secrets
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
