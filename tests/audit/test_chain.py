"""The chain grows, links and verifies; concurrent appends never fork it; the triggers refuse changes."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tally.audit import GENESIS, Action, Actor, HeadSigner, append, latest_head, sign_head, verify_chain
from tally.db.audit import AuditEntry
from tally.db.base import session_factory

PPS = Actor("pps.3173041007", "pps", "10.0.0.7")


def _fill(session: Session, n: int, signer: HeadSigner | None = None, every: int = 100) -> None:
    for i in range(n):
        append(
            session,
            PPS,
            Action.CORRECTION,
            "3173041007005",
            {"suara_paslon_1": 748 + i},
            {"suara_paslon_1": 74 + i},
            signer=signer,
            sign_every=every,
        )
    session.commit()


def test_entries_link_each_to_the_previous_and_verify(session: Session) -> None:
    _fill(session, 5)
    rows = list(session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars())
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:], strict=False))
    report = verify_chain(session)
    assert report.ok, report.problems
    assert (report.entries, report.last_seq, report.last_hash) == (5, 5, rows[-1].hash)


def test_entry_records_who_where_before_and_after(session: Session) -> None:
    entry = append(session, PPS, Action.CORRECTION, "3173041007005", {"a": 748}, {"a": 74})
    session.commit()
    assert (entry.actor, entry.actor_role, entry.origin) == ("pps.3173041007", "pps", "10.0.0.7")
    assert (entry.before, entry.after) == ('{"a":748}', '{"a":74}')


def test_a_head_is_signed_after_every_n_entries(session: Session) -> None:
    signer = HeadSigner.generate()
    _fill(session, 7, signer=signer, every=3)
    head = latest_head(session)
    assert head is not None and head.seq == 6
    sign_head(session, signer)
    session.commit()
    head = latest_head(session)
    assert head is not None and head.seq == 7 and head.public_key == signer.public_hex
    assert verify_chain(session, trusted_key=signer.public_hex).ok


@pytest.mark.parametrize("verb", ["UPDATE audit_entry SET actor = 'x'", "DELETE FROM audit_entry"])
def test_database_refuses_update_and_delete_of_entries(session: Session, verb: str) -> None:
    _fill(session, 2)
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text(f"{verb} WHERE seq = 1"))
    session.rollback()
    assert verify_chain(session).ok


def test_database_refuses_changes_to_signed_heads(session: Session) -> None:
    _fill(session, 2)
    sign_head(session, HeadSigner.generate())
    session.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text("UPDATE audit_head SET seq = 1"))
    session.rollback()
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text("DELETE FROM audit_head"))
    session.rollback()


def test_database_refuses_emptying_the_log(session: Session) -> None:
    """TRUNCATE on PostgreSQL; on SQLite an unqualified DELETE (its truncate optimisation) is refused too."""
    _fill(session, 1)
    pg = session.get_bind().dialect.name == "postgresql"
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text("TRUNCATE audit_entry" if pg else "DELETE FROM audit_entry"))
    session.rollback()
    assert verify_chain(session).entries == 1


def test_concurrent_appends_do_not_fork_the_chain(engine: Engine) -> None:
    make = session_factory(engine)
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for i in range(15):
                with make() as s:
                    append(s, Actor(f"w{k}", "system"), Action.READING, f"tps{k}", None, {"i": i})
                    s.commit()
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with make() as s:
        assert s.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == 60
        report = verify_chain(s)
    assert report.ok, report.problems
    assert report.last_seq == 60
