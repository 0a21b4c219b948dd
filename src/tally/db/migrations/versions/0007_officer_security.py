"""Officer security (issue 14): disabled and locked staff accounts, revoked codes and who activated them,
token expiry, and an idempotency table that holds no secrets.

- `staff.disabled_at`, `staff.failed_logins`, `staff.locked_until`;
- `activation_code.revoked_at` (a reissue ends the earlier codes), `activation_code.activated_by`;
- `access_token.expires_at` (existing tokens get none: they are expired, officers log in again), and indexes
  on `scope` and `subject` to revoke a TPS's devices and a staff officer's sessions;
- `idempotency`: every stored answer is deleted (they were Fernet-encrypted under a key derived from the
  secret and held bearer tokens and unused codes); an index on `created_at` for expiry.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision: str | None = "0006"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("disabled_at", TS, nullable=True))
        batch.add_column(sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("locked_until", TS, nullable=True))
    with op.batch_alter_table("activation_code") as batch:
        batch.add_column(sa.Column("revoked_at", TS, nullable=True))
        batch.add_column(sa.Column("activated_by", sa.String(80), nullable=True))
    with op.batch_alter_table("access_token") as batch:
        batch.add_column(sa.Column("expires_at", TS, nullable=True))
    op.create_index("ix_access_token_scope", "access_token", ["scope"])
    op.create_index("ix_access_token_subject", "access_token", ["subject"])
    op.execute("DELETE FROM idempotency")
    op.create_index("ix_idempotency_created_at", "idempotency", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_created_at", table_name="idempotency")
    op.drop_index("ix_access_token_subject", table_name="access_token")
    op.drop_index("ix_access_token_scope", table_name="access_token")
    with op.batch_alter_table("access_token") as batch:
        batch.drop_column("expires_at")
    with op.batch_alter_table("activation_code") as batch:
        batch.drop_column("activated_by")
        batch.drop_column("revoked_at")
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("locked_until")
        batch.drop_column("failed_logins")
        batch.drop_column("disabled_at")
