"""`tally recap CODE`: a region's totals per paslon, coverage, flags and pending, from the stored results.

Every number comes from an index range scan over `[low, high)` of undotted codes (see `scope.py`):
results and votes by primary key, expected TPS by the `tps` primary key, flags by `ix_flag_contest_area`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, case, func, select

from reconcile.contest import Contest
from reconcile.flags import Severity
from reconcile.ids import NASIONAL, RegionCode, level, undotted
from tally.db.flags import FlagRow
from tally.db.recaps import KeyedRecapRow
from tally.db.regions import RegionRow, TpsRow
from tally.db.results import TpsResultRow, TpsVoteRow
from tally.election.scope import in_region

_CHILD_DIGITS = (2, 4, 6, 10, 13)  # undotted length of a provinsi … desa code, then a TPS id


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
    tps_pending: int  # a sheet is in, but not counted yet (a value still unread)

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
                "coverage": round(x.coverage, 6),
            }  # fmt: skip

        return {
            "contest": self.contest, **line(self.total), "flags": self.flags, "outliers": self.outliers,
            "keyed": self.keyed, "children": [line(c) for c in self.children],
        }  # fmt: skip


def recap(conn: Connection, contest: Contest, code: RegionCode) -> Recap:
    """The recap of `code` (NASIONAL for the whole country), with one line per child region."""
    n = len(contest.paslon)
    key_len = _CHILD_DIGITS[level(code)]
    child_key = func.substr(TpsResultRow.tps_id, 1, key_len)
    res = TpsResultRow
    per_child = {
        k: (counted or 0, pending or 0, sah or 0, tidak or 0)
        for k, counted, pending, sah, tidak in conn.execute(
            select(
                child_key,
                func.sum(res.counted),
                func.sum(case((res.counted == 0, 1), else_=0)),
                func.sum(case((res.counted == 1, res.suara_sah), else_=0)),
                func.sum(case((res.counted == 1, res.suara_tidak_sah), else_=0)),
            )
            .where(res.contest_id == contest.id, in_region(res.tps_id, code))
            .group_by(child_key)
        )
    }
    vote_key = func.substr(TpsVoteRow.tps_id, 1, key_len)
    votes: dict[str, list[int]] = {}
    for k, paslon, total in conn.execute(
        select(vote_key, TpsVoteRow.paslon, func.sum(TpsVoteRow.votes))
        .where(TpsVoteRow.contest_id == contest.id, in_region(TpsVoteRow.tps_id, code))
        .group_by(vote_key, TpsVoteRow.paslon)
    ):
        votes.setdefault(k, [0] * n)[paslon - 1] = int(total or 0)
    tps_key = func.substr(TpsRow.id, 1, key_len)
    expected: dict[str, int] = dict(
        conn.execute(select(tps_key, func.count()).where(in_region(TpsRow.id, code)).group_by(tps_key)).all()
    )
    names = _child_names(conn, code)
    children = tuple(
        _line(
            k, names.get(k, ""), votes.get(k, [0] * n), per_child.get(k, (0, 0, 0, 0)), expected.get(k, 0), n
        )
        for k in sorted(set(expected) | set(per_child))
    )
    total = _sum(code, names.get(undotted(code), _region_name(conn, code)), children, n)
    errors, outliers = _flag_counts(conn, contest.id, code)
    return Recap(
        contest.id, contest.paslon, total, errors, outliers, _keyed(conn, contest.id, code), children
    )


def _line(
    key: str, name: str, votes: list[int], nums: tuple[int, int, int, int], expected: int, n: int
) -> Line:
    counted, pending, sah, tidak = nums
    return Line(key, name, tuple(votes[:n]), int(sah), int(tidak), int(expected), int(counted), int(pending))


def _sum(code: RegionCode, name: str, lines: tuple[Line, ...], n: int) -> Line:
    return Line(
        code=code, name=name,
        votes=tuple(sum(x.votes[i] for x in lines) for i in range(n)),
        suara_sah=sum(x.suara_sah for x in lines), suara_tidak_sah=sum(x.suara_tidak_sah for x in lines),
        tps_expected=sum(x.tps_expected for x in lines), tps_counted=sum(x.tps_counted for x in lines),
        tps_pending=sum(x.tps_pending for x in lines),
    )  # fmt: skip


def _child_names(conn: Connection, code: RegionCode) -> dict[str, str]:
    """Names of the children, keyed by their undotted code (TPS lines are named by number)."""
    stmt = select(RegionRow.code, RegionRow.name)
    stmt = (
        stmt.where(RegionRow.parent.is_(None)) if code == NASIONAL else stmt.where(RegionRow.parent == code)
    )
    return {undotted(RegionCode(c)): nm for c, nm in conn.execute(stmt)}


def _region_name(conn: Connection, code: RegionCode) -> str:
    if code == NASIONAL:
        return "Indonesia"
    return conn.scalar(select(RegionRow.name).where(RegionRow.code == code)) or ""


def _flag_counts(conn: Connection, contest_id: str, code: RegionCode) -> tuple[int, int]:
    rows = dict(
        conn.execute(
            select(FlagRow.severity, func.count())
            .where(FlagRow.contest_id == contest_id, in_region(FlagRow.area, code))
            .group_by(FlagRow.severity)
        ).all()
    )
    return int(rows.get(Severity.ERROR.value, 0)), int(rows.get(Severity.OUTLIER.value, 0))


def _keyed(conn: Connection, contest_id: str, code: RegionCode) -> dict[str, int]:
    """The latest keyed value per field (a later keying supersedes an earlier one)."""
    rows = conn.execute(
        select(KeyedRecapRow.field, KeyedRecapRow.value)
        .where(KeyedRecapRow.contest_id == contest_id, KeyedRecapRow.region_code == code)
        .order_by(KeyedRecapRow.at, KeyedRecapRow.id)
    )
    return {f: int(v) for f, v in rows}
