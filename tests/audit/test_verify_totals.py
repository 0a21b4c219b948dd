"""`tally audit verify` with the operator's key pinned from configuration (TALLY_AUDIT_PUBLIC_KEY) catches
every tampering of issue 14 #5 and #6: a vote or a region total edited in place, an entry deleted, a log
re-chained and re-signed (with a new key, or with the key beside the database), a truncation, and an entry
appended after the newest signed head. Through the real CLI (typer's CliRunner), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from sqlalchemy import Engine, select, text
from typer.testing import CliRunner

from support.audit_events import PPWP, last_seq, stored_election
from tally.audit import Action, Actor, HeadSigner, append, sign_head
from tally.audit.chain import EntryFields, canonical_time, entry_hash
from tally.audit.log import heads_feed
from tally.audit.signing import KEY_FILE
from tally.cli.audit import register
from tally.db.audit import AuditEntry
from tally.db.base import session_factory
from tally.db.results import TpsResultRow

DESA_KEY = "3277011001"
AREAS = [(0, ""), (1, "32"), (2, "3277"), (3, "327701"), (4, DESA_KEY)]


def _cli() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


class Operator:
    """A stored election, the operator's key in DATA_DIR and its public half pinned in the environment."""

    def __init__(self, engine: Engine, db_url: str, tmp_path: Path) -> None:
        self.engine, self.tmp = engine, tmp_path
        data = tmp_path / "var"
        self.signer = HeadSigner.from_file(data / KEY_FILE)
        self.env = {
            "TALLY_DATABASE_URL": db_url,
            "TALLY_DATA_DIR": str(data),
            "TALLY_AUDIT_PUBLIC_KEY": self.signer.public_hex,
        }
        stored_election(engine)
        self.run("sign-head")

    def run(self, *args: str) -> tuple[int, str]:
        result = CliRunner().invoke(_cli(), ["audit", *args], env=self.env)
        return result.exit_code, result.output

    def verify(self, *args: str) -> tuple[int, str]:
        return self.run("verify", *args)

    def keep_feed(self) -> Path:
        """What an observer keeps: every head of the feed (as GET /api/v1/audit/heads serves it)."""
        with session_factory(self.engine)() as s:
            feed = {"heads": [{"id": i, **h.as_dict()} for i, h in heads_feed(s)]}
        path = self.tmp / "feed.json"
        path.write_text(json.dumps(feed), "utf-8")
        return path

    def sql(self, *statements: str) -> None:
        with self.engine.begin() as conn:
            for q in statements:
                conn.execute(text(q))

    def drop_triggers(self) -> None:
        with self.engine.begin() as conn:
            for table in ("audit_entry", "audit_head"):
                if conn.dialect.name == "postgresql":
                    conn.execute(text(f"DROP TRIGGER {table}_no_change ON {table}"))
                else:
                    conn.execute(text(f"DROP TRIGGER {table}_no_update"))
                    conn.execute(text(f"DROP TRIGGER {table}_no_delete"))

    def counted_tps(self) -> str:
        with self.engine.connect() as conn:
            return str(
                conn.scalar(
                    select(TpsResultRow.tps_id).where(TpsResultRow.counted == 1).order_by(TpsResultRow.tps_id)
                )
            )


@pytest.fixture
def op(engine: Engine, db_url: str, tmp_path: Path) -> Operator:
    return Operator(engine, db_url, tmp_path)


def _areas(column: str, table: str, plus: int, extra: str = "") -> list[str]:
    return [
        f"UPDATE {table} SET {column} = {column} + {plus} WHERE contest_id = '{PPWP.id}' "
        f"AND level = {lvl} AND area = '{area}'{extra}"
        for lvl, area in AREAS
    ]


def test_a_clean_election_verifies_with_the_pinned_key(op: Operator) -> None:
    code, out = op.verify()
    assert code == 0, out
    assert out.startswith("OK:") and "tabel cocok" in out


def test_a_vote_moved_with_its_region_rows_is_named_by_tps(op: Operator) -> None:
    tps = op.counted_tps()
    op.sql(
        f"UPDATE tps_vote SET votes = votes + 100 WHERE tps_id = '{tps}' AND paslon = 1",
        *_areas("votes", "region_vote", 100, " AND paslon = 1"),
    )
    code, out = op.verify()
    assert code == 1
    assert out.startswith(f"RUSAK: TPS {tps}"), out


def test_a_region_total_edited_at_every_level_is_named_at_the_desa(op: Operator) -> None:
    op.sql(*_areas("suara_sah", "region_total", 100))
    code, out = op.verify()
    assert code == 1
    assert "total kelurahan/desa 32.77.01.1001" in out and "suara_sah" in out, out


def test_a_deleted_entry_is_named(op: Operator) -> None:
    op.drop_triggers()
    op.sql("DELETE FROM audit_entry WHERE seq = 5")
    code, out = op.verify()
    assert code == 1 and "entri pertama yang bermasalah #5" in out and "dihapus" in out, out


def _rechain(op: Operator, tps: str, plus: int) -> None:
    """The careful attacker: moves a vote in the tables AND in the entry that set it, recomputes every hash
    from there on, and removes the heads that no longer match."""
    op.drop_triggers()
    op.sql(
        f"UPDATE tps_vote SET votes = votes + {plus} WHERE tps_id = '{tps}' AND paslon = 1",
        *_areas("votes", "region_vote", plus, " AND paslon = 1"),
        "DELETE FROM audit_head",
    )
    with session_factory(op.engine)() as s:
        rows = list(s.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars())
        first = next(e for e in rows if e.subject == tps and '"results"' in e.after)
        after = json.loads(first.after)
        after["results"][0]["result"]["votes"]["1"] += plus
        first.after = json.dumps(after, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        prev = next((e.hash for e in rows if e.seq == first.seq - 1), "0" * 64)
        for e in rows[rows.index(first) :]:
            fields = EntryFields(
                e.seq, canonical_time(e.at), e.actor, e.actor_role, e.origin, e.action, e.subject,
                e.before, e.after, prev,
            )  # fmt: skip
            e.prev_hash, e.hash = prev, entry_hash(fields)
            prev = e.hash
        s.execute(text("UPDATE audit_tip SET hash = :h"), {"h": prev})
        s.commit()


def test_a_rechained_log_signed_with_a_new_key_fails_against_the_pinned_key(op: Operator) -> None:
    tps = op.counted_tps()
    _rechain(op, tps, 100)
    attacker = op.tmp / "var" / KEY_FILE
    attacker.unlink()  # a new key beside the database, as the attacker leaves it
    op.env["TALLY_AUDIT_PUBLIC_KEY"] = HeadSigner.from_file(attacker).public_hex
    assert op.run("sign-head")[0] == 0
    assert op.verify()[0] == 0  # the attacker's own key would vouch for it …
    op.env["TALLY_AUDIT_PUBLIC_KEY"] = op.signer.public_hex  # … the operator's pinned key does not
    code, out = op.verify()
    assert code == 1
    assert "tidak dipercaya" in out and "#1–" in out, out  # the new head is refused: nothing is signed


def test_a_rechained_log_resigned_with_the_key_beside_the_database_fails_against_a_kept_head(
    op: Operator,
) -> None:
    feed = op.keep_feed()  # an observer kept the heads published so far
    _rechain(op, op.counted_tps(), 100)
    assert op.run("sign-head")[0] == 0  # the operator's own key, read from beside the database
    assert op.verify()[0] == 0  # the database alone no longer shows it …
    code, out = op.verify("--head", str(feed))  # … the head the observer kept does
    assert code == 1 and "tidak sama dengan kepala rantai yang ditandatangani" in out, out


def test_a_truncated_log_is_caught_by_its_head_and_by_a_kept_head_once_heads_are_deleted(
    op: Operator,
) -> None:
    feed = op.keep_feed()
    with op.engine.connect() as conn:
        n = last_seq(conn)
    op.drop_triggers()
    op.sql(f"DELETE FROM audit_entry WHERE seq > {n - 3}")
    code, out = op.verify()
    assert code == 1 and f"#{n - 2}" in out and "terpotong" in out, out
    op.sql("DELETE FROM audit_head")
    code, out = op.verify("--head", str(feed))
    assert code == 1 and "terpotong" in out, out


def test_an_entry_appended_after_the_newest_head_is_reported_even_with_head(op: Operator) -> None:
    feed = op.keep_feed()
    with op.engine.connect() as conn:
        n = last_seq(conn)
    with session_factory(op.engine)() as s:  # a chain-valid entry, as someone writing the database adds it
        append(s, Actor("pps.x", "pps"), Action.RECAP, "32.77", None, {"suara_sah": 1})
        s.commit()
    code, out = op.verify("--head", str(feed))
    assert code == 1 and f"entri #{n + 1}–#{n + 1} ada sesudah kepala rantai terakhir" in out, out
    with session_factory(op.engine)() as s:
        sign_head(s, op.signer)
        s.commit()
    assert op.verify("--head", str(feed))[0] == 0  # once the operator signs and publishes, it holds


def test_verify_refuses_to_run_without_a_pinned_key_even_with_the_key_file_present(op: Operator) -> None:
    del op.env["TALLY_AUDIT_PUBLIC_KEY"]
    code, out = op.verify()
    assert code == 2 and "TALLY_AUDIT_PUBLIC_KEY" in out
    code, out = op.verify("--public-key", op.signer.public_hex)
    assert code == 0, out


def test_sign_head_refuses_a_key_that_is_not_the_pinned_one(op: Operator) -> None:
    op.env["TALLY_AUDIT_PUBLIC_KEY"] = HeadSigner.generate().public_hex
    code, out = op.run("sign-head")
    assert code == 2 and "bukan kunci operator" in out
