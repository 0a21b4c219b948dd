"""Contests, TPS and sheets in and out of the database, as `reconcile` values.

A sheet goes in as a `TallySheet` and comes back as an equal one; its field values are one row each, with a
status and (for OCR) a confidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Connection, bindparam, delete, func, select, update

from reconcile.contest import Contest
from reconcile.ids import NASIONAL, RegionCode, SheetId, TpsId, ancestors, parent, tps_number
from reconcile.regions import RegionTree
from reconcile.sheet import Source, TallySheet
from tally.audit.replay import ResultChange
from tally.db.bulk import insert_rows, table_of
from tally.db.flags import FlagRow
from tally.db.regions import RegionRow, TpsRow
from tally.db.results import TpsResultRow
from tally.db.scope import codes_in, in_region
from tally.db.sheets import ContestRow, SheetRow, SheetValueRow
from tally.election.results import clear_results_of_sheets
from tally.election.totals import add_expected, rebuild


class ValueStatus(StrEnum):
    ACCEPTED = "accepted"  # read with confidence, or generated
    REVIEW = "review"  # read, but an officer must confirm
    PENDING = "pending"  # not read yet: value is NULL
    KEYED = "keyed"  # typed in by an officer


@dataclass(frozen=True, slots=True)
class Tps:
    id: TpsId
    dpt: int


def save_contest(conn: Connection, contest: Contest) -> None:
    """Insert or refresh the contest row (its TOML source travels with the data)."""
    exists = conn.scalar(select(ContestRow.id).where(ContestRow.id == contest.id))
    if exists is None:
        conn.execute(
            table_of(ContestRow).insert().values(id=contest.id, name=contest.name, source=contest.source)
        )
        rebuild(conn, contest.id)  # its region totals start from the TPS already stored (expected)
    else:
        conn.execute(
            update(ContestRow)
            .where(ContestRow.id == contest.id)
            .values(name=contest.name, source=contest.source)
        )


def save_tps(conn: Connection, scope: RegionCode, tps: Iterable[Tps]) -> int:
    """Make the TPS of `scope` exist with these DPTs (insert new ones, update changed DPT); safe to rerun."""
    known = dict(conn.execute(select(TpsRow.id, TpsRow.dpt).where(in_region(TpsRow.id, scope))).all())
    fresh: list[tuple[object, ...]] = []
    changed: list[dict[str, object]] = []
    for t in tps:
        if t.id not in known:
            fresh.append((t.id, parent(t.id), tps_number(t.id), t.dpt))
        elif known[t.id] != t.dpt:
            changed.append({"i": t.id, "d": t.dpt})
    table = table_of(TpsRow)
    inserted = insert_rows(conn, table, ("id", "desa", "number", "dpt"), fresh)
    add_expected(conn, [str(row[0]) for row in fresh])
    if changed:
        conn.execute(update(table).where(table.c.id == bindparam("i")).values(dpt=bindparam("d")), changed)
    return inserted


def save_sheets(conn: Connection, sheets: Sequence[TallySheet], *, at: datetime | None = None) -> int:
    """Insert new sheets and their values (bulk: COPY on PostgreSQL). Bulk sheets (synthetic, keyed) have
    no `basis`: only the worker's OCR sheets are decodes that a later one supersedes."""
    at = at or datetime.now(UTC)
    sheet_rows = (
        (s.id, s.tps, s.contest, s.source.value, s.version, ",".join(map(str, sorted(s.pages))), at)
        for s in sheets
    )
    cols = ("id", "tps_id", "contest_id", "source", "version", "pages", "created_at")
    insert_rows(conn, table_of(SheetRow), cols, sheet_rows)
    value_rows = (
        (s.id, name, value, ValueStatus.PENDING.value if value is None else _status(s.source))
        for s in sheets
        for name, value in s.values.items()
    )
    return insert_rows(conn, table_of(SheetValueRow), ("sheet_id", "field", "value", "status"), value_rows)


def _status(source: Source) -> str:
    return (ValueStatus.KEYED if source in (Source.KEYED, Source.CORRECTION) else ValueStatus.ACCEPTED).value


def next_version(conn: Connection, contest_id: str, tps: str) -> int:
    """The version of a TPS's next sheet: one more than any it has (the caller holds its kelurahan's lock,
    `tally.db.locks`), so a later decode or correction orders after every earlier one."""
    stmt = select(func.max(SheetRow.version)).where(SheetRow.contest_id == contest_id, SheetRow.tps_id == tps)
    return int(conn.scalar(stmt) or 0) + 1


def supersede_older(conn: Connection, contest_id: str, tps: str, version: int, basis: Iterable[str]) -> int:
    """Mark the TPS's OCR sheets that a new decode (`version`, from the photos `basis`) replaces, by the rule
    of `reconcile.compare.superseded` (which judging applies anyway): `load_sheets` then skips them. Returns
    how many were marked."""
    photos = set(basis)
    rows = conn.execute(
        select(SheetRow.id, SheetRow.basis).where(
            SheetRow.contest_id == contest_id,
            SheetRow.tps_id == tps,
            SheetRow.source == Source.OCR.value,
            SheetRow.superseded.is_(False),
            SheetRow.basis.is_not(None),
            SheetRow.version < version,
        )
    ).all()
    gone = [sid for sid, b in rows if set((b or "").split(",")) <= photos]
    if gone:
        conn.execute(update(SheetRow).where(SheetRow.id.in_(gone)).values(superseded=True))
    return len(gone)


def delete_sheets(conn: Connection, contest_id: str, scope: RegionCode, source: Source) -> list[ResultChange]:
    """Remove the sheets of one source in `scope` (a rerun of synth replaces its own sheets, nothing else).
    Returns the TPS results that went with them (for the caller's audit entry)."""
    ids = select(SheetRow.id).where(
        SheetRow.contest_id == contest_id, in_region(SheetRow.tps_id, scope), SheetRow.source == source.value
    )
    # Explicit child deletes: SQLite's ON DELETE CASCADE is per-row and slow; this is one statement each.
    # Results go first, through `clear_results_of_sheets`, so the region totals lose them too.
    removed = clear_results_of_sheets(conn, contest_id, TpsResultRow.sheet_id.in_(ids))
    for child in (SheetValueRow.sheet_id, FlagRow.sheet_id):
        conn.execute(delete(child.class_).where(child.in_(ids)))
    conn.execute(delete(SheetRow).where(SheetRow.id.in_(ids)))
    return removed


def load_sheets(conn: Connection, contest_id: str, scope: RegionCode) -> list[TallySheet]:
    """Every live sheet of `contest_id` inside `scope` (not superseded), values included, by sheet id."""
    rows = conn.execute(
        select(
            SheetRow.id,
            SheetRow.tps_id,
            SheetRow.source,
            SheetRow.version,
            SheetRow.pages,
            SheetRow.basis,
            SheetValueRow.field,
            SheetValueRow.value,
            SheetValueRow.status,
        )  # fmt: skip
        .outerjoin(SheetValueRow, SheetValueRow.sheet_id == SheetRow.id)
        .where(
            SheetRow.contest_id == contest_id,
            in_region(SheetRow.tps_id, scope),
            SheetRow.superseded.is_(False),  # history: a later decode of the same photos replaced it
        )
        .order_by(SheetRow.id)
    )
    out: list[TallySheet] = []
    current: tuple[str, str, str, int, str, str | None] | None = None
    values: dict[str, int | None] = {}
    doubtful: set[str] = set()
    for sid, tps, source, version, pages, basis, name, value, status in rows:
        if current is not None and current[0] != sid:
            out.append(_sheet(contest_id, current, values, doubtful))
            values, doubtful = {}, set()
        current = (sid, tps, source, version, pages, basis)
        if name is not None:  # a sheet with no value at all still comes back
            values[name] = value
            if status == ValueStatus.REVIEW and value is not None:
                doubtful.add(name)
    if current is not None:
        out.append(_sheet(contest_id, current, values, doubtful))
    return out


def _sheet(
    contest_id: str,
    head: tuple[str, str, str, int, str, str | None],
    values: dict[str, int | None],
    doubtful: set[str],
) -> TallySheet:
    sid, tps, source, version, pages, basis = head
    return TallySheet(
        id=SheetId(sid),
        tps=TpsId(tps),
        contest=contest_id,
        values=values,
        pages=frozenset(int(p) for p in pages.split(",") if p),
        source=Source(source),
        version=version,
        doubtful=frozenset(doubtful),
        basis=frozenset((basis or "").split(",")) - {""},
    )


def load_tps(conn: Connection, scope: RegionCode) -> list[Tps]:
    rows = conn.execute(select(TpsRow.id, TpsRow.dpt).where(in_region(TpsRow.id, scope)).order_by(TpsRow.id))
    return [Tps(TpsId(i), d) for i, d in rows]


def region_tree(conn: Connection, scope: RegionCode) -> RegionTree:
    """The stored regions of `scope` with their ancestors, as the engine's `RegionTree`."""
    stmt = select(RegionRow.code, RegionRow.name)
    if scope != NASIONAL:
        ups = [a for a in ancestors(scope) if a != NASIONAL]
        stmt = stmt.where(codes_in(RegionRow.code, scope) | RegionRow.code.in_(ups))
    return RegionTree.from_rows((c, n) for c, n in conn.execute(stmt))
