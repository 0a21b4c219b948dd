"""Per-region totals of each contest, kept up to date so a recap reads a handful of rows, not every TPS.

`region_total` holds, per (contest, level, area), what the recap shows: TPS expected / counted / pending /
flagged, and the counted TPS's DPT, voters and suara sah / tidak sah; `region_vote` holds votes per paslon
(long, like `tps_vote`, so any number of paslon fits). `area` is the undotted region code (`""`: the nation,
`"3204"` for kab/kota 32.04), so the children of a region are the primary-key range
`(contest, level + 1, [low, high))` — a few rows even for the nation.

They are derived data, maintained incrementally by `tally.election.totals` in the transaction that changes a
TPS result, and rebuilt in bulk (one GROUP BY per level) after a bulk load.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from tally.db.base import Base

AREA = String(10)  # an undotted region code: "" (nasional) … 10 digits (kelurahan/desa)

# The counters and sums of a region, in `region_total` column order (tally.election.totals relies on it).
MEASURES = (
    "tps_expected",
    "tps_counted",
    "tps_pending",
    "tps_flagged",
    "dpt",
    "pengguna",
    "suara_sah",
    "suara_tidak_sah",
)


class RegionTotalRow(Base):
    __tablename__ = "region_total"

    contest_id: Mapped[str] = mapped_column(String(40), ForeignKey("contest.id"), primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)  # reconcile.ids.Level: 0 nasional … 4
    area: Mapped[str] = mapped_column(AREA, primary_key=True)
    tps_expected: Mapped[int] = mapped_column(Integer)  # TPS rows inside the region
    tps_counted: Mapped[int] = mapped_column(Integer)  # complete, no error flag: in the sums below
    tps_pending: Mapped[int] = mapped_column(Integer)  # a sheet is in, but a field is not read yet
    tps_flagged: Mapped[int] = mapped_column(Integer)  # complete, but held back by an error flag
    # Sums over counted TPS only; BIGINT because national sums pass 2^31 (DPT ≈ 2 × 10^8 is close).
    dpt: Mapped[int] = mapped_column(BigInteger)
    pengguna: Mapped[int] = mapped_column(BigInteger)
    suara_sah: Mapped[int] = mapped_column(BigInteger)
    suara_tidak_sah: Mapped[int] = mapped_column(BigInteger)


class RegionVoteRow(Base):
    __tablename__ = "region_vote"

    contest_id: Mapped[str] = mapped_column(String(40), ForeignKey("contest.id"), primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    area: Mapped[str] = mapped_column(AREA, primary_key=True)
    paslon: Mapped[int] = mapped_column(SmallInteger, primary_key=True)  # 1-based, as suara_paslon_N
    votes: Mapped[int] = mapped_column(BigInteger)
