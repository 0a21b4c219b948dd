"""Migrations and models agree: a fresh database at head has nothing left for autogenerate to do."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from tally.db import models
from tally.db.base import make_engine, migrate

FOUNDATION = {
    "region", "tps", "contest", "sheet", "sheet_value", "tps_result", "tps_vote", "flag", "keyed_recap",
}  # fmt: skip


def test_migrated_database_matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, models.Base.metadata)
    assert diff == []


def test_revision_0001_creates_exactly_the_foundation_tables(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'f.sqlite3'}"
    migrate(url, "0001")
    eng = make_engine(url)
    try:
        tables = set(inspect(eng).get_table_names()) - {"alembic_version"}
    finally:
        eng.dispose()
    assert tables == FOUNDATION


def test_results_are_keyed_by_contest_then_tps_so_a_region_is_a_key_range(engine: Engine) -> None:
    # The recap's whole speed rests on these keys being (contest, tps): see tally.db.results.
    insp = inspect(engine)
    assert insp.get_pk_constraint("tps_result")["constrained_columns"] == ["contest_id", "tps_id"]
    assert insp.get_pk_constraint("tps_vote")["constrained_columns"] == ["contest_id", "tps_id", "paslon"]
    assert {"contest_id", "area"} == set(
        next(ix for ix in insp.get_indexes("flag") if ix["name"] == "ix_flag_contest_area")["column_names"]
    )
