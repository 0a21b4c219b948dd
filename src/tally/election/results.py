"""Write the current result of each TPS (`tps_result`, `tps_vote`) that the recap query sums.

Rows exist for every TPS with a current sheet; `counted` says whether its numbers are in the totals, and
`tps_vote` rows exist only for counted TPS, so the recap's vote sum needs no join.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from sqlalchemy import Connection, delete

from reconcile.contest import Contest
from reconcile.ids import RegionCode, TpsId
from reconcile.sheet import TallySheet
from tally.db.bulk import insert_rows
from tally.db.results import TpsResultRow, TpsVoteRow
from tally.election.scope import in_region
from tally.election.store import _table

# tps_result column → the contest field it copies.
TOTALS = {
    "dpt": "pemilih_dpt_j",
    "pengguna": "pengguna_total_j",
    "suara_sah": "suara_sah",
    "suara_tidak_sah": "suara_tidak_sah",
    "suara_total": "suara_total",
}


def write_results(
    conn: Connection,
    contest: Contest,
    scope: RegionCode,
    current: Iterable[TallySheet],
    counted: Collection[TpsId],
    flags: Mapping[TpsId, int],
) -> int:
    """Replace the results of `scope` with `current` (one sheet per TPS); returns rows written."""
    clear_results(conn, contest.id, scope)
    sheets = list(current)
    result_rows = (
        (
            contest.id,
            s.tps,
            s.id,
            int(s.tps in counted),
            flags.get(s.tps, 0),
            *(s.get(f) for f in TOTALS.values()),
        )  # fmt: skip
        for s in sheets
    )
    cols = ("contest_id", "tps_id", "sheet_id", "counted", "flags", *TOTALS)
    written = insert_rows(conn, _table(TpsResultRow), cols, result_rows)
    vote_rows = (
        (contest.id, s.tps, i, s.get(name))
        for s in sheets
        if s.tps in counted
        for i, name in enumerate(contest.paslon_fields, start=1)
    )
    insert_rows(conn, _table(TpsVoteRow), ("contest_id", "tps_id", "paslon", "votes"), vote_rows)
    return written


def clear_results(conn: Connection, contest_id: str, scope: RegionCode) -> None:
    for row in (TpsVoteRow, TpsResultRow):
        conn.execute(delete(row).where(row.contest_id == contest_id, in_region(row.tps_id, scope)))
