"""Successive decodes of the same photos supersede each other, and a D.Hasil sums the settled values.

`sheet.basis` names the photos an OCR sheet was decoded from (`reconcile.compare.superseded`) and
`sheet.superseded` marks one a later decode replaced; OCR sheets of a TPS are numbered by `version` from now
on. `tps_value` holds the numbers a D.Hasil sums of each counted TPS's settled sheet. Both are derived going
forward: run `tally reconcile` once after upgrading to fill `tps_value` for the TPS already counted.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision: str | None = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sheet", sa.Column("basis", sa.Text(), nullable=True))
    op.add_column("sheet", sa.Column("superseded", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "tps_value",
        sa.Column("contest_id", sa.String(40), sa.ForeignKey("contest.id"), nullable=False),
        sa.Column("tps_id", sa.String(13), sa.ForeignKey("tps.id"), nullable=False),
        sa.Column("field", sa.String(40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("contest_id", "tps_id", "field", name="pk_tps_value"),
    )


def downgrade() -> None:
    op.drop_table("tps_value")
    # Not a batch (copy-and-move) on SQLite: dropping the old `sheet` would cascade into tps_result.
    op.execute("ALTER TABLE sheet DROP COLUMN superseded")
    op.execute("ALTER TABLE sheet DROP COLUMN basis")
