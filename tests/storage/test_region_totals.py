"""Region totals equal a recompute from the TPS rows, move by exact deltas and lose nothing under concurrent
writers; the recap read from them equals the recap summed from every TPS (`recap_scan`)."""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import replace

import psycopg
import pytest
from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import DBAPIError

from reconcile.contest import builtin_contest
from reconcile.flags import Severity
from reconcile.ids import NASIONAL, RegionCode, SheetId, TpsId, tps_id
from reconcile.sheet import TallySheet
from tally.db.base import make_engine
from tally.db.totals import MEASURES, RegionTotalRow, RegionVoteRow
from tally.election.engine import judge
from tally.election.recap import recap
from tally.election.recap_scan import recap_scan
from tally.election.results import write_results
from tally.election.run import reconcile_scope, synth_election
from tally.election.store import (
    Tps,
    load_sheets,
    load_tps,
    region_tree,
    save_contest,
    save_sheets,
    save_tps,
)
from tally.election.totals import KEY_LEN, check, rebuild
from tally.regions import load_regions, read_population, read_regions, wilayah_dir, within
from tally.settings import Settings

from .sheets import sheet

PPWP = builtin_contest("ppwp-2024")
KEC = RegionCode("32.77.01")  # Cimahi Selatan, Jawa Barat: 5 kelurahan, 265 TPS
OTHER = RegionCode("75.71.01")  # a kecamatan of Kota Gorontalo: a second provinsi under the nation
REGIONS = read_regions(wilayah_dir(Settings()))
POPULATION = read_population(wilayah_dir(Settings()))
DESA = sorted(r.code for r in REGIONS if r.code.startswith(KEC + "."))

Snapshot = dict[tuple[object, ...], tuple[int, ...]]


def synth(engine: Engine, *scopes: RegionCode) -> None:
    for scope in scopes:
        synth_election(engine, REGIONS, POPULATION, PPWP, scope, error_share=0.3, seed=5)
        reconcile_scope(engine, REGIONS, PPWP, scope)


def snapshot(conn: Connection) -> Snapshot:
    """Every non-zero totals row: ("total", level, area) → measures, ("vote", level, area, paslon) → votes."""
    t, v = RegionTotalRow, RegionVoteRow
    rows: Snapshot = {
        ("total", lvl, area): tuple(nums)
        for lvl, area, *nums in conn.execute(select(t.level, t.area, *(getattr(t, m) for m in MEASURES)))
        if any(nums)
    }
    rows |= {
        ("vote", lvl, area, p): (n,)
        for lvl, area, p, n in conn.execute(select(v.level, v.area, v.paslon, v.votes))
        if n
    }
    return rows


def desa_verdict(conn: Connection, desa: RegionCode) -> tuple[list[TallySheet], set[TpsId], dict[TpsId, int]]:
    """The engine's current sheets, counted TPS and error flags per TPS for one desa (as review rejudges)."""
    expected = [t.id for t in load_tps(conn, desa)]
    verdict = judge(PPWP, region_tree(conn, desa), load_sheets(conn, PPWP.id, desa), expected)
    errors = Counter(TpsId(f.region) for f in verdict.flags if f.severity is Severity.ERROR)
    return verdict.current, verdict.counted, dict(errors)


def test_totals_after_synth_equal_a_recompute_and_the_tps_scan_at_every_level(engine: Engine) -> None:
    synth(engine, KEC, OTHER)
    levels = [NASIONAL, RegionCode("32"), RegionCode("32.77"), KEC, RegionCode(DESA[0])]
    with engine.begin() as conn:
        assert check(conn, PPWP.id) == []
        for code in levels:
            assert recap(conn, PPWP, code) == recap_scan(conn, PPWP, code), code
        incremental = snapshot(conn)
        rebuild(conn, PPWP.id)  # the bulk path lands on the same rows as the deltas did
        assert snapshot(conn) == incremental
        nation = recap(conn, PPWP, NASIONAL)
    assert [c.code for c in nation.children] == ["32", "75"]
    assert nation.total.tps_pending > 0 and nation.total.tps_flagged > 0  # both kinds, counted apart
    assert nation.total.tps_counted + nation.total.tps_pending + nation.total.tps_flagged <= (
        nation.total.tps_expected
    )


def test_a_correction_moves_exactly_its_ancestors(engine: Engine) -> None:
    synth(engine, KEC)
    desa = RegionCode(DESA[0])
    with engine.begin() as conn:
        current, counted, errors = desa_verdict(conn, desa)
        before = snapshot(conn)
        target = next(s for s in current if s.tps in counted and (s.get("suara_paslon_1") or 0) >= 5)
        moved = dict(target.values)
        moved["suara_paslon_1"] = (moved["suara_paslon_1"] or 0) - 5  # 5 votes read in the wrong column
        moved["suara_paslon_2"] = (moved["suara_paslon_2"] or 0) + 5
        fixed = replace(target, id=SheetId("koreksi-1"), values=moved)
        save_sheets(conn, [fixed])
        write_results(conn, PPWP, desa, [fixed if s is target else s for s in current], counted, errors)
        after = snapshot(conn)
        assert check(conn, PPWP.id) == []
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    ancestors = {target.tps[:n] for n in KEY_LEN}
    assert changed == {("vote", lvl, area, p) for lvl, area in enumerate(sorted(ancestors)) for p in (1, 2)}
    assert after[("vote", 0, "", 2)][0] == before[("vote", 0, "", 2)][0] + 5


def test_pending_and_flagged_are_counted_apart(engine: Engine) -> None:
    desa = RegionCode(DESA[0])
    rng = random.Random(3)
    tps = [Tps(tps_id(desa, n), 250) for n in range(1, 6)]
    ok, flagged, unread, no_page = (sheet(PPWP, t.id, t.dpt, rng) for t in tps[:4])
    unread = replace(unread, values={**unread.values, "suara_sah": None})
    no_page = replace(no_page, pages=frozenset({1, 2}))  # page 3 never came: pending, and flagged for it
    with engine.begin() as conn:
        load_regions(conn, within(REGIONS, desa))
        save_contest(conn, PPWP)
        save_tps(conn, desa, tps)
        save_sheets(conn, [ok, flagged, unread, no_page])
        write_results(
            conn, PPWP, desa, [ok, flagged, unread, no_page], {ok.tps}, {flagged.tps: 1, no_page.tps: 1}
        )
        got = recap(conn, PPWP, KEC).total
        assert check(conn, PPWP.id) == []
    assert (got.tps_expected, got.tps_counted, got.tps_pending, got.tps_flagged) == (5, 1, 2, 1)
    assert got.suara_sah == ok.values["suara_sah"]  # only the counted TPS is in the sums


@pytest.mark.postgres
def test_concurrent_writers_lose_no_delta(postgres_url: str) -> None:
    """Writers re-judge the desa of one kecamatan at once, and one rewrites the whole kecamatan."""
    engine = make_engine(postgres_url)
    synth(engine, KEC)
    errors: list[BaseException] = []
    done, lost = [0], [0]

    def writer(scope: RegionCode, seed: int, rounds: int) -> None:
        rng = random.Random(seed)
        for _ in range(rounds):
            try:
                with engine.begin() as conn:
                    current, counted, flags = desa_verdict(conn, scope)
                    hold = {s.tps for s in current if rng.random() < 0.3}  # some TPS held back, some let in
                    write_results(conn, PPWP, scope, current, counted - hold, flags | dict.fromkeys(hold, 1))
                done[0] += 1
            except (DBAPIError, psycopg.Error):  # a lost race (unique key, deadlock) rolls back whole
                lost[0] += 1
                continue
            except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
                errors.append(exc)

    threads = [threading.Thread(target=writer, args=(RegionCode(d), i, 6)) for i, d in enumerate(DESA)]
    threads.append(threading.Thread(target=writer, args=(KEC, 99, 4)))
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    with engine.connect() as conn:
        problems = check(conn, PPWP.id)
        same = recap(conn, PPWP, NASIONAL) == recap_scan(conn, PPWP, NASIONAL)
    engine.dispose()
    assert not errors and done[0] >= len(DESA)
    assert problems == [] and same, f"{done[0]} writes committed, {lost[0]} lost a race"
