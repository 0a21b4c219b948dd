"""Storing what the pure engine produces: a synthetic election, and a reconciliation of a scope.

The engine (`reconcile`) decides; these functions only write its values, idempotently per scope, in one
transaction each, so a rerun of `tally election synth` or `tally reconcile` replaces rather than adds.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection

from reconcile.contest import Contest
from reconcile.flags import Flag, Severity
from reconcile.ids import RegionCode, SheetId, TpsId
from reconcile.sheet import Source, TallySheet
from tally.audit.replay import ResultChange
from tally.election.flagstore import replace_flags
from tally.election.results import clear_results, write_results
from tally.election.store import Tps, delete_sheets, save_contest, save_sheets, save_tps


@dataclass(frozen=True, slots=True)
class Stored:
    tps: int
    sheets: int
    values: int
    flags: int = 0
    # The TPS results this write changed, for the ONE audit entry of the caller's event (tally.audit.replay).
    changes: tuple[ResultChange, ...] = field(default_factory=tuple)


def store_synth(
    conn: Connection, contest: Contest, scope: RegionCode, tps: Sequence[Tps], sheets: Sequence[TallySheet]
) -> Stored:
    """Replace the synthetic sheets of `scope` with `sheets` (TPS upserted; other sources untouched)."""
    save_contest(conn, contest)
    changes = clear_results(conn, contest.id, scope)
    changes += delete_sheets(conn, contest.id, scope, Source.SYNTH)
    save_tps(conn, scope, tps)
    values = save_sheets(conn, sheets)
    return Stored(tps=len(tps), sheets=len(sheets), values=values, changes=tuple(changes))


def store_reconciliation(
    conn: Connection,
    contest: Contest,
    scope: RegionCode,
    current: Iterable[TallySheet],
    counted: Collection[TpsId],
    flags: Sequence[Flag],
) -> Stored:
    """Write the engine's verdict on `scope`: the current sheet per TPS, which count, and every flag."""
    sheets = list(current)
    sheet_of: Mapping[TpsId, SheetId] = {s.tps: s.id for s in sheets}
    per_tps: dict[TpsId, int] = {}
    for f in flags:
        if f.severity is Severity.ERROR and f.region in sheet_of:
            per_tps[TpsId(f.region)] = per_tps.get(TpsId(f.region), 0) + 1
    changes = write_results(conn, contest, scope, sheets, counted, per_tps)
    stored_flags = replace_flags(conn, contest.id, scope, flags, sheet_of)
    return Stored(tps=len(sheets), sheets=len(sheets), values=0, flags=stored_flags, changes=tuple(changes))
