"""Whole commands over one scope: synthesise an election into the database, reconcile what is stored.

Large scopes run one kab/kota at a time (one transaction each), so the nation fits in memory and a progress
bar can advance; each step replaces its own earlier output, so reruns are idempotent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select

from reconcile.contest import Contest
from reconcile.flags import Flag, Rule
from reconcile.ids import NASIONAL, Level, RegionCode, level, undotted
from tally.db.flags import FlagRow
from tally.db.recaps import KeyedRecapRow
from tally.election.engine import judge, synth_tables
from tally.election.flagstore import add_flags
from tally.election.recap import recap
from tally.election.service import store_reconciliation, store_synth
from tally.election.store import load_sheets, load_tps, region_tree
from tally.regions import Region, kabkota_of, load_regions, within

Progress = Callable[[int, int], None]  # (done, total): TPS for synth, kab/kota for reconcile


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
        done = Totals(done.tps + stored.tps, done.sheets + stored.sheets)
    return done


def reconcile_scope(
    engine: Engine,
    regions: Sequence[Region],
    contest: Contest,
    scope: RegionCode,
    *,
    progress: Progress | None = None,
) -> list[Flag]:
    """Judge every stored sheet in `scope`, store results and flags, then compare keyed recaps."""
    chunks = kabkota_in(regions, scope)
    flags: list[Flag] = []
    for i, kab in enumerate(chunks):
        part = scope if level(scope) > Level.KABKOTA else kab
        with engine.begin() as conn:
            tree = region_tree(conn, part)
            expected = [t.id for t in load_tps(conn, part)]
            verdict = judge(contest, tree, load_sheets(conn, contest.id, part), expected)
            store_reconciliation(conn, contest, part, verdict.current, verdict.counted, verdict.flags)
        flags.extend(verdict.flags)
        if progress:
            progress(i + 1, len(chunks))
    flags.extend(_recap_mismatches(engine, contest, scope))
    return flags


def _recap_mismatches(engine: Engine, contest: Contest, scope: RegionCode) -> list[Flag]:
    """RECAP_MISMATCH for every field a region's officials keyed in that differs from Tally's roll-up."""
    with engine.begin() as conn:
        stmt = select(KeyedRecapRow.region_code).where(KeyedRecapRow.contest_id == contest.id)
        if scope != NASIONAL:
            code_col = KeyedRecapRow.region_code
            stmt = stmt.where((code_col == scope) | code_col.startswith(scope + "."))
        keyed = sorted(set(conn.scalars(stmt)))
        out: list[Flag] = []
        for code in map(RegionCode, keyed):
            r = recap(conn, contest, code)
            ours = dict(zip(contest.paslon_fields, r.total.votes, strict=True))
            ours |= {"suara_sah": r.total.suara_sah, "suara_tidak_sah": r.total.suara_tidak_sah}
            found = [
                Flag(code, Rule.RECAP_MISMATCH, (field,), value, ours[field], _HINT)
                for field, value in sorted(r.keyed.items())
                if field in ours and ours[field] != value
            ]
            conn.execute(
                delete(FlagRow).where(
                    FlagRow.contest_id == contest.id,
                    FlagRow.area == undotted(code),
                    FlagRow.rule == Rule.RECAP_MISMATCH.value,
                )
            )
            add_flags(conn, contest.id, found)
            out.extend(found)
    return out


_HINT = "Rekap D.Hasil yang diinput berbeda dari jumlah C.Hasil; periksa ulang TPS di wilayah ini."
