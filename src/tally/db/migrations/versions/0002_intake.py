"""Intake: staff, activation codes, access tokens, photos, OCR jobs, readings, idempotency records.

Written by hand to match `tally.db.intake`; `tests/storage/test_migrations.py` checks that autogenerate finds
nothing left to do.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CODE = sa.String(13)
HASH = sa.String(64)
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def _pk(table: str, *cols: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*cols, name=op.f(f"pk_{table}"))


def _fk(table: str, col: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([col], [target], name=op.f(f"fk_{table}_{col}_{target.split('.')[0]}"))


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("region", CODE, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        _pk("staff", "username"),
    )
    op.create_table(
        "activation_code",
        sa.Column("code_hash", HASH, nullable=False),
        sa.Column("tps_id", CODE, nullable=False),
        sa.Column("issued_by", sa.String(80), nullable=False),
        sa.Column("issued_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS, nullable=True),
        sa.Column("token_hash", HASH, nullable=True),
        _fk("activation_code", "tps_id", "tps.id"),
        _pk("activation_code", "code_hash"),
    )
    op.create_index(op.f("ix_activation_code_tps_id"), "activation_code", ["tps_id"])
    op.create_table(
        "access_token",
        sa.Column("token_hash", HASH, nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("scope", CODE, nullable=False),
        sa.Column("subject", sa.String(80), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        _pk("access_token", "token_hash"),
    )
    op.create_table(
        "photo",
        sa.Column("sha256", HASH, nullable=False),
        sa.Column("tps_id", CODE, nullable=False),
        sa.Column("page", sa.SmallInteger(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("orientation", sa.SmallInteger(), nullable=False),
        sa.Column("uploaded_by", sa.String(80), nullable=False),
        sa.Column("uploaded_at", TS, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        _fk("photo", "tps_id", "tps.id"),
        _pk("photo", "sha256"),
    )
    op.create_index("ix_photo_tps_page", "photo", ["tps_id", "page"])
    op.create_table(
        "ocr_job",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("photo_sha256", HASH, nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("tries", sa.SmallInteger(), nullable=False),
        sa.Column("enqueued_at", TS, nullable=False),
        sa.Column("available_at", TS, nullable=False),
        sa.Column("lease_until", TS, nullable=True),
        sa.Column("worker", sa.String(80), nullable=True),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        _fk("ocr_job", "photo_sha256", "photo.sha256"),
        _pk("ocr_job", "id"),
        sa.UniqueConstraint("photo_sha256", name=op.f("uq_ocr_job_photo_sha256")),
    )
    op.create_index("ix_ocr_job_state_available", "ocr_job", ["state", "available_at"])
    op.create_table(
        "reading",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("photo_sha256", HASH, nullable=False),
        sa.Column("reader", sa.String(40), nullable=False),
        sa.Column("model_version", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("page", sa.SmallInteger(), nullable=True),
        sa.Column("rejected", sa.Text(), nullable=True),
        sa.Column("sheet_id", sa.String(64), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        _fk("reading", "photo_sha256", "photo.sha256"),
        _pk("reading", "id"),
        sa.UniqueConstraint("photo_sha256", "model_version", name="uq_reading_photo_model"),
    )
    op.create_index(op.f("ix_reading_photo_sha256"), "reading", ["photo_sha256"])
    op.create_table(
        "idempotency",
        sa.Column("key", HASH, nullable=False),
        sa.Column("fingerprint", HASH, nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        _pk("idempotency", "key"),
    )


def downgrade() -> None:
    for table in ("idempotency", "reading", "ocr_job", "photo", "access_token", "activation_code", "staff"):
        op.drop_table(table)
