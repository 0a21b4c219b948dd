"""Contests and the sheets read for them: one row per upload or correction, one row per field value.

A sheet is never updated in place: a correction is a new sheet with a higher version, so what the officer
photographed and what was later changed both stay on record.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from tally.db.base import Base
from tally.db.regions import CODE


class ContestRow(Base):
    __tablename__ = "contest"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # `ppwp-2024`
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text)  # the contest's TOML, so a stored election can be re-read alone


class SheetRow(Base):
    __tablename__ = "sheet"
    __table_args__ = (Index("ix_sheet_contest_tps", "contest_id", "tps_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tps_id: Mapped[str] = mapped_column(CODE, ForeignKey("tps.id"))
    contest_id: Mapped[str] = mapped_column(String(40), ForeignKey("contest.id"))
    source: Mapped[str] = mapped_column(String(12))  # reconcile.sheet.Source
    version: Mapped[int] = mapped_column(Integer)
    pages: Mapped[str] = mapped_column(String(20))  # page numbers present, comma-separated: "1,2,3"
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Provenance: which photo, read by what, with which model. NULL for keyed and synthetic sheets.
    photo_sha256: Mapped[str | None] = mapped_column(String(64))
    reader: Mapped[str | None] = mapped_column(String(40))
    model_version: Mapped[str | None] = mapped_column(String(40))
    # OCR sheets: the photos decoded together into it, sorted, comma-separated (`TallySheet.basis`).
    basis: Mapped[str | None] = mapped_column(Text)
    # A later decode of the same photos replaced it (`reconcile.compare.superseded`, marked when that decode
    # is written): judging skips it, so a kelurahan's judgement reads its live sheets, not its history.
    superseded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class SheetValueRow(Base):
    __tablename__ = "sheet_value"

    sheet_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("sheet.id", ondelete="CASCADE"), primary_key=True
    )
    field: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int | None] = mapped_column(Integer)  # NULL: not read yet (pending)
    confidence: Mapped[float | None] = mapped_column(Float)  # NULL for keyed values
    status: Mapped[str] = mapped_column(String(12))  # see tally.election.store.ValueStatus
