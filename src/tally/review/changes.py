"""Decisions about one field of one TPS: a KPPS proposes, a PPS confirms or corrects, another approves.

The rule of two (the "second pair of eyes"): a value changes only when two different officers agree on it —
the one who proposed or typed it, and an approver (PPS or PPK) whose region covers the TPS. A KPPS proposal
is approved by their PPS; a PPS correction by another PPS (or the PPK). Typing the value someone else already
proposed is that approval. A confirmation (the number read is right) applies at once: nothing changes.
Every step is one audit entry in the same transaction as the change it records.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from reconcile.contest import Contest
from reconcile.rules import describe
from tally.audit import Action, Actor, append
from tally.audit.replay import results_json
from tally.auth.codes import require_independent
from tally.auth.scope import Principal, Role
from tally.db.locks import lock_kelurahan
from tally.db.review import ReviewChangeRow
from tally.election.rejudge import rejudge
from tally.errors import Conflict, Forbidden, NotFound, Unprocessable
from tally.review.sheets import current, write_correction

REJECTION = Action.REJECTION
APPROVERS = (Role.PPS, Role.PPK)
MAX_VALUE = 999  # three digit boxes


class Kind(StrEnum):
    PROPOSAL = "proposal"  # a KPPS says the number read is wrong and what it should be
    CONFIRM = "confirm"  # a PPS says the number read is right
    CORRECTION = "correction"  # a PPS types another number


class State(StrEnum):
    PENDING = "pending"
    APPLIED = "applied"
    REJECTED = "rejected"


def _now() -> datetime:
    return datetime.now(UTC)


def _check_value(contest: Contest, field: str, value: int) -> None:
    if field not in {f.name for f in contest.fields}:
        raise Unprocessable("unknown_field", f"Kolom {field!r} tidak ada di formulir ini.")
    if not 0 <= value <= MAX_VALUE:
        raise Unprocessable("bad_value", f"Angka harus 0 sampai {MAX_VALUE} (tiga kotak).")


def pending_for(session: Session, tps: str, field: str | None = None) -> list[ReviewChangeRow]:
    stmt = select(ReviewChangeRow).where(
        ReviewChangeRow.tps_id == tps, ReviewChangeRow.state == State.PENDING.value
    )
    if field is not None:
        stmt = stmt.where(ReviewChangeRow.field == field)
    return list(session.scalars(stmt.order_by(ReviewChangeRow.id)))


def propose(
    session: Session,
    contest: Contest,
    who: Principal,
    actor: Actor,
    tps: str,
    field: str,
    value: int,
    reason: str = "",
) -> ReviewChangeRow:
    """A KPPS officer proposes the right number for a field of their own TPS; their PPS approves it."""
    require_role(who, tps, (Role.KPPS,), "Usulan koreksi diajukan oleh KPPS TPS itu sendiri.")
    _check_value(contest, field, value)
    if "\x00" in reason:  # PostgreSQL text cannot hold NUL
        raise Unprocessable(
            "bad_text", "Alasan berisi karakter yang tidak dapat disimpan. Ketik ulang alasannya."
        )
    before = current(session, contest, tps).values.get(field)
    if before == value:
        raise Unprocessable(
            "same_value", "Angka usulan sama dengan angka yang terbaca; tidak ada yang diubah."
        )
    row = _add(session, contest, tps, field, before, value, Kind.PROPOSAL, reason, who)
    append(session, actor, Action.PROPOSAL, tps, {"field": field, "value": before}, _after(row))
    return row


def check(
    session: Session, contest: Contest, who: Principal, actor: Actor, tps: str, field: str, value: int
) -> ReviewChangeRow:
    """A PPS officer types the number they see on the photo: a confirmation, a correction, or an approval."""
    _require_approver(who, tps)
    _check_value(contest, field, value)
    lock_kelurahan(session, tps)  # before the current value is read (tally.db.locks)
    before = current(session, contest, tps).values.get(field)
    if before == value:
        row = _add(session, contest, tps, field, before, value, Kind.CONFIRM, "", who)
        _apply(session, contest, row, who, actor)
        return row
    agreeing = [
        c for c in pending_for(session, tps, field) if c.after == value and c.proposed_by != who.subject
    ]
    if agreeing:  # someone else already asked for this number: typing it is the second pair of eyes
        return decide(session, contest, who, actor, agreeing[0].id, approve=True)
    row = _add(session, contest, tps, field, before, value, Kind.CORRECTION, "", who)
    append(session, actor, Action.CORRECTION, tps, {"field": field, "value": before}, _after(row))
    return row


def decide(
    session: Session,
    contest: Contest,
    who: Principal,
    actor: Actor,
    change_id: int,
    *,
    approve: bool,
    reason: str = "",
) -> ReviewChangeRow:
    """Approve (apply) or reject a pending change; never the approver's own. A rejection says why."""
    if who.role not in APPROVERS:  # before anything is looked up: a KPPS learns nothing of others' changes
        raise Forbidden("role", "Perubahan diputuskan oleh PPS atau PPK.")
    tps = session.scalar(select(ReviewChangeRow.tps_id).where(ReviewChangeRow.id == change_id))
    if tps is not None:
        lock_kelurahan(session, tps)  # the kelurahan's lock before the change's row lock (tally.db.locks)
    row = session.get(ReviewChangeRow, change_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise NotFound("unknown_change", "Perubahan ini tidak ditemukan.")
    _require_approver(who, row.tps_id)
    if row.state != State.PENDING.value:
        raise Conflict("already_decided", "Perubahan ini sudah diputuskan petugas lain.")
    if row.proposed_by == who.subject:
        raise Forbidden(
            "own_change", "Perubahan Anda sendiri harus disetujui petugas lain (dua pasang mata)."
        )
    if not approve:
        reason = " ".join(reason.split())[:300]
        if not reason or "\x00" in reason:
            raise Unprocessable("no_reason", "Tulis alasan penolakan agar petugas lain tahu mengapa.")
        _claim(session, row, State.REJECTED, who)
        after = {"change": row.id, "state": row.state, "reason": reason}
        append(session, actor, REJECTION, row.tps_id, _after(row), after)
        return row
    _apply(session, contest, row, who, actor)
    return row


def _apply(session: Session, contest: Contest, row: ReviewChangeRow, who: Principal, actor: Actor) -> None:
    if row.kind != Kind.CONFIRM.value:  # a changed value: the issuer of this TPS's codes is not the second
        require_independent(session, who, row.tps_id)
    _claim(session, row, State.APPLIED, who)
    row.sheet_id = write_correction(session, contest, row.tps_id, {row.field: row.after})
    session.flush()
    changes = rejudge(session, contest, row.tps_id)
    after = _after(row) | {"results": results_json(changes)}  # the counted values it set (tally.audit.replay)
    append(session, actor, Action.APPROVAL, row.tps_id, {"field": row.field, "value": row.before}, after)


def _claim(session: Session, row: ReviewChangeRow, state: State, who: Principal) -> None:
    """Move a pending change to `state`, or refuse: one decision per change on both engines under
    concurrency (the UPDATE's condition is re-checked under PostgreSQL's row lock and SQLite's write lock;
    the row count says who won). Only the winner goes on to write a correction sheet or an audit entry."""
    at = _now()
    won = session.execute(
        update(ReviewChangeRow)
        .where(ReviewChangeRow.id == row.id, ReviewChangeRow.state == State.PENDING.value)
        .values(state=state.value, decided_by=who.subject, decided_at=at)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("already_decided", "Perubahan ini sudah diputuskan petugas lain.")
    for name, value in (("state", state.value), ("decided_by", who.subject), ("decided_at", at)):
        set_committed_value(row, name, value)


def require_role(who: Principal, tps: str, roles: tuple[Role, ...], refusal: str) -> None:
    """`who` holds one of `roles` (else 403 with `refusal`, Bahasa) and their region covers `tps`."""
    if who.role not in roles:
        raise Forbidden("role", refusal)
    if not who.covers_tps(tps):  # type: ignore[arg-type]
        raise Forbidden("out_of_scope", "TPS ini di luar wilayah Anda.")


def _require_approver(who: Principal, tps: str) -> None:
    require_role(who, tps, APPROVERS, "Hanya PPS (atau PPK) yang memeriksa dan menyetujui angka.")


def _add(
    session: Session,
    contest: Contest,
    tps: str,
    field: str,
    before: int | None,
    after: int,
    kind: Kind,
    reason: str,
    who: Principal,
) -> ReviewChangeRow:
    row = ReviewChangeRow(
        contest_id=contest.id,
        tps_id=tps,
        field=field,
        before=before,
        after=after,
        kind=kind.value,
        reason=reason[:500],
        proposed_by=who.subject,
        proposed_role=who.role.value,
        created_at=_now(),
        state=State.PENDING.value,
    )
    session.add(row)
    session.flush()
    return row


def _after(row: ReviewChangeRow) -> dict[str, object]:
    return {
        "change": row.id,
        "kind": row.kind,
        "field": row.field,
        "label": describe((row.field,)),
        "value": row.after,
        "by": row.proposed_by,
        "state": row.state,
        "sheet": row.sheet_id,
    }
