"""Regions (Kepmendagri tree) and TPS.

Codes are stored as written: regions dotted (`32.04.01.2001`), TPS ids in KPU's undotted 13 digits. A TPS id
starts with its region's undotted code, so "every TPS of kab/kota 32.04" is the primary-key range
`'3204' <= id < '3205'` — an index range scan, not a join up the tree.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from tally.db.base import Base

CODE = String(13)  # the longest dotted code, `PP.KK.CC.DDDD`, and a 13-digit TPS id


class RegionRow(Base):
    __tablename__ = "region"

    code: Mapped[str] = mapped_column(CODE, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(SmallInteger)  # reconcile.ids.Level: 1 provinsi … 4 desa
    # NULL for a provinsi: the nation (code "") is implied, never stored.
    parent: Mapped[str | None] = mapped_column(CODE, ForeignKey("region.code"), index=True)


class TpsRow(Base):
    __tablename__ = "tps"

    id: Mapped[str] = mapped_column(CODE, primary_key=True)
    desa: Mapped[str] = mapped_column(CODE, ForeignKey("region.code"), index=True)
    number: Mapped[int] = mapped_column(SmallInteger)
    dpt: Mapped[int] = mapped_column(Integer)
