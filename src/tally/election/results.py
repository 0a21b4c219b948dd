"""Write the current result of each TPS (`tps_result`, `tps_vote`) and move the region totals with it.

Rows exist for every TPS with a current sheet; `counted` says whether its numbers are in the totals, and
`tps_vote` rows (and `tps_value`, the numbers a D.Hasil sums) exist only for counted TPS, so the recap's
vote sum needs no join. Every write and removal
here takes the old rows out (`DELETE … RETURNING`), and adds (new − old) to the TPS's desa and the
levels above it in the same transaction (`tally.election.totals`), so `region_total` never lags.

Each writer returns the TPS results it changed (`tally.audit.replay.ResultChange`), for the caller to put in
the ONE audit entry of its event: the counted tables are a projection of the chain (`tally audit verify`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from sqlalchemy import ColumnElement, Connection, delete

from reconcile.contest import Contest
from reconcile.ids import RegionCode, TpsId
from reconcile.sheet import TallySheet
from reconcile.table import all_pages, page_bits
from tally.audit.replay import ResultChange, TpsResult, diff_results, tps_contribution
from tally.db.bulk import insert_rows, table_of
from tally.db.results import TpsResultRow, TpsValueRow, TpsVoteRow
from tally.db.scope import in_region
from tally.election.dhasil import dhasil_fields
from tally.election.totals import Deltas

# tps_result column → the contest field it copies.
TOTALS = {
    "dpt": "pemilih_dpt_j",
    "pengguna": "pengguna_total_j",
    "suara_sah": "suara_sah",
    "suara_tidak_sah": "suara_tidak_sah",
    "suara_total": "suara_total",
}
_SUMMED = ("dpt", "pengguna", "suara_sah", "suara_tidak_sah")  # what region_total sums, in its order


def complete(sheet: TallySheet, contest: Contest) -> bool:
    """Every page in and every field read (`reconcile.rollup`'s test); an incomplete sheet is pending."""
    pages = all_pages(contest)
    return page_bits(sheet.pages) & pages == pages and all(
        sheet.values.get(f.name) is not None for f in contest.fields
    )


def write_results(
    conn: Connection,
    contest: Contest,
    scope: RegionCode,
    current: Iterable[TallySheet],
    counted: Collection[TpsId],
    flags: Mapping[TpsId, int],
) -> list[ResultChange]:
    """Replace the results of `scope` with `current` (one sheet per TPS); returns the TPS results changed."""
    deltas = Deltas()
    old = _remove(conn, contest.id, in_region(TpsResultRow.tps_id, scope), deltas)
    sheets = list(current)
    result_rows = []
    vote_rows = []
    value_rows = []
    summed = dhasil_fields(contest)
    new: dict[str, TpsResult] = {}
    for s in sheets:
        is_counted = s.tps in counted
        is_complete = complete(s, contest)
        n_flags = flags.get(s.tps, 0)
        totals = [s.get(f) for f in TOTALS.values()]
        result_rows.append((contest.id, s.tps, s.id, int(is_counted), int(is_complete), n_flags, *totals))
        votes = (
            [(i, s.get(name)) for i, name in enumerate(contest.paslon_fields, start=1)] if is_counted else []
        )
        vote_rows += [(contest.id, s.tps, i, v) for i, v in votes]
        if is_counted:  # what a D.Hasil sums: the settled values, corrections applied
            value_rows += [(contest.id, s.tps, n, v) for n in summed if (v := s.get(n)) is not None]
        new[s.tps] = TpsResult.of(s.id, (int(is_counted), int(is_complete), n_flags), totals, votes)
        row = tps_contribution(is_counted, is_complete, n_flags, [s.get(TOTALS[c]) for c in _SUMMED])
        deltas.add_tps(s.tps, 1, row, votes)
    cols = ("contest_id", "tps_id", "sheet_id", "counted", "complete", "flags", *TOTALS)
    insert_rows(conn, table_of(TpsResultRow), cols, result_rows)
    insert_rows(conn, table_of(TpsVoteRow), ("contest_id", "tps_id", "paslon", "votes"), vote_rows)
    insert_rows(conn, table_of(TpsValueRow), ("contest_id", "tps_id", "field", "value"), value_rows)
    deltas.apply(conn, contest.id)
    return diff_results(contest.id, old, new)


def clear_results(conn: Connection, contest_id: str, scope: RegionCode) -> list[ResultChange]:
    """Remove the results of `scope` and take them out of the region totals; returns those removed."""
    deltas = Deltas()
    old = _remove(conn, contest_id, in_region(TpsResultRow.tps_id, scope), deltas)
    deltas.apply(conn, contest_id)
    return diff_results(contest_id, old, {})


def clear_results_of_sheets(
    conn: Connection, contest_id: str, sheet_ids: ColumnElement[bool]
) -> list[ResultChange]:
    """Remove the results whose current sheet matches `sheet_ids` (a condition on `tps_result.sheet_id`)."""
    deltas = Deltas()
    old = _remove(conn, contest_id, sheet_ids, deltas)
    deltas.apply(conn, contest_id)
    return diff_results(contest_id, old, {})


def _remove(
    conn: Connection, contest_id: str, where: ColumnElement[bool], deltas: Deltas
) -> dict[str, TpsResult]:
    """Delete the matching results and their votes; their old contributions go into `deltas` (negated).
    Returns what was removed, per TPS.

    `DELETE … RETURNING` hands back exactly the rows this statement removed, so what is subtracted is what
    was there, even when another writer committed in between (a separate SELECT could read other rows).
    """
    r, v = TpsResultRow, TpsVoteRow
    old = conn.execute(
        delete(r)
        .where(r.contest_id == contest_id, where)
        .returning(r.tps_id, r.counted, r.complete, r.flags, *(getattr(r, c) for c in TOTALS), r.sheet_id)
    ).all()
    if not old:
        return {}
    # Votes of the TPS whose result row is now ours (deleted, locked until commit): nobody else moves them.
    votes: dict[str, list[tuple[int, int | None]]] = {}
    for chunk in range(0, len(old), 5000):
        ids = [row[0] for row in old[chunk : chunk + 5000]]
        for tps, paslon, n in conn.execute(
            delete(v)
            .where(v.contest_id == contest_id, v.tps_id.in_(ids))
            .returning(v.tps_id, v.paslon, v.votes)
        ):
            votes.setdefault(tps, []).append((paslon, n))
        conn.execute(
            delete(TpsValueRow).where(TpsValueRow.contest_id == contest_id, TpsValueRow.tps_id.in_(ids))
        )
    removed: dict[str, TpsResult] = {}
    for tps, counted, is_complete, n_flags, *numbers, sheet_id in old:
        sums = [numbers[list(TOTALS).index(c)] for c in _SUMMED]
        mine = sorted(votes.get(tps, ()))
        deltas.add_tps(tps, -1, tps_contribution(counted, is_complete, n_flags, sums), mine)
        removed[tps] = TpsResult.of(sheet_id, (counted, is_complete, n_flags), numbers, mine)
    return removed
