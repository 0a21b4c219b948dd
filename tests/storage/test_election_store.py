"""Sheets, results, flags and keyed recaps survive the database, and the recap query adds up correctly."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from reconcile.contest import builtin_contest
from reconcile.flags import Flag, Rule, Severity
from reconcile.ids import RegionCode, SheetId, tps_id
from reconcile.sheet import Source, TallySheet
from tally.db.sheets import SheetValueRow
from tally.election.flagstore import key_recap, load_flags, replace_flags
from tally.election.recap import recap
from tally.election.results import write_results
from tally.election.store import (
    Tps,
    delete_sheets,
    load_sheets,
    load_tps,
    save_contest,
    save_sheets,
    save_tps,
)
from tally.regions import load_regions, read_regions, wilayah_dir, within
from tally.settings import Settings

from .sheets import sheet

PPWP = builtin_contest("ppwp-2024")
KAB = RegionCode("32.04")
REGIONS = within(read_regions(wilayah_dir(Settings())), KAB)
KEC = sorted({r.code for r in REGIONS if r.code.count(".") == 2})[:2]
DESA = [r.code for r in REGIONS if r.code.count(".") == 3 and r.code.rsplit(".", 1)[0] in KEC]


@pytest.fixture
def election(engine: Engine) -> tuple[Engine, list[Tps], list[TallySheet]]:
    """Two kecamatan of Kabupaten Bandung, 2 TPS per desa; every TPS but the last three has a sheet."""
    rng = random.Random(7)
    tps = [Tps(tps_id(RegionCode(d), n), rng.randint(150, 300)) for d in DESA for n in (1, 2)]
    sheets = [sheet(PPWP, t.id, t.dpt, rng) for t in tps[:-3]]
    with engine.begin() as conn:
        load_regions(conn, REGIONS)
        save_contest(conn, PPWP)
        save_tps(conn, KAB, tps)
        save_sheets(conn, sheets)
    return engine, tps, sheets


def test_sheets_come_back_equal_with_pending_values_and_missing_pages(engine: Engine) -> None:
    t = Tps(tps_id(RegionCode(DESA[0]), 1), 200)
    partial = TallySheet(
        SheetId("p-1"), t.id, PPWP.id, {"suara_sah": None, "suara_total": 17}, frozenset({3}), Source.OCR, 2
    )
    bare = TallySheet(SheetId("p-2"), t.id, PPWP.id, {}, frozenset(), Source.KEYED)
    with engine.begin() as conn:
        load_regions(conn, REGIONS)
        save_contest(conn, PPWP)
        save_tps(conn, KAB, [t])
        save_sheets(conn, [partial, bare])
    with engine.connect() as conn:
        back = load_sheets(conn, PPWP.id, KAB)
        status = conn.scalar(select(SheetValueRow.status).where(SheetValueRow.field == "suara_sah"))
    assert back == [partial, bare]
    assert status == "pending"


def test_recap_totals_equal_the_sum_of_the_counted_tps(
    election: tuple[Engine, list[Tps], list[TallySheet]],
) -> None:
    engine, tps, sheets = election
    # The first sheet has a value not read yet: pending, not counted.
    sheets = [replace(sheets[0], values={**sheets[0].values, "suara_sah": None}), *sheets[1:]]
    counted = {s.tps for s in sheets[1:]}
    with engine.begin() as conn:
        write_results(conn, PPWP, KAB, sheets, counted, flags={})
    with engine.connect() as conn:
        got = recap(conn, PPWP, KAB)
        kec = recap(conn, PPWP, RegionCode(KEC[0]))
    in_sum = [s for s in sheets if s.tps in counted]
    assert got.total.votes == tuple(sum(s.values[f] or 0 for s in in_sum) for f in PPWP.paslon_fields)
    assert got.total.suara_sah == sum(s.values["suara_sah"] or 0 for s in in_sum)
    assert (got.total.tps_expected, got.total.tps_counted, got.total.tps_pending) == (
        len(tps),
        len(counted),
        1,
    )
    assert [c.code for c in got.children] == [k.replace(".", "") for k in KEC]
    assert sum(c.votes[1] for c in got.children) == got.total.votes[1]
    assert kec.total.votes == got.children[0].votes and kec.children[0].name  # desa lines carry names


def test_flags_are_stored_with_rule_expected_actual_and_counted_by_area(engine: Engine) -> None:
    t = tps_id(RegionCode(DESA[0]), 1)
    flags = [
        Flag(t, Rule.VOTES, ("suara_paslon_1", "suara_sah"), 74, 748, "Periksa angka paslon 1."),
        Flag(RegionCode(KEC[0]), Rule.RECAP_MISMATCH, ("suara_sah",), 900, 910, "Cocokkan D.Hasil."),
        Flag(t, Rule.TURNOUT_HIGH, ("pengguna_total_j",), None, 299, "Periksa.", Severity.OUTLIER),
    ]
    with engine.begin() as conn:
        load_regions(conn, REGIONS)
        save_contest(conn, PPWP)
        save_tps(conn, KAB, [Tps(t, 245)])
        replace_flags(conn, PPWP.id, KAB, flags)
        replace_flags(conn, PPWP.id, KAB, flags)  # a rerun replaces, it does not add
    with engine.connect() as conn:
        back = load_flags(conn, PPWP.id, KAB)
        got = recap(conn, PPWP, KAB)
        other = recap(conn, PPWP, RegionCode("32.01"))
    assert sorted(back, key=lambda f: f.rule) == sorted(flags, key=lambda f: f.rule)
    assert (got.flags, got.outliers) == (2, 1)
    assert (other.flags, other.outliers) == (0, 0)


def test_latest_keyed_recap_supersedes_earlier_keying(engine: Engine) -> None:
    at = datetime(2024, 2, 20, tzinfo=UTC)
    with engine.begin() as conn:
        load_regions(conn, REGIONS)
        save_contest(conn, PPWP)
        key_recap(conn, PPWP.id, KAB, {"suara_paslon_1": 10, "suara_sah": 30}, "ppk-1", at=at)
        key_recap(conn, PPWP.id, KAB, {"suara_paslon_1": 12}, "ppk-2", at=at + timedelta(hours=1))
    with engine.connect() as conn:
        assert recap(conn, PPWP, KAB).keyed == {"suara_paslon_1": 12, "suara_sah": 30}


def test_storing_an_election_again_replaces_it(election: tuple[Engine, list[Tps], list[TallySheet]]) -> None:
    engine, tps, sheets = election
    with engine.begin() as conn:
        write_results(conn, PPWP, KAB, sheets, {s.tps for s in sheets}, flags={})
        delete_sheets(conn, PPWP.id, KAB, Source.SYNTH)
        save_tps(conn, KAB, tps)
        save_sheets(conn, sheets)
        write_results(conn, PPWP, KAB, sheets, {s.tps for s in sheets}, flags={})
    with engine.connect() as conn:
        values = conn.scalar(select(func.count()).select_from(SheetValueRow))
        assert len(load_tps(conn, KAB)) == len(tps)
        assert recap(conn, PPWP, KAB).total.tps_counted == len(sheets)
    assert values == len(sheets) * len(PPWP.fields)
