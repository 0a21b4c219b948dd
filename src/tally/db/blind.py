"""Blind readings and what the KPPS and PPS ask of each other (revision 0008).

- `blind_reading`: a number an officer typed from the paper (KPPS) or the crop (PPS) before being shown the
  machine's. One per officer per field (the KPPS may be asked for a second look: attempt 2); `machine` is
  what the reader had decoded then (never shown before the answer), `agreed` whether the two independent
  readings settled the field.
- `retake_request`: a PPS asks the KPPS for a new photo of one page, with the reason; closed when a photo of
  that page arrives.
- `tps_confirmation`: the KPPS's "Periksa & kirim": the whole TPS looked at, with the sheet it showed.
Rows are never updated except `retake_request.closed_at`; the audit log holds the story.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from tally.db.base import Base
from tally.db.flags import IdType
from tally.db.regions import CODE


class BlindReadingRow(Base):
    __tablename__ = "blind_reading"
    __table_args__ = (
        UniqueConstraint("tps_id", "field", "entered_by", "attempt", name="uq_blind_reading_once"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    contest_id: Mapped[str] = mapped_column(String(40), ForeignKey("contest.id"))
    tps_id: Mapped[str] = mapped_column(CODE, ForeignKey("tps.id"), index=True)
    field: Mapped[str] = mapped_column(String(40))
    value: Mapped[int] = mapped_column(Integer)
    # 2: the KPPS's second look, asked for (without the machine's number) when the first disagreed
    attempt: Mapped[int] = mapped_column(SmallInteger)
    role: Mapped[str] = mapped_column(String(8))  # kpps, pps, ppk
    entered_by: Mapped[str] = mapped_column(String(80))
    machine: Mapped[int | None] = mapped_column(Integer)  # the reader's decoded value when answered
    agreed: Mapped[bool] = mapped_column(Boolean)
    sheet_id: Mapped[str | None] = mapped_column(String(64))  # the sheet the answer's decode wrote
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RetakeRequestRow(Base):
    __tablename__ = "retake_request"
    __table_args__ = (Index("ix_retake_request_tps_open", "tps_id", "closed_at"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    tps_id: Mapped[str] = mapped_column(CODE, ForeignKey("tps.id"))
    page: Mapped[int] = mapped_column(SmallInteger)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by_photo: Mapped[str | None] = mapped_column(String(64))


class TpsConfirmationRow(Base):
    __tablename__ = "tps_confirmation"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    tps_id: Mapped[str] = mapped_column(CODE, ForeignKey("tps.id"), index=True)
    sheet_id: Mapped[str | None] = mapped_column(String(64))  # the sheet whose numbers were shown
    confirmed_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def witnesses(session: Session, tps: str) -> dict[str, int]:
    """Per field, the newest blind reading of the TPS: the human witness the decoder weighs (`decode_tps`)."""
    rows = session.execute(
        select(BlindReadingRow.field, BlindReadingRow.value)
        .where(BlindReadingRow.tps_id == tps)
        .order_by(BlindReadingRow.id)
    )
    return {str(field): int(value) for field, value in rows}


def open_retakes(session: Session, tps: str) -> dict[int, str]:
    """Per page, the newest open request for a new photo of the TPS: its reason."""
    rows = session.execute(
        select(RetakeRequestRow.page, RetakeRequestRow.reason)
        .where(RetakeRequestRow.tps_id == tps, RetakeRequestRow.closed_at.is_(None))
        .order_by(RetakeRequestRow.id)
    )
    return {int(p): str(r) for p, r in rows}
