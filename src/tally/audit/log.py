"""Appending to the audit log and publishing signed heads — the functions other services call.

`append` runs inside the caller's transaction, so an entry commits (or rolls back) with the change it
records. It first bumps the one-row `audit_tip` with an UPDATE: on PostgreSQL that row lock makes a second
concurrent append wait and then see the new tip (READ COMMITTED re-reads the updated row); on SQLite the
UPDATE takes the single write lock before anything is read. Either way two appends never chain onto the
same predecessor, and the primary key on `seq` would refuse a fork even if they tried.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, text
from sqlalchemy.orm import Session

from tally.audit.chain import EntryFields, canonical_json, canonical_time, entry_hash
from tally.audit.signing import HeadSigner
from tally.db.audit import AuditEntry, AuditHead

SIGN_EVERY = 100  # a head is signed after every this many entries when a signer is passed to `append`


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acted and from where: `name` (username or device id), `role` (kpps, pps, ppk, kpu, system)."""

    name: str
    role: str
    origin: str = ""


@dataclass(frozen=True, slots=True)
class PublishedHead:
    seq: int
    hash: str
    signature: str
    public_key: str
    signed_at: str

    def as_dict(self) -> dict[str, object]:
        return {
            "seq": self.seq,
            "hash": self.hash,
            "signature": self.signature,
            "public_key": self.public_key,
            "signed_at": self.signed_at,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> PublishedHead:
        return cls(
            seq=int(raw["seq"]),
            hash=str(raw["hash"]),
            signature=str(raw["signature"]),
            public_key=str(raw["public_key"]),
            signed_at=str(raw.get("signed_at", "")),
        )


def append(
    session: Session,
    actor: Actor,
    action: str,
    subject: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    *,
    at: datetime | None = None,
    signer: HeadSigner | None = None,
    sign_every: int = SIGN_EVERY,
) -> AuditEntry:
    """Appends one entry to the chain in `session`'s transaction and returns it (not committed)."""
    row = session.execute(
        text("UPDATE audit_tip SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
    ).one_or_none()
    if row is None:
        raise RuntimeError("audit_tip is missing: run `tally db migrate` (revision 0003)")
    seq, prev_hash = int(row[0]), str(row[1])
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    fields = EntryFields(
        seq=seq,
        at=canonical_time(moment),
        actor=actor.name,
        actor_role=actor.role,
        origin=actor.origin,
        action=action,
        subject=subject,
        before=canonical_json(dict(before or {})),
        after=canonical_json(dict(after or {})),
        prev_hash=prev_hash,
    )
    digest = entry_hash(fields)
    entry = AuditEntry(
        seq=seq,
        at=moment,
        actor=fields.actor,
        actor_role=fields.actor_role,
        origin=fields.origin,
        action=action,
        subject=subject,
        before=fields.before,
        after=fields.after,
        prev_hash=prev_hash,
        hash=digest,
    )
    session.add(entry)
    session.execute(text("UPDATE audit_tip SET hash = :h WHERE id = 1"), {"h": digest})
    session.flush()
    if signer is not None and sign_every > 0 and seq % sign_every == 0:
        _store_head(session, signer, seq, digest)
    return entry


Item = tuple[str, str, Mapping[str, Any], Mapping[str, Any]]  # (action, subject, before, after)


def append_rows(conn: Connection, actor: Actor, items: Iterable[Item], *, at: datetime | None = None) -> int:
    """Appends many entries at once (a bulk command: one per TPS it changed) in `conn`'s transaction.

    The tip is locked once (`seq + n`), the hashes chained in Python and the rows inserted in batches, so a
    national `tally reconcile` adds 8 × 10⁵ entries in seconds. Returns how many were appended.
    """
    batch = list(items)
    if not batch:
        return 0
    row = conn.execute(
        text("UPDATE audit_tip SET seq = seq + :n WHERE id = 1 RETURNING seq, hash"), {"n": len(batch)}
    ).one_or_none()
    if row is None:
        raise RuntimeError("audit_tip is missing: run `tally db migrate` (revision 0003)")
    seq, prev = int(row[0]) - len(batch), str(row[1])
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    stamp = canonical_time(moment)
    rows: list[dict[str, object]] = []
    for action, subject, before, after in batch:
        seq += 1
        fields = EntryFields(
            seq, stamp, actor.name, actor.role, actor.origin, action, subject,
            canonical_json(dict(before)), canonical_json(dict(after)), prev,
        )  # fmt: skip
        prev = entry_hash(fields)
        rows.append({
            "seq": seq, "at": moment, "actor": actor.name, "actor_role": actor.role, "origin": actor.origin,
            "action": action, "subject": subject, "before": fields.before, "after": fields.after,
            "prev_hash": fields.prev_hash, "hash": prev,
        })  # fmt: skip
        if len(rows) >= 10_000:
            conn.execute(insert(AuditEntry), rows)
            rows = []
    if rows:
        conn.execute(insert(AuditEntry), rows)
    conn.execute(text("UPDATE audit_tip SET hash = :h WHERE id = 1"), {"h": prev})
    return len(batch)


def sign_head(session: Session, signer: HeadSigner) -> PublishedHead | None:
    """Signs the current end of the chain and stores it as a published head; None for an empty log."""
    last = session.execute(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).scalar_one_or_none()
    if last is None:
        return None
    return _store_head(session, signer, last.seq, last.hash)


def _store_head(session: Session, signer: HeadSigner, seq: int, hash_: str) -> PublishedHead:
    now = datetime.now(UTC)
    head = AuditHead(
        seq=seq,
        hash=hash_,
        signed_at=now,
        signature=signer.sign_head(seq, hash_),
        public_key=signer.public_hex,
    )
    session.add(head)
    session.flush()
    return _published(head)


def latest_head(session: Session) -> PublishedHead | None:
    head = session.execute(
        select(AuditHead).order_by(AuditHead.seq.desc(), AuditHead.id.desc()).limit(1)
    ).scalar_one_or_none()
    return None if head is None else _published(head)


def heads_feed(session: Session, after: int = 0, limit: int = 1000) -> list[tuple[int, PublishedHead]]:
    """Every signed head in the order it was signed (`audit_head.id`), from after `after`: the append-only
    feed a third party keeps; a head once listed never disappears or changes (the table refuses both)."""
    rows = session.execute(
        select(AuditHead).where(AuditHead.id > after).order_by(AuditHead.id).limit(limit)
    ).scalars()
    return [(h.id, _published(h)) for h in rows]


def all_heads(session: Session) -> list[PublishedHead]:
    rows = session.execute(select(AuditHead).order_by(AuditHead.seq, AuditHead.id)).scalars()
    return [_published(h) for h in rows]


def _published(head: AuditHead) -> PublishedHead:
    return PublishedHead(
        seq=head.seq,
        hash=head.hash,
        signature=head.signature,
        public_key=head.public_key,
        signed_at=canonical_time(head.signed_at),
    )


def entries_for(session: Session, subject: str, limit: int = 50) -> list[AuditEntry]:
    """The newest entries about one subject (a TPS page shows its history)."""
    stmt = (
        select(AuditEntry).where(AuditEntry.subject == subject).order_by(AuditEntry.seq.desc()).limit(limit)
    )
    return list(session.execute(stmt).scalars())
