"""A small stored election for audit tests: one desa synthesised and reconciled through the real commands,
plus helpers to inject a real database failure (a trigger) and to read the chain."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, func, select, text

from reconcile.contest import builtin_contest
from reconcile.ids import RegionCode
from tally.db.audit import AuditEntry
from tally.election.run import reconcile_scope, synth_election
from tally.regions import read_population, read_regions, wilayah_dir
from tally.settings import Settings

PPWP = builtin_contest("ppwp-2024")
DESA = RegionCode("32.77.01.1001")  # a kelurahan of Cimahi Selatan: a few dozen TPS
REGIONS = read_regions(wilayah_dir(Settings()))
POPULATION = read_population(wilayah_dir(Settings()))


@dataclass(frozen=True)
class Entry:
    seq: int
    action: str
    subject: str
    before: dict[str, Any]
    after: dict[str, Any]


def stored_election(engine: Engine, scope: RegionCode = DESA, error_share: float = 0.2) -> None:
    synth_election(engine, REGIONS, POPULATION, PPWP, scope, error_share=error_share, seed=7)
    reconcile_scope(engine, REGIONS, PPWP, scope)


def entries(conn: Connection, after_seq: int = 0) -> list[Entry]:
    rows = conn.execute(
        select(AuditEntry.seq, AuditEntry.action, AuditEntry.subject, AuditEntry.before, AuditEntry.after)
        .where(AuditEntry.seq > after_seq)
        .order_by(AuditEntry.seq)
    )
    return [Entry(s, a, subj, json.loads(b), json.loads(af)) for s, a, subj, b, af in rows]


def last_seq(conn: Connection) -> int:
    return int(conn.scalar(select(func.coalesce(func.max(AuditEntry.seq), 0))) or 0)


def refuse(engine: Engine, table: str, verb: str) -> None:
    """A trigger that makes every `verb` on `table` fail: a real database error, not a mock."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(
                text(
                    "CREATE OR REPLACE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'refused by test'; END $$"
                )
            )
            conn.execute(
                text(
                    f"CREATE TRIGGER test_refuse_{table} BEFORE {verb} ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION test_refuse()"
                )
            )
        else:
            conn.execute(
                text(
                    f"CREATE TRIGGER test_refuse_{table} BEFORE {verb} ON {table} "
                    "BEGIN SELECT RAISE(ABORT, 'refused by test'); END"
                )
            )


def counted_state(conn: Connection) -> tuple[object, ...]:
    """Everything that counts, to compare before and after a rolled-back event."""
    return tuple(
        tuple(conn.execute(text(q)).all())
        for q in (
            "SELECT * FROM tps_result ORDER BY contest_id, tps_id",
            "SELECT * FROM tps_vote ORDER BY contest_id, tps_id, paslon",
            "SELECT * FROM region_total ORDER BY contest_id, level, area",
            "SELECT * FROM region_vote ORDER BY contest_id, level, area, paslon",
            "SELECT count(*) FROM audit_entry",
        )
    )
