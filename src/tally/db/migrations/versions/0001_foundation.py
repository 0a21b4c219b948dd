"""Foundation: regions, TPS, contests, sheets and their values, current TPS results, flags, keyed recaps.

Written by hand, checked against `alembic revision --autogenerate`; `tests/storage/test_migrations.py`
upgrades a fresh SQLite and PostgreSQL database and asserts autogenerate finds nothing left to do.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CODE = sa.String(13)
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_RESULT_TOTALS = ("dpt", "pengguna", "suara_sah", "suara_tidak_sah", "suara_total")


def _pk(table: str, *cols: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*cols, name=op.f(f"pk_{table}"))


def _fk(table: str, col: str, target: str, ondelete: str | None = None) -> sa.ForeignKeyConstraint:
    ref_table = target.split(".")[0]
    name = op.f(f"fk_{table}_{col}_{ref_table}")
    return sa.ForeignKeyConstraint([col], [target], name=name, ondelete=ondelete)


def upgrade() -> None:
    op.create_table(
        "contest",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        _pk("contest", "id"),
    )
    op.create_table(
        "region",
        sa.Column("code", CODE, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("parent", CODE, nullable=True),
        _fk("region", "parent", "region.code"),
        _pk("region", "code"),
    )
    op.create_index(op.f("ix_region_parent"), "region", ["parent"])
    op.create_table(
        "tps",
        sa.Column("id", CODE, nullable=False),
        sa.Column("desa", CODE, nullable=False),
        sa.Column("number", sa.SmallInteger(), nullable=False),
        sa.Column("dpt", sa.Integer(), nullable=False),
        _fk("tps", "desa", "region.code"),
        _pk("tps", "id"),
    )
    op.create_index(op.f("ix_tps_desa"), "tps", ["desa"])
    op.create_table(
        "sheet",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("tps_id", CODE, nullable=False),
        sa.Column("contest_id", sa.String(40), nullable=False),
        sa.Column("source", sa.String(12), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("pages", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("photo_sha256", sa.String(64), nullable=True),
        sa.Column("reader", sa.String(40), nullable=True),
        sa.Column("model_version", sa.String(40), nullable=True),
        _fk("sheet", "contest_id", "contest.id"),
        _fk("sheet", "tps_id", "tps.id"),
        _pk("sheet", "id"),
    )
    op.create_index("ix_sheet_contest_tps", "sheet", ["contest_id", "tps_id"])
    op.create_table(
        "sheet_value",
        sa.Column("sheet_id", sa.String(64), nullable=False),
        sa.Column("field", sa.String(40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        _fk("sheet_value", "sheet_id", "sheet.id", ondelete="CASCADE"),
        _pk("sheet_value", "sheet_id", "field"),
    )
    # Current result per (contest, TPS): the recap's index range scan runs on these primary keys.
    op.create_table(
        "tps_result",
        sa.Column("contest_id", sa.String(40), nullable=False),
        sa.Column("tps_id", CODE, nullable=False),
        sa.Column("sheet_id", sa.String(64), nullable=False),
        sa.Column("counted", sa.SmallInteger(), nullable=False),
        sa.Column("flags", sa.Integer(), nullable=False),
        *(sa.Column(c, sa.Integer(), nullable=True) for c in _RESULT_TOTALS),
        _fk("tps_result", "contest_id", "contest.id"),
        _fk("tps_result", "sheet_id", "sheet.id", ondelete="CASCADE"),
        _fk("tps_result", "tps_id", "tps.id"),
        _pk("tps_result", "contest_id", "tps_id"),
    )
    op.create_index(op.f("ix_tps_result_sheet_id"), "tps_result", ["sheet_id"])
    op.create_table(
        "tps_vote",
        sa.Column("contest_id", sa.String(40), nullable=False),
        sa.Column("tps_id", CODE, nullable=False),
        sa.Column("paslon", sa.SmallInteger(), nullable=False),
        sa.Column("votes", sa.Integer(), nullable=True),
        _fk("tps_vote", "contest_id", "contest.id"),
        _fk("tps_vote", "tps_id", "tps.id"),
        _pk("tps_vote", "contest_id", "tps_id", "paslon"),
    )
    op.create_table(
        "flag",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("contest_id", sa.String(40), nullable=False),
        sa.Column("subject", CODE, nullable=False),
        sa.Column("area", CODE, nullable=False),
        sa.Column("sheet_id", sa.String(64), nullable=True),
        sa.Column("rule", sa.String(24), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("expected", sa.BigInteger(), nullable=True),
        sa.Column("actual", sa.BigInteger(), nullable=True),
        sa.Column("hint", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("flag", "contest_id", "contest.id"),
        _fk("flag", "sheet_id", "sheet.id", ondelete="CASCADE"),
        _pk("flag", "id"),
    )
    op.create_index("ix_flag_contest_area", "flag", ["contest_id", "area"])
    op.create_table(
        "keyed_recap",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("region_code", CODE, nullable=False),
        sa.Column("contest_id", sa.String(40), nullable=False),
        sa.Column("field", sa.String(40), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("keyed_by", sa.String(120), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        _fk("keyed_recap", "contest_id", "contest.id"),
        _fk("keyed_recap", "region_code", "region.code"),
        _pk("keyed_recap", "id"),
    )
    op.create_index("ix_keyed_recap_contest_region", "keyed_recap", ["contest_id", "region_code"])


def downgrade() -> None:
    # Children before parents.
    for table in ("keyed_recap", "flag", "tps_vote", "tps_result", "sheet_value", "sheet", "tps"):
        op.drop_table(table)
    op.drop_table("region")
    op.drop_table("contest")
