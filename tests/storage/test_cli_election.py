"""`tally election synth` → `tally reconcile` → `tally recap` on real SQLite and PostgreSQL databases."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from reconcile.contest import builtin_contest
from reconcile.flags import Rule
from reconcile.ids import RegionCode
from tally.cli.main import app
from tally.db.flags import FlagRow
from tally.db.sheets import SheetRow
from tally.election.engine import judge
from tally.election.flagstore import key_recap, load_flags
from tally.election.recap import recap
from tally.election.store import load_sheets, load_tps, region_tree

PPWP = builtin_contest("ppwp-2024")
KEC = RegionCode("32.77.01")  # Cimahi Selatan: 5 kelurahan
SYNTH = ["election", "synth", "--scope", "32.77.01", "--error-share", "0.3", "--seed", "5"]


def run(db_url: str, *args: str) -> str:
    out = CliRunner().invoke(app, list(args), env={"TALLY_DATABASE_URL": db_url})
    assert out.exit_code == 0, out.output
    return out.output


def test_synth_reconcile_recap_equals_the_pure_roll_up(db_url: str, engine: Engine, tmp_path: Path) -> None:
    run(db_url, *SYNTH)
    printed = run(db_url, "reconcile", "--scope", "32.77.01", "--export", str(tmp_path / "flags.csv"))
    with engine.connect() as conn:
        expected = [t.id for t in load_tps(conn, KEC)]
        pure = judge(PPWP, region_tree(conn, KEC), load_sheets(conn, PPWP.id, KEC), expected).report.rollup
        got = recap(conn, PPWP, KEC)
        stored = load_flags(conn, PPWP.id, KEC)
    for ours, theirs in [(got.total, pure.totals(KEC)), *zip(got.children, pure.children(KEC), strict=True)]:
        assert ours.votes == theirs.votes and ours.suara_sah == theirs.suara_sah
        assert ours.suara_tidak_sah == theirs.suara_tidak_sah
        assert (ours.tps_expected, ours.tps_counted) == (theirs.tps_expected, theirs.tps_counted)
        assert (ours.tps_pending, ours.tps_flagged) == (theirs.tps_pending, theirs.tps_flagged)
    assert (got.flags, got.outliers) == (pure.totals(KEC).flags, pure.totals(KEC).outliers)
    assert got.flags + got.outliers == len(stored) > 0
    assert {f.rule for f in stored} >= {Rule.VOTES}
    vote = next(f for f in stored if f.rule is Rule.VOTES)
    assert vote.expected is not None and vote.actual is not None and vote.expected != vote.actual
    assert f"{len(stored)} bendera" in printed
    with (tmp_path / "flags.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(stored) and {"rule", "expected", "actual", "hint"} <= set(rows[0])


def test_rerunning_synth_and_reconcile_changes_nothing(db_url: str, engine: Engine, tmp_path: Path) -> None:
    def snapshot() -> tuple[int, int, dict[str, object]]:
        with engine.connect() as conn:
            sheets = conn.scalar(select(func.count()).select_from(SheetRow)) or 0
            flags = conn.scalar(select(func.count()).select_from(FlagRow)) or 0
            return sheets, flags, recap(conn, PPWP, KEC).as_dict()

    run(db_url, *SYNTH)
    run(db_url, "reconcile", "--scope", "32.77.01")
    first = snapshot()
    run(db_url, *SYNTH)
    run(db_url, "reconcile", "--scope", "32.77.01", "--export", str(tmp_path / "f.json"))
    assert snapshot() == first
    assert len(json.loads((tmp_path / "f.json").read_text(encoding="utf-8"))) == first[1]


def test_keyed_recap_that_differs_from_the_roll_up_is_flagged(db_url: str, engine: Engine) -> None:
    run(db_url, *SYNTH[:-4], "--error-share", "0")
    run(db_url, "reconcile", "--scope", "32.77")
    with engine.begin() as conn:
        total = recap(conn, PPWP, KEC).total
        key_recap(
            conn, PPWP.id, KEC, {"suara_paslon_1": total.votes[0] + 10, "suara_sah": total.suara_sah}, "ppk"
        )
    out = run(db_url, "reconcile", "--scope", "32.77")
    with engine.connect() as conn:
        flags = [f for f in load_flags(conn, PPWP.id, KEC) if f.rule is Rule.RECAP_MISMATCH]
    assert [(f.region, f.fields, f.expected, f.actual) for f in flags] == [
        (KEC, ("suara_paslon_1",), total.votes[0] + 10, total.votes[0])
    ]
    assert "recap_mismatch" in out
