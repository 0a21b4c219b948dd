"""Whole commands over one scope: synthesise an election into the database, reconcile what is stored.

Large scopes run one kab/kota at a time (one transaction each), so the nation fits in memory and a progress
bar can advance; each step replaces its own earlier output, so reruns are idempotent. Every TPS result a step
changes is one audit entry in the step's transaction (`tally.audit.replay`): the totals stay a projection of
the chain.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, select

from reconcile.contest import Contest
from reconcile.flags import Flag
from reconcile.ids import Level, RegionCode, level
from tally.audit.chain import Action
from tally.audit.log import Actor, append_rows
from tally.audit.replay import ResultChange, results_json
from tally.db.locks import lock_kabkota
from tally.db.recaps import KeyedRecapRow
from tally.db.scope import codes_in
from tally.election.dhasil import mismatches_of
from tally.election.engine import synth_tables
from tally.election.mismatch import store_flags
from tally.election.rejudge import judge_scope
from tally.election.service import store_synth
from tally.regions import Region, kabkota_of, load_regions, within

Progress = Callable[[int, int], None]  # (done, total): TPS for synth, kab/kota for reconcile
CLI_ACTOR = Actor("tally-cli", "system")


def audit_changes(
    conn: Connection, actor: Actor, action: str, contest: str, changes: Sequence[ResultChange]
) -> int:
    """One entry per TPS result a bulk step changed (subject: the TPS), carrying its new values."""
    return append_rows(
        conn,
        actor,
        ((action, c.tps, {}, {"contest": contest, "results": results_json([c])}) for c in changes),
    )


@dataclass(frozen=True, slots=True)
class Totals:
    tps: int = 0
    sheets: int = 0
    flags: int = 0


def kabkota_in(regions: Sequence[Region], scope: RegionCode) -> list[RegionCode]:
    """The kab/kota chunks that cover `scope` (its own kab/kota when it is smaller)."""
    if level(scope) >= Level.KABKOTA:
        return [kabkota_of(scope)]
    return [r.code for r in within(regions, scope) if r.level is Level.KABKOTA]


def synth_election(
    engine: Engine,
    regions: Sequence[Region],
    population: dict[RegionCode, int],
    contest: Contest,
    scope: RegionCode,
    *,
    error_share: float,
    seed: int,
    progress: Progress | None = None,
    actor: Actor = CLI_ACTOR,
) -> Totals:
    with engine.begin() as conn:
        load_regions(conn, within(regions, scope) if scope else regions)
    done = Totals()
    chunks = synth_tables(
        regions, population, contest, scope, error_share=error_share, seed=seed, progress=progress
    )
    for kab, tps, sheets in chunks:
        with engine.begin() as conn:
            stored = store_synth(conn, contest, scope if level(scope) > Level.KABKOTA else kab, tps, sheets)
            audit_changes(conn, actor, Action.SUPERSEDE, contest.id, stored.changes)
        done = Totals(done.tps + stored.tps, done.sheets + stored.sheets)
    return done


def reconcile_scope(
    engine: Engine,
    regions: Sequence[Region],
    contest: Contest,
    scope: RegionCode,
    *,
    progress: Progress | None = None,
    actor: Actor = CLI_ACTOR,
) -> list[Flag]:
    """Judge every stored sheet in `scope`, store results and flags, then compare keyed recaps."""
    chunks = kabkota_in(regions, scope)
    flags: list[Flag] = []
    for i, kab in enumerate(chunks):
        part = scope if level(scope) > Level.KABKOTA else kab
        with engine.begin() as conn:
            lock_kabkota(conn, kab)  # no kelurahan of it judged meanwhile (tally.db.locks)
            verdict, stored = judge_scope(conn, contest, part)
            audit_changes(conn, actor, Action.RECONCILE, contest.id, stored.changes)
        flags.extend(verdict.flags)
        if progress:
            progress(i + 1, len(chunks))
    flags.extend(_recap_mismatches(engine, contest, scope))
    return flags


def _recap_mismatches(engine: Engine, contest: Contest, scope: RegionCode) -> list[Flag]:
    """RECAP_MISMATCH for every field a region's officials keyed in that differs from Tally's roll-up: the
    same flags a save of the D.Hasil stores (`tally.election.dhasil.mismatches_of`, every field)."""
    with engine.begin() as conn:
        stmt = select(KeyedRecapRow.region_code).where(
            KeyedRecapRow.contest_id == contest.id, codes_in(KeyedRecapRow.region_code, scope)
        )
        out: list[Flag] = []
        for code in map(RegionCode, sorted(set(conn.scalars(stmt)))):
            out += store_flags(conn, contest, code, mismatches_of(conn, contest, code))
    return out
