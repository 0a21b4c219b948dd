"""Region totals: per (contest, level, area) counters and sums, so a national recap reads a few rows.

Adds `tps_result.complete` (pending = not complete; flagged = complete but held back by an error), the tables
`region_total` and `region_vote`, and an index for counting flags per severity inside a region. Existing
results are rolled up here with one GROUP BY per level (the same arithmetic as
`tally.election.totals.rebuild`, frozen in SQL so this revision does not depend on later code).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels = None
depends_on = None

AREA = sa.String(10)
_SUMS = ("dpt", "pengguna", "suara_sah", "suara_tidak_sah")
_COUNTS = ("tps_expected", "tps_counted", "tps_pending", "tps_flagged")
_KEY_LEN = {4: 10, 3: 6, 2: 4, 1: 2, 0: 0}  # level → undotted code length


def upgrade() -> None:
    with op.batch_alter_table("tps_result") as batch:
        batch.add_column(sa.Column("complete", sa.SmallInteger(), server_default="1", nullable=False))
    # Before 0005 a TPS not counted and without an error flag could only be incomplete.
    op.execute("UPDATE tps_result SET complete = 0 WHERE counted = 0 AND flags = 0")
    op.create_index("ix_flag_contest_severity_area", "flag", ["contest_id", "severity", "area"])
    op.create_table(
        "region_total",
        sa.Column("contest_id", sa.String(40), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("area", AREA, nullable=False),
        *(sa.Column(c, sa.Integer(), nullable=False) for c in _COUNTS),
        *(sa.Column(c, sa.BigInteger(), nullable=False) for c in _SUMS),
        sa.ForeignKeyConstraint(
            ["contest_id"], ["contest.id"], name=op.f("fk_region_total_contest_id_contest")
        ),
        sa.PrimaryKeyConstraint("contest_id", "level", "area", name=op.f("pk_region_total")),
    )
    op.create_table(
        "region_vote",
        sa.Column("contest_id", sa.String(40), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("area", AREA, nullable=False),
        sa.Column("paslon", sa.SmallInteger(), nullable=False),
        sa.Column("votes", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contest_id"], ["contest.id"], name=op.f("fk_region_vote_contest_id_contest")
        ),
        sa.PrimaryKeyConstraint("contest_id", "level", "area", "paslon", name=op.f("pk_region_vote")),
    )
    _fill()


def _fill() -> None:
    """Roll up every stored contest: desa rows from the TPS tables, each level above from the one below."""
    op.execute(
        "INSERT INTO region_total (contest_id, level, area, tps_expected, tps_counted, tps_pending,"
        " tps_flagged, dpt, pengguna, suara_sah, suara_tidak_sah)"
        " SELECT c.id, 4, substr(t.id, 1, 10), count(*),"
        " coalesce(sum(r.counted), 0),"
        " coalesce(sum(CASE WHEN r.counted = 0 AND r.complete = 0 THEN 1 ELSE 0 END), 0),"
        " coalesce(sum(CASE WHEN r.counted = 0 AND r.complete = 1 AND r.flags > 0 THEN 1 ELSE 0 END), 0),"
        + ", ".join(f" coalesce(sum(CASE WHEN r.counted = 1 THEN r.{s} ELSE 0 END), 0)" for s in _SUMS)
        + " FROM contest c CROSS JOIN tps t"
        " LEFT JOIN tps_result r ON r.contest_id = c.id AND r.tps_id = t.id"
        " GROUP BY c.id, substr(t.id, 1, 10)"
    )
    op.execute(
        "INSERT INTO region_vote (contest_id, level, area, paslon, votes)"
        " SELECT contest_id, 4, substr(tps_id, 1, 10), paslon, coalesce(sum(votes), 0) FROM tps_vote"
        " GROUP BY contest_id, substr(tps_id, 1, 10), paslon"
    )
    cols = ", ".join((*_COUNTS, *_SUMS))
    sums = ", ".join(f"sum({c})" for c in (*_COUNTS, *_SUMS))
    for lvl in (3, 2, 1, 0):
        key = f"substr(area, 1, {_KEY_LEN[lvl]})" if lvl else "''"
        group = f"contest_id, {key}" if lvl else "contest_id"
        op.execute(
            f"INSERT INTO region_total (contest_id, level, area, {cols})"
            f" SELECT contest_id, {lvl}, {key}, {sums} FROM region_total WHERE level = {lvl + 1}"
            f" GROUP BY {group}"
        )
        op.execute(
            f"INSERT INTO region_vote (contest_id, level, area, paslon, votes)"
            f" SELECT contest_id, {lvl}, {key}, paslon, sum(votes) FROM region_vote WHERE level = {lvl + 1}"
            f" GROUP BY {group}, paslon"
        )


def downgrade() -> None:
    op.drop_table("region_vote")
    op.drop_table("region_total")
    op.drop_index("ix_flag_contest_severity_area", table_name="flag")
    with op.batch_alter_table("tps_result") as batch:
        batch.drop_column("complete")
