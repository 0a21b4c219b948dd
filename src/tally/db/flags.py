"""Stored flags: the `reconcile.flags.Flag` values, one row each, findable by area.

`area` is the subject's undotted code (a TPS id, or a region code without dots), so every flag inside kab/kota
32.04 — on its TPS, desa, kecamatan or itself — is the range `'3204' <= area < '3205'` of one index.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tally.db.base import Base
from tally.db.regions import CODE

IdType = BigInteger().with_variant(Integer(), "sqlite")  # SQLite only auto-increments INTEGER PRIMARY KEY


class FlagRow(Base):
    __tablename__ = "flag"
    __table_args__ = (
        Index("ix_flag_contest_area", "contest_id", "area"),
        # A recap counts errors and outliers inside a region: one index-only range scan per severity.
        Index("ix_flag_contest_severity_area", "contest_id", "severity", "area"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    contest_id: Mapped[str] = mapped_column(String(40), ForeignKey("contest.id"))
    subject: Mapped[str] = mapped_column(CODE)  # region code (dotted) or TPS id, as in Flag.region
    area: Mapped[str] = mapped_column(CODE)  # subject without dots
    sheet_id: Mapped[str | None] = mapped_column(String(64), ForeignKey("sheet.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(24))
    fields: Mapped[str] = mapped_column(Text)  # comma-separated field names (a missing page names them all)
    expected: Mapped[int | None] = mapped_column(BigInteger)  # recap totals can pass 2^31 nationally
    actual: Mapped[int | None] = mapped_column(BigInteger)
    hint: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
