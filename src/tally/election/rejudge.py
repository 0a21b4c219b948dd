"""Judging stored sheets again: a scope's sheets through the pure engine, its results and flags written back.

`tally reconcile` runs it per kab/kota; a reading or a correction runs it for the TPS's kelurahan/desa in
the transaction that changed the sheet, so the results, the totals above and the flags move together.
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from reconcile.contest import Contest
from reconcile.ids import RegionCode, TpsId, parent
from tally.audit.replay import ResultChange
from tally.election.engine import Verdict, judge
from tally.election.service import Stored, store_reconciliation
from tally.election.store import load_sheets, load_tps, region_tree


def judge_scope(conn: Connection, contest: Contest, scope: RegionCode) -> tuple[Verdict, Stored]:
    """Judge every stored sheet in `scope` and store the verdict: current results, counted, flags."""
    tree = region_tree(conn, scope)
    expected = [t.id for t in load_tps(conn, scope)]
    verdict = judge(contest, tree, load_sheets(conn, contest.id, scope), expected)
    stored = store_reconciliation(conn, contest, scope, verdict.current, verdict.counted, verdict.flags)
    return verdict, stored


def rejudge(session: Session, contest: Contest, tps: str) -> list[ResultChange]:
    """Judge the TPS's kelurahan again and store its results and flags (in the caller's transaction).
    Returns the TPS results that changed: the caller's ONE audit entry carries them (`results_json`)."""
    desa = parent(TpsId(tps))
    assert desa is not None
    _, stored = judge_scope(session.connection(), contest, RegionCode(desa))
    return list(stored.changes)
