"""Flags and keyed recaps in and out of the database, as `reconcile.flags.Flag` values."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from sqlalchemy import Connection, delete, select

from reconcile.flags import Flag, Rule, Severity
from reconcile.ids import RegionCode, SheetId, TpsId, undotted
from tally.db.bulk import insert_rows, table_of
from tally.db.flags import FlagRow
from tally.db.recaps import KeyedRecapRow
from tally.db.scope import in_region

_COLS = (
    "contest_id",
    "subject",
    "area",
    "sheet_id",
    "rule",
    "fields",
    "expected",
    "actual",
    "hint",
    "severity",
)


def replace_flags(
    conn: Connection,
    contest_id: str,
    scope: RegionCode,
    flags: Iterable[Flag],
    sheet_of: Mapping[TpsId, SheetId] | None = None,
    *,
    at: datetime | None = None,
) -> int:
    """Replace every flag inside `scope` with `flags`; `sheet_of` names the sheet a TPS flag is about."""
    conn.execute(delete(FlagRow).where(FlagRow.contest_id == contest_id, in_region(FlagRow.area, scope)))
    return add_flags(conn, contest_id, flags, sheet_of, at=at)


def add_flags(
    conn: Connection,
    contest_id: str,
    flags: Iterable[Flag],
    sheet_of: Mapping[TpsId, SheetId] | None = None,
    *,
    at: datetime | None = None,
) -> int:
    at = at or datetime.now(UTC)
    sheet_of = sheet_of or {}
    rows = (
        (
            contest_id,
            f.region,
            undotted(RegionCode(f.region)),
            sheet_of.get(TpsId(f.region)),
            f.rule.value,
            ",".join(f.fields),
            f.expected,
            f.actual,
            f.hint,
            f.severity.value,
            at,
        )  # fmt: skip
        for f in flags
    )
    return insert_rows(conn, table_of(FlagRow), (*_COLS, "created_at"), rows)


def load_flags(conn: Connection, contest_id: str, scope: RegionCode) -> list[Flag]:
    """The stored flags inside `scope`, in area then rule order."""
    rows = conn.execute(
        select(
            FlagRow.subject,
            FlagRow.rule,
            FlagRow.fields,
            FlagRow.expected,
            FlagRow.actual,
            FlagRow.hint,
            FlagRow.severity,
        )  # fmt: skip
        .where(FlagRow.contest_id == contest_id, in_region(FlagRow.area, scope))
        .order_by(FlagRow.area, FlagRow.rule, FlagRow.id)
    )
    return [
        Flag(
            region=RegionCode(subject) if len(subject) != 13 or "." in subject else TpsId(subject),
            rule=Rule(rule),
            fields=tuple(x for x in fields.split(",") if x),
            expected=expected,
            actual=actual,
            hint=hint,
            severity=Severity(severity),
        )
        for subject, rule, fields, expected, actual, hint, severity in rows
    ]


def key_recap(
    conn: Connection,
    contest_id: str,
    region: RegionCode,
    values: Mapping[str, int],
    keyed_by: str,
    *,
    at: datetime | None = None,
) -> None:
    """Record a recap keyed in by an official (D.Hasil); a later keying of a field supersedes this one."""
    at = at or datetime.now(UTC)
    conn.execute(
        table_of(KeyedRecapRow).insert(),
        [
            {
                "region_code": region,
                "contest_id": contest_id,
                "field": f,
                "value": v,
                "keyed_by": keyed_by,
                "at": at,
            }
            for f, v in values.items()
        ],
    )
