"""Recaps keyed in by officials (D.Hasil kecamatan, kab/kota, provinsi), one row per field.

A later keying of the same (region, contest, field) supersedes the earlier one; both rows stay, the newest
`at` wins when reconciling.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tally.db.base import Base
from tally.db.flags import IdType
from tally.db.regions import CODE


class KeyedRecapRow(Base):
    __tablename__ = "keyed_recap"
    __table_args__ = (Index("ix_keyed_recap_contest_region", "contest_id", "region_code"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    region_code: Mapped[str] = mapped_column(CODE, ForeignKey("region.code"))
    contest_id: Mapped[str] = mapped_column(String(40), ForeignKey("contest.id"))
    field: Mapped[str] = mapped_column(String(40))
    value: Mapped[int] = mapped_column(BigInteger)
    keyed_by: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
