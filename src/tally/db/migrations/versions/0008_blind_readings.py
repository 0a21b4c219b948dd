"""Blind readings (issue 15): what officers typed from the paper before seeing the machine's number, the
PPS's requests for a new photo, the KPPS's final confirmation, and the page slot a photo was sent in.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision: str | None = "0007"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
CODE = sa.String(13)


def upgrade() -> None:
    op.create_table(
        "blind_reading",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("contest_id", sa.String(40), sa.ForeignKey("contest.id"), nullable=False),
        sa.Column("tps_id", CODE, sa.ForeignKey("tps.id"), nullable=False),
        sa.Column("field", sa.String(40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.SmallInteger(), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("entered_by", sa.String(80), nullable=False),
        sa.Column("machine", sa.Integer(), nullable=True),
        sa.Column("agreed", sa.Boolean(), nullable=False),
        sa.Column("sheet_id", sa.String(64), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("tps_id", "field", "entered_by", "attempt", name="uq_blind_reading_once"),
    )
    op.create_index("ix_blind_reading_tps_id", "blind_reading", ["tps_id"])
    op.create_table(
        "retake_request",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("tps_id", CODE, sa.ForeignKey("tps.id"), nullable=False),
        sa.Column("page", sa.SmallInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(80), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("closed_at", TS, nullable=True),
        sa.Column("closed_by_photo", sa.String(64), nullable=True),
    )
    op.create_index("ix_retake_request_tps_open", "retake_request", ["tps_id", "closed_at"])
    op.create_table(
        "tps_confirmation",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("tps_id", CODE, sa.ForeignKey("tps.id"), nullable=False),
        sa.Column("sheet_id", sa.String(64), nullable=True),
        sa.Column("confirmed_by", sa.String(80), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_tps_confirmation_tps_id", "tps_confirmation", ["tps_id"])
    with op.batch_alter_table("photo") as batch:
        batch.add_column(sa.Column("sent_page", sa.SmallInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("photo") as batch:
        batch.drop_column("sent_page")
    op.drop_index("ix_tps_confirmation_tps_id", table_name="tps_confirmation")
    op.drop_table("tps_confirmation")
    op.drop_index("ix_retake_request_tps_open", table_name="retake_request")
    op.drop_table("retake_request")
    op.drop_index("ix_blind_reading_tps_id", table_name="blind_reading")
    op.drop_table("blind_reading")
