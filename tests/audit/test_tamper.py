"""An attacker with database access drops the triggers and tampers; `verify` names the first bad entry.

Every test runs on SQLite and PostgreSQL (the `db_url` fixture).
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tally.audit import Action, Actor, HeadSigner, ProblemKind, append, latest_head, sign_head, verify_chain
from tally.audit.chain import EntryFields, canonical_time, entry_hash
from tally.db.audit import AuditEntry

KPPS = Actor("device:7f3a", "kpps", "36.68.12.9")


def _log(session: Session, n: int = 10, signer: HeadSigner | None = None) -> None:
    for i in range(1, n + 1):
        append(session, KPPS, Action.READING, f"3173041007{i:03d}", None, {"suara_paslon_1": i * 10})
    if signer is not None:
        sign_head(session, signer)
    session.commit()


def _drop_triggers(session: Session) -> None:
    """What an attacker with DDL rights does first."""
    if session.get_bind().dialect.name == "postgresql":
        for table in ("audit_entry", "audit_head"):
            session.execute(text(f"DROP TRIGGER {table}_no_change ON {table}"))
    else:
        for table in ("audit_entry", "audit_head"):
            session.execute(text(f"DROP TRIGGER {table}_no_update"))
            session.execute(text(f"DROP TRIGGER {table}_no_delete"))
    session.commit()


def test_edited_entry_is_named(session: Session) -> None:
    _log(session)
    _drop_triggers(session)
    session.execute(text("UPDATE audit_entry SET after = :v WHERE seq = 4"), {"v": '{"suara_paslon_1":700}'})
    session.commit()
    first = verify_chain(session).first
    assert first is not None and (first.seq, first.kind) == (4, ProblemKind.HASH)
    assert "#4" in first.message


def test_edited_actor_or_time_is_named(session: Session) -> None:
    _log(session)
    _drop_triggers(session)
    session.execute(text("UPDATE audit_entry SET actor = 'pps.lain' WHERE seq = 7"))
    session.commit()
    first = verify_chain(session).first
    assert first is not None and (first.seq, first.kind) == (7, ProblemKind.HASH)


def test_deleted_entry_is_named(session: Session) -> None:
    _log(session)
    _drop_triggers(session)
    session.execute(text("DELETE FROM audit_entry WHERE seq = 5"))
    session.commit()
    first = verify_chain(session).first
    assert first is not None and (first.seq, first.kind) == (5, ProblemKind.MISSING)


def test_reordered_entries_are_named(session: Session) -> None:
    _log(session)
    _drop_triggers(session)
    # Swap entries 3 and 6 by renumbering through a free seq.
    session.execute(text("UPDATE audit_entry SET seq = 1000 WHERE seq = 3"))
    session.execute(text("UPDATE audit_entry SET seq = 3 WHERE seq = 6"))
    session.execute(text("UPDATE audit_entry SET seq = 6 WHERE seq = 1000"))
    session.commit()
    first = verify_chain(session).first
    assert first is not None and (first.seq, first.kind) == (3, ProblemKind.LINK)


def test_truncation_passes_alone_but_is_caught_against_a_signed_head(session: Session) -> None:
    signer = HeadSigner.generate()
    _log(session, 10, signer)
    _drop_triggers(session)
    session.execute(text("DELETE FROM audit_entry WHERE seq > 7"))
    session.commit()
    report = verify_chain(session, trusted_key=signer.public_hex)
    first = report.first
    assert first is not None and (first.seq, first.kind) == (8, ProblemKind.TRUNCATED)


def test_truncation_with_heads_deleted_is_caught_by_a_published_head_file(session: Session) -> None:
    signer = HeadSigner.generate()
    _log(session, 10, signer)
    published = latest_head(session)
    assert published is not None
    _drop_triggers(session)
    session.execute(text("DELETE FROM audit_head"))
    session.execute(text("DELETE FROM audit_entry WHERE seq > 6"))
    session.commit()
    # Without the published copy a clean truncation cannot be seen: that is why heads are published.
    assert verify_chain(session).ok
    first = verify_chain(session, extra_heads=[published], trusted_key=signer.public_hex).first
    assert first is not None and (first.seq, first.kind) == (7, ProblemKind.TRUNCATED)


def test_rechained_log_is_caught_by_the_signed_head(session: Session) -> None:
    signer = HeadSigner.generate()
    _log(session, 10, signer)
    _drop_triggers(session)
    # The careful attacker edits entry 4 and recomputes every hash after it.
    session.execute(text("UPDATE audit_entry SET after = :v WHERE seq = 4"), {"v": '{"suara_paslon_1":700}'})
    prev = session.execute(select(AuditEntry.hash).where(AuditEntry.seq == 3)).scalar_one()
    for entry in session.execute(
        select(AuditEntry).where(AuditEntry.seq >= 4).order_by(AuditEntry.seq)
    ).scalars():
        fields = EntryFields(
            entry.seq,
            canonical_time(entry.at),
            entry.actor,
            entry.actor_role,
            entry.origin,
            entry.action,
            entry.subject,
            entry.before,
            entry.after,
            prev,
        )
        entry.prev_hash, entry.hash = prev, entry_hash(fields)
        prev = entry.hash
    session.commit()
    session.expire_all()
    report = verify_chain(session, trusted_key=signer.public_hex)
    assert [p.kind for p in report.problems] == [ProblemKind.HEAD_MISMATCH]
    assert report.problems[0].seq == 10


def test_forged_head_signature_is_rejected(session: Session) -> None:
    signer = HeadSigner.generate()
    _log(session, 10, signer)
    real = latest_head(session)
    assert real is not None
    forged = replace(real, seq=12, hash="ab" * 32)  # claims a longer chain with the old signature
    report = verify_chain(session, extra_heads=[forged], trusted_key=signer.public_hex)
    assert [p.kind for p in report.problems] == [ProblemKind.BAD_SIGNATURE]


def test_head_signed_by_another_key_is_rejected(session: Session) -> None:
    signer, attacker = HeadSigner.generate(), HeadSigner.generate()
    _log(session, 4, signer)
    head = latest_head(session)
    assert head is not None
    fake = replace(head, signature=attacker.sign_head(head.seq, head.hash), public_key=attacker.public_hex)
    report = verify_chain(session, extra_heads=[fake], trusted_key=signer.public_hex)
    assert [p.kind for p in report.problems] == [ProblemKind.BAD_SIGNATURE]
    assert verify_chain(session, trusted_key=signer.public_hex).ok
