"""`tally recap CODE`: a region's totals per paslon, coverage, flags and pending — a handful of indexed rows.

A region's own numbers and its children's come from `region_total` / `region_vote` (kept up to date by
`tally.election.totals` as TPS results change): two primary-key range reads of (contest, level, area), so the
national recap reads 39 rows, not 820k TPS. A kelurahan/desa's children are its TPS, read from `tps_result`
by key range (`recap_scan`). Flags are counted on `ix_flag_contest_severity_area`, one range per severity.
`tally.election.recap_scan.recap_scan` is the same recap summed from every TPS row: the verification baseline.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from reconcile.contest import Contest
from reconcile.ids import Level, RegionCode, level, undotted
from tally.db.scope import in_region
from tally.db.totals import RegionTotalRow, RegionVoteRow
from tally.election.recap_lines import Line, Recap, child_names, flag_counts, keyed_values, region_name
from tally.election.recap_scan import recap_scan

__all__ = ["Line", "Recap", "recap"]

_LINE = (
    RegionTotalRow.suara_sah,
    RegionTotalRow.suara_tidak_sah,
    RegionTotalRow.tps_expected,
    RegionTotalRow.tps_counted,
    RegionTotalRow.tps_pending,
    RegionTotalRow.tps_flagged,
    RegionTotalRow.dpt,
    RegionTotalRow.pengguna,
)


def recap(conn: Connection, contest: Contest, code: RegionCode) -> Recap:
    """The recap of `code` (NASIONAL for the whole country), with one line per child region."""
    lvl = level(code)
    if lvl >= Level.DESA:
        return recap_scan(conn, contest, code)  # a desa's children are its TPS: a short key range
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
    keyed = keyed_values(conn, contest.id, code)
    return Recap(contest.id, contest.paslon, total, errors, outliers, keyed, children)
