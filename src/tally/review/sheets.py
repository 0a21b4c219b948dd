"""A TPS's sheets as review sees them: the sheet that counts now, its values, and writing a correction.

A decision never edits a sheet: it becomes a new CORRECTION sheet (version + 1) carrying the settled values
with the decided fields keyed, and the TPS's kelurahan is judged again through the same engine `tally
reconcile` uses (`tally.election.rejudge`), so `tps_result`, the flags and every recap above follow.
The correction carries every value (not only the decided ones) so the public TPS page, which shows the
current sheet's values, shows the whole form; `reconcile.compare.consensus` lets it supersede the readings.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from reconcile.compare import consensus
from reconcile.contest import Contest
from reconcile.ids import RegionCode
from reconcile.sheet import Source
from tally.db.results import TpsResultRow
from tally.db.sheets import SheetRow, SheetValueRow
from tally.election.store import ValueStatus, load_sheets, next_version, save_contest


@dataclass(frozen=True, slots=True)
class Current:
    """The sheet that counts for a TPS now (or its newest one before it was first judged)."""

    sheet_id: str | None
    values: dict[str, int | None]
    statuses: dict[str, str]
    counted: bool


def current(session: Session, contest: Contest, tps: str) -> Current:
    """The consensus of every sheet of the TPS (as the engine settles it) and each field's latest status."""
    result = session.get(TpsResultRow, (contest.id, tps))
    sheets = load_sheets(session.connection(), contest.id, RegionCode(tps))  # a TPS id is its own key range
    if not sheets:
        return Current(None, {}, {}, False)
    settled = consensus(sheets, contest).sheet
    statuses: dict[str, str] = {}
    for name, status in session.execute(
        select(SheetValueRow.field, SheetValueRow.status)
        .join(SheetRow, SheetRow.id == SheetValueRow.sheet_id)
        .where(SheetRow.contest_id == contest.id, SheetRow.tps_id == tps, SheetValueRow.value.is_not(None))
        .order_by(SheetRow.created_at, SheetRow.version)
    ):
        statuses[name] = status
    sheet_id = result.sheet_id if result is not None else settled.id
    return Current(sheet_id, dict(settled.values), statuses, bool(result is not None and result.counted))


def write_correction(
    session: Session, contest: Contest, tps: str, decided: Mapping[str, int], *, at: datetime | None = None
) -> str:
    """A new CORRECTION sheet holding the officers' `decided` values only: every other field keeps following
    the readings (a field still in doubt stays in doubt). Returns its id."""
    at = at or datetime.now(UTC)
    version = next_version(session.connection(), contest.id, tps)
    pages = session.scalars(
        select(SheetRow.pages).where(SheetRow.contest_id == contest.id, SheetRow.tps_id == tps)
    ).all()
    page_set = sorted({int(p) for text in pages for p in text.split(",") if p})
    sheet_id = hashlib.sha256(f"correction:{tps}:{version}:{uuid.uuid4()}".encode()).hexdigest()
    save_contest(session.connection(), contest)
    session.add(
        SheetRow(
            id=sheet_id,
            tps_id=tps,
            contest_id=contest.id,
            source=Source.CORRECTION.value,
            version=version,
            pages=",".join(map(str, page_set)),
            created_at=at,
        )
    )
    session.flush()
    session.add_all(
        SheetValueRow(
            sheet_id=sheet_id, field=name, value=value, confidence=None, status=ValueStatus.KEYED.value
        )
        for name, value in decided.items()
    )
    session.flush()
    return sheet_id
