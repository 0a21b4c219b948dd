"""Tables of the tamper-evident audit log (revision 0003).

`audit_entry` is the hash chain itself; `audit_head` holds signed chain heads (published, so a truncation of
the chain is caught); `audit_tip` is a one-row cache of the chain's end that appends lock to serialise, so two
concurrent appends cannot both chain onto the same predecessor. The migration adds triggers that refuse
UPDATE and DELETE on `audit_entry` and `audit_head`; `audit_tip` is the only mutable row and is never trusted
by `verify`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tally.db.base import Base

# SQLite wants INTEGER keys; PostgreSQL gets BIGINT for a log that outlives an election.
SeqType = BigInteger().with_variant(Integer(), "sqlite")


class AuditEntry(Base):
    __tablename__ = "audit_entry"

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(120))
    actor_role: Mapped[str] = mapped_column(String(20))
    origin: Mapped[str] = mapped_column(String(200))  # IP address and/or device id the action came from
    action: Mapped[str] = mapped_column(String(40), index=True)
    subject: Mapped[str] = mapped_column(String(40), index=True)  # TPS id, region code or sheet id
    # Canonical JSON text, stored verbatim so the hash recomputes byte for byte on every database.
    before: Mapped[str] = mapped_column(Text)
    after: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(SeqType, index=True)
    hash: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    signature: Mapped[str] = mapped_column(String(128))  # hex Ed25519 signature over the head's message
    public_key: Mapped[str] = mapped_column(String(64), index=True)  # hex raw Ed25519 public key (0006)


class AuditTip(Base):
    __tablename__ = "audit_tip"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(SeqType)
    hash: Mapped[str] = mapped_column(String(64))
