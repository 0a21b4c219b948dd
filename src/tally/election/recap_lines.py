"""What a recap is made of — its `Line`s and the `Recap` — and the reads every recap shares: names, flag
counts and the keyed D.Hasil. `recap` (from `region_total`) and `recap_scan` (from every TPS row) both build
on this module, and `recap` picks one of the two.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select

from reconcile.flags import Severity
from reconcile.ids import NASIONAL, RegionCode, undotted
from tally.db.flags import FlagRow
from tally.db.recaps import KeyedRecapRow
from tally.db.regions import RegionRow
from tally.db.scope import in_region


@dataclass(frozen=True, slots=True)
class Line:
    """One region's (or TPS's) numbers in a recap."""

    code: str
    name: str
    votes: tuple[int, ...]
    suara_sah: int
    suara_tidak_sah: int
    tps_expected: int
    tps_counted: int
    tps_pending: int  # a sheet is in, but a field is not read yet (or a page is missing)
    tps_flagged: int = 0  # complete, but held back by an error flag (not in the totals either)
    dpt: int = 0  # of the counted TPS, like the sums above
    pengguna: int = 0

    @property
    def coverage(self) -> float:
        return self.tps_counted / self.tps_expected if self.tps_expected else 0.0


@dataclass(frozen=True, slots=True)
class Recap:
    contest: str
    paslon: tuple[str, ...]
    total: Line
    flags: int  # error flags inside the region
    outliers: int  # outlier flags: worth a look, not errors
    keyed: dict[str, int] = field(default_factory=dict)  # latest recap keyed in by officials (D.Hasil)
    children: tuple[Line, ...] = ()

    def as_dict(self) -> dict[str, object]:
        def line(x: Line) -> dict[str, object]:
            return {
                "code": x.code, "name": x.name, "votes": dict(zip(self.paslon, x.votes, strict=True)),
                "suara_sah": x.suara_sah, "suara_tidak_sah": x.suara_tidak_sah,
                "tps_expected": x.tps_expected, "tps_counted": x.tps_counted, "tps_pending": x.tps_pending,
                "tps_flagged": x.tps_flagged, "coverage": round(x.coverage, 6),
            }  # fmt: skip

        return {
            "contest": self.contest, **line(self.total), "flags": self.flags, "outliers": self.outliers,
            "keyed": self.keyed, "children": [line(c) for c in self.children],
        }  # fmt: skip


def child_names(conn: Connection, code: RegionCode) -> dict[str, str]:
    """Names of the children, keyed by their undotted code (TPS lines are named by number)."""
    stmt = select(RegionRow.code, RegionRow.name)
    stmt = (
        stmt.where(RegionRow.parent.is_(None)) if code == NASIONAL else stmt.where(RegionRow.parent == code)
    )
    return {undotted(RegionCode(c)): nm for c, nm in conn.execute(stmt)}


def region_name(conn: Connection, code: RegionCode) -> str:
    if code == NASIONAL:
        return "Indonesia"
    return conn.scalar(select(RegionRow.name).where(RegionRow.code == code)) or ""


def flag_counts(conn: Connection, contest_id: str, code: RegionCode) -> tuple[int, int]:
    """(errors, outliers) flagged inside `code`: one index-only range count per severity."""

    def count(severity: Severity) -> int:
        stmt = select(func.count()).where(
            FlagRow.contest_id == contest_id,
            FlagRow.severity == severity.value,
            in_region(FlagRow.area, code),
        )
        return int(conn.scalar(stmt) or 0)

    return count(Severity.ERROR), count(Severity.OUTLIER)


def keyed_values(conn: Connection, contest_id: str, code: RegionCode) -> dict[str, int]:
    """The latest keyed value per field (a later keying supersedes an earlier one)."""
    rows = conn.execute(
        select(KeyedRecapRow.field, KeyedRecapRow.value)
        .where(KeyedRecapRow.contest_id == contest_id, KeyedRecapRow.region_code == code)
        .order_by(KeyedRecapRow.at, KeyedRecapRow.id)
    )
    return {f: int(v) for f, v in rows}
