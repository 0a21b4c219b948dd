"""Review: officers' proposals, confirmations, corrections and approvals; practice (latihan) attempts.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels = None
depends_on = None


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "review_change",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("contest_id", sa.String(40), nullable=False),
        sa.Column("tps_id", sa.String(13), nullable=False),
        sa.Column("field", sa.String(40), nullable=False),
        sa.Column("before", sa.Integer(), nullable=True),
        sa.Column("after", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("proposed_by", sa.String(80), nullable=False),
        sa.Column("proposed_role", sa.String(8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("decided_by", sa.String(80), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sheet_id", sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(
            ["contest_id"], ["contest.id"], name=op.f("fk_review_change_contest_id_contest")
        ),
        sa.ForeignKeyConstraint(["tps_id"], ["tps.id"], name=op.f("fk_review_change_tps_id_tps")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_change")),
    )
    op.create_index("ix_review_change_tps_state", "review_change", ["tps_id", "state"])
    op.create_table(
        "practice_attempt",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("officer", sa.String(80), nullable=False),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("photo_sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_attempt")),
    )
    op.create_index(op.f("ix_practice_attempt_officer"), "practice_attempt", ["officer"])


def downgrade() -> None:
    op.drop_index(op.f("ix_practice_attempt_officer"), table_name="practice_attempt")
    op.drop_table("practice_attempt")
    op.drop_index("ix_review_change_tps_state", table_name="review_change")
    op.drop_table("review_change")
