"""`tally recap CODE` prints a level's totals and coverage, as a table or as JSON, from a real database."""

from __future__ import annotations

import json
import random

from sqlalchemy import Engine
from typer.testing import CliRunner

from reconcile.contest import builtin_contest
from reconcile.ids import RegionCode, tps_id
from tally.cli.main import app
from tally.election.flagstore import key_recap
from tally.election.service import store_reconciliation, store_synth
from tally.election.store import Tps
from tally.regions import load_regions, read_regions, wilayah_dir, within
from tally.settings import Settings

from .sheets import sheet

PPWP = builtin_contest("ppwp-2024")
KEC = RegionCode("32.04.05")
REGIONS = within(read_regions(wilayah_dir(Settings())), KEC)


def test_recap_command_prints_totals_as_json_and_as_a_table(engine: Engine, db_url: str) -> None:
    rng = random.Random(3)
    desa = [r.code for r in REGIONS if r.code.count(".") == 3]
    tps = [Tps(tps_id(RegionCode(d), 1), 250) for d in desa]
    sheets = [sheet(PPWP, t.id, t.dpt, rng) for t in tps[1:]]
    with engine.begin() as conn:
        load_regions(conn, REGIONS)
        store_synth(conn, PPWP, KEC, tps, sheets)
        store_reconciliation(conn, PPWP, KEC, sheets, {s.tps for s in sheets}, [])
        key_recap(conn, PPWP.id, KEC, {"suara_sah": 1}, "ppk")
    env = {"TALLY_DATABASE_URL": db_url}
    out = CliRunner().invoke(app, ["recap", "3204050", "--json"], env=env)
    assert out.exit_code != 0  # a 7-digit code is no region: refused, not guessed
    out = CliRunner().invoke(app, ["recap", "320405", "--json"], env=env)
    assert out.exit_code == 0, out.output
    got = json.loads(out.output)
    assert got["code"] == "32.04.05" and got["tps_expected"] == len(tps) and got["tps_counted"] == len(sheets)
    assert sum(got["votes"].values()) == got["suara_sah"] == sum(s.values["suara_sah"] or 0 for s in sheets)
    assert len(got["children"]) == len(desa) and got["keyed"] == {"suara_sah": 1}
    table = CliRunner().invoke(app, ["recap", "32.04.05"], env=env)
    assert table.exit_code == 0 and f"{len(sheets)}/{len(tps)}" in table.output
