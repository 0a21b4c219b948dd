"""The current result of every TPS, kept beside the sheets so a recap is one index range scan.

`tps_result` holds, per contest and TPS, the sheet that currently counts and the totals a recap sums;
`tps_vote` holds its votes per paslon (long, so a contest with any number of paslon needs no new column).
Both are keyed (contest, tps id); TPS ids begin with their region's undotted code, so the totals of a
kab/kota are `SUM(...) WHERE contest = ? AND tps >= '3204' AND tps < '3205'` on the primary key.
They are derived data: `tally reconcile` rebuilds them from the sheets.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from tally.db.base import Base
from tally.db.regions import CODE


class TpsResultRow(Base):
    __tablename__ = "tps_result"

    contest_id: Mapped[str] = mapped_column(String(40), ForeignKey("contest.id"), primary_key=True)
    tps_id: Mapped[str] = mapped_column(CODE, ForeignKey("tps.id"), primary_key=True)
    sheet_id: Mapped[str] = mapped_column(String(64), ForeignKey("sheet.id", ondelete="CASCADE"), index=True)
    # 1 when the sheet counts in the totals, 0 while it is pending (a value not read yet).
    counted: Mapped[int] = mapped_column(SmallInteger)
    # 1 when every page is in and every field read; a sheet that is not complete is *pending*, a complete
    # one held back by an error flag is *flagged* (reconcile.rollup's two states). Rows written before
    # revision 0005 are taken as complete.
    complete: Mapped[int] = mapped_column(SmallInteger, server_default="1")
    flags: Mapped[int] = mapped_column(Integer)  # error flags on this TPS (outliers not included)
    dpt: Mapped[int | None] = mapped_column(Integer)
    pengguna: Mapped[int | None] = mapped_column(Integer)
    suara_sah: Mapped[int | None] = mapped_column(Integer)
    suara_tidak_sah: Mapped[int | None] = mapped_column(Integer)
    suara_total: Mapped[int | None] = mapped_column(Integer)


class TpsVoteRow(Base):
    __tablename__ = "tps_vote"

    contest_id: Mapped[str] = mapped_column(String(40), ForeignKey("contest.id"), primary_key=True)
    tps_id: Mapped[str] = mapped_column(CODE, ForeignKey("tps.id"), primary_key=True)
    paslon: Mapped[int] = mapped_column(SmallInteger, primary_key=True)  # 1-based, as suara_paslon_N
    votes: Mapped[int | None] = mapped_column(Integer)


class TpsValueRow(Base):
    """The numbers a D.Hasil sums (`tally.election.dhasil.dhasil_fields`) of a counted TPS's settled sheet
    (the consensus, corrections applied). Rows exist only while the TPS is counted, like `tps_vote`."""

    __tablename__ = "tps_value"

    contest_id: Mapped[str] = mapped_column(String(40), ForeignKey("contest.id"), primary_key=True)
    tps_id: Mapped[str] = mapped_column(CODE, ForeignKey("tps.id"), primary_key=True)
    field: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)
