"""`tally recap CODE`: a region's totals per paslon, coverage, flags and pending — a handful of indexed rows.

A region's own numbers and its children's come from `region_total` / `region_vote` (kept up to date by
`tally.election.totals` as TPS results change): two primary-key range reads of (contest, level, area), so the
national recap reads 39 rows, not 820k TPS. A kelurahan/desa's children are its TPS, read from `tps_result`
by key range (`recap_scan`). Flags are counted on `ix_flag_contest_severity_area`, one range per severity.
`tally.election.recap_scan.recap_scan` is the same recap summed from every TPS row: the verification baseline.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select

from reconcile.contest import Contest
from reconcile.flags import Severity
from reconcile.ids import NASIONAL, Level, RegionCode, level, undotted
from tally.db.flags import FlagRow
from tally.db.recaps import KeyedRecapRow
from tally.db.regions import RegionRow
from tally.db.totals import RegionTotalRow, RegionVoteRow
from tally.election.scope import in_region


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


_LINE = (
    RegionTotalRow.suara_sah,
    RegionTotalRow.suara_tidak_sah,
    RegionTotalRow.tps_expected,
    RegionTotalRow.tps_counted,
    RegionTotalRow.tps_pending,
    RegionTotalRow.tps_flagged,
)


def recap(conn: Connection, contest: Contest, code: RegionCode) -> Recap:
    """The recap of `code` (NASIONAL for the whole country), with one line per child region."""
    lvl = level(code)
    if lvl >= Level.DESA:
        from tally.election.recap_scan import recap_scan  # the scan module builds on this one

        return recap_scan(conn, contest, code)
    n = len(contest.paslon)
    t, v = RegionTotalRow, RegionVoteRow
    rows = {
        (int(row_level), area): rest
        for row_level, area, *rest in conn.execute(
            select(t.level, t.area, *_LINE).where(
                t.contest_id == contest.id, t.level.in_((lvl, lvl + 1)), in_region(t.area, code)
            )
        )
    }
    votes: dict[tuple[int, str], list[int]] = {}
    for row_level, area, paslon, sum_votes in conn.execute(
        select(v.level, v.area, v.paslon, v.votes).where(
            v.contest_id == contest.id, v.level.in_((lvl, lvl + 1)), in_region(v.area, code)
        )
    ):
        if 1 <= paslon <= n:
            votes.setdefault((int(row_level), area), [0] * n)[paslon - 1] = int(sum_votes)
    names = child_names(conn, code)
    area = undotted(code)

    def line(key: tuple[int, str], line_code: str, name: str) -> Line:
        nums = [int(x) for x in rows.get(key, (0,) * len(_LINE))]
        return Line(line_code, name, tuple(votes.get(key, [0] * n)), *nums)

    children = tuple(
        line(key, key[1], names.get(key[1], ""))
        for key in sorted(k for k, nums in rows.items() if k[0] == lvl + 1 and any(nums))
    )
    total = line((lvl, area), code, region_name(conn, code))
    errors, outliers = flag_counts(conn, contest.id, code)
    return Recap(contest.id, contest.paslon, total, errors, outliers, keyed(conn, contest.id, code), children)


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


def keyed(conn: Connection, contest_id: str, code: RegionCode) -> dict[str, int]:
    """The latest keyed value per field (a later keying supersedes an earlier one)."""
    rows = conn.execute(
        select(KeyedRecapRow.field, KeyedRecapRow.value)
        .where(KeyedRecapRow.contest_id == contest_id, KeyedRecapRow.region_code == code)
        .order_by(KeyedRecapRow.at, KeyedRecapRow.id)
    )
    return {f: int(v) for f, v in rows}
