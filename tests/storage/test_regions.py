"""The real Kepmendagri tree goes into the database whole, keeps parent/child links, and reloads cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from reconcile.ids import Level, RegionCode
from tally.cli.main import app
from tally.db.regions import RegionRow
from tally.regions import load_regions, read_population, read_regions, wilayah_dir, within
from tally.settings import Settings

WILAYAH = wilayah_dir(Settings())
ALL = read_regions(WILAYAH)


def test_csv_holds_the_kepmendagri_counts_per_level() -> None:
    per_level = {lv: sum(1 for r in ALL if r.level is lv) for lv in Level}
    assert len(ALL) == 91_599
    assert per_level[Level.PROVINSI] == 38
    assert per_level[Level.KABKOTA] == 514
    assert per_level[Level.KECAMATAN] == 7_285
    assert per_level[Level.DESA] == 83_762


def test_population_is_given_per_kabkota() -> None:
    population = read_population(WILAYAH)
    assert population[RegionCode("32.04")] > 3_000_000  # Kabupaten Bandung
    assert sum(p for code, p in population.items() if code.count(".") == 1) > 280_000_000


def test_loaded_tree_round_trips_parent_and_children(engine: Engine) -> None:
    with engine.begin() as conn:
        first = load_regions(conn, ALL)
    with engine.connect() as conn:
        count = conn.scalar(select(func.count()).select_from(RegionRow))
        desa = conn.execute(select(RegionRow).where(RegionRow.code == "32.73.01.1001")).one()
        children = conn.scalars(select(RegionRow.code).where(RegionRow.parent == "32.73.01")).all()
        provinces = conn.scalar(select(func.count()).where(RegionRow.parent.is_(None)))
    assert first.inserted == count == 91_599
    assert (desa.parent, desa.level) == ("32.73.01", Level.DESA)
    assert "32.73.01.1001" in children and all(c.startswith("32.73.01.") for c in children)
    assert provinces == 38


def test_reloading_regions_changes_nothing_and_fixes_renames(engine: Engine) -> None:
    part = within(ALL, RegionCode("32.04"))
    with engine.begin() as conn:
        load_regions(conn, part)
        conn.execute(RegionRow.__table__.update().where(RegionRow.code == "32.04").values(name="salah"))
    with engine.begin() as conn:
        again = load_regions(conn, part)
    with engine.connect() as conn:
        name = conn.scalar(select(RegionRow.name).where(RegionRow.code == "32.04"))
        count = conn.scalar(select(func.count()).select_from(RegionRow))
    assert (again.inserted, again.updated) == (0, 1)
    assert name == "Kabupaten Bandung" and count == len(part)


def test_within_keeps_ancestors_so_the_scope_hangs_off_its_provinsi() -> None:
    codes = {r.code for r in within(ALL, RegionCode("32.04.05"))}
    assert {"32", "32.04", "32.04.05"} <= codes
    assert all(c in {"32", "32.04"} or c.startswith("32.04.05") for c in codes)


@pytest.mark.slow
def test_cli_regions_load_is_idempotent(db_url: str, tmp_path: Path) -> None:
    env = {"TALLY_DATABASE_URL": db_url, "TALLY_DATA_DIR": str(tmp_path)}
    runner = CliRunner()
    first = runner.invoke(app, ["regions", "load"], env=env)
    second = runner.invoke(app, ["regions", "load"], env=env)
    assert first.exit_code == 0, first.output
    assert "91,599 wilayah: 91,599 baru" in first.output
    assert "0 baru, 0 diperbarui" in second.output
