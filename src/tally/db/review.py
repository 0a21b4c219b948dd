"""Review tables (revision 0004): changes officers propose, confirm, correct and approve; practice attempts.

A `review_change` is one decision about one field of one TPS: a KPPS proposal, a PPS confirmation, or a PPS
correction. A change of value needs two different people (the proposer and an approver covering the TPS)
before it becomes a CORRECTION sheet that supersedes the reading; a confirmation (same value) applies at
once. Rows are never deleted: `state` moves pending → applied | rejected, and the audit log holds the story.

`practice_attempt` holds the latihan (bimtek) uploads: their own table and photo directory, so nothing of a
practice run can reach a sheet, a result or a recap.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tally.db.base import Base
from tally.db.flags import IdType
from tally.db.regions import CODE


class ReviewChangeRow(Base):
    __tablename__ = "review_change"
    __table_args__ = (Index("ix_review_change_tps_state", "tps_id", "state"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    contest_id: Mapped[str] = mapped_column(String(40), ForeignKey("contest.id"))
    tps_id: Mapped[str] = mapped_column(CODE, ForeignKey("tps.id"))
    field: Mapped[str] = mapped_column(String(40))
    before: Mapped[int | None] = mapped_column(Integer)  # the value in the sheet that counted then
    after: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(12))  # proposal (KPPS), confirm, correction (PPS)
    reason: Mapped[str] = mapped_column(Text)
    proposed_by: Mapped[str] = mapped_column(String(80))
    proposed_role: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(10))  # pending, applied, rejected
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sheet_id: Mapped[str | None] = mapped_column(String(64))  # the CORRECTION sheet it became


class PracticeAttemptRow(Base):
    __tablename__ = "practice_attempt"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    officer: Mapped[str] = mapped_column(String(80), index=True)
    page: Mapped[int | None] = mapped_column(Integer)
    photo_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)  # Reading.to_json()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
