"""The counted values become a projection of the audit chain: a baseline entry per TPS result already stored.

From this revision on, every write of `tps_result` / `tps_vote` is recorded in an audit entry (issue 14), and
`tally audit verify` replays the chain and compares it with the tables. Results stored before this revision
were written without an entry, so this revision appends one `baseline` entry per stored TPS result carrying
its values — "as of revision 0006 these were the counted values" — and verification holds from here on.
An empty database (tests, a fresh install) gets no entry.

The entry format is frozen here (canonical JSON and SHA-256 as in `tally.audit.chain`, the result payload as
in `tally.audit.replay`), so this revision does not depend on later code. Adds the index the model
declares on `audit_head.public_key` (finding a key's heads).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels = None
depends_on = None

_RESULT_COLS = ("sheet_id", "counted", "complete", "flags", "dpt", "pengguna", "suara_sah",
                "suara_tidak_sah", "suara_total")  # fmt: skip


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def upgrade() -> None:
    op.create_index("ix_audit_head_public_key", "audit_head", ["public_key"])
    _baseline(op.get_bind())


def _baseline(conn: sa.Connection) -> None:
    cols = ", ".join(_RESULT_COLS)
    results = conn.execute(
        sa.text(f"SELECT contest_id, tps_id, {cols} FROM tps_result ORDER BY contest_id, tps_id")
    ).all()
    if not results:
        return
    votes: dict[tuple[str, str], dict[str, int | None]] = {}
    for contest, tps, paslon, n in conn.execute(
        sa.text("SELECT contest_id, tps_id, paslon, votes FROM tps_vote")
    ):
        votes.setdefault((contest, tps), {})[str(int(paslon))] = None if n is None else int(n)
    seq, prev = conn.execute(sa.text("SELECT seq, hash FROM audit_tip WHERE id = 1")).one()
    seq, prev = int(seq), str(prev)
    moment = datetime.now(UTC)
    at = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    rows = []
    for contest, tps, sheet, *nums in results:
        result: dict[str, Any] = {"sheet": sheet, "votes": votes.get((contest, tps), {})}
        for name, value in zip(_RESULT_COLS[1:], nums, strict=True):
            result[name] = None if value is None else int(value)
        after = _canonical({"results": [{"contest": contest, "tps": tps, "result": result}]})
        seq += 1
        fields = {
            "seq": seq, "at": at, "actor": "migration-0006", "actor_role": "system", "origin": "",
            "action": "baseline", "subject": tps, "before": "{}", "after": after, "prev_hash": prev,
        }  # fmt: skip
        digest = hashlib.sha256(_canonical(fields).encode("utf-8")).hexdigest()
        rows.append({**fields, "at": moment, "hash": digest})
        prev = digest
    entry = sa.table(
        "audit_entry",
        *(
            sa.column(c)
            for c in (
                "seq",
                "at",
                "actor",
                "actor_role",
                "origin",
                "action",
                "subject",
                "before",
                "after",
                "prev_hash",
                "hash",
            )
        ),  # fmt: skip
    )
    for start in range(0, len(rows), 10_000):
        conn.execute(entry.insert(), rows[start : start + 10_000])
    conn.execute(sa.text("UPDATE audit_tip SET seq = :s, hash = :h WHERE id = 1"), {"s": seq, "h": prev})


def downgrade() -> None:
    # Baseline entries stay: the chain is append-only (the triggers refuse a DELETE), and they remain true.
    op.drop_index("ix_audit_head_public_key", table_name="audit_head")
