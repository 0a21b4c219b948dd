"""Walks the chain and names the first entry that does not hold; checks signed heads against it.

Findings are values (`Problem`), not log lines: the CLI prints them, tests assert on them. What each kind
catches, for an attacker who can write the database directly (and drops the triggers first):
- MISSING: an entry deleted from the middle (a gap in `seq`);
- LINK: an entry whose `prev_hash` is not its predecessor's hash (reordered, inserted, or spliced);
- HASH: an entry whose content no longer hashes to its stored hash (edited);
- HEAD_MISMATCH: a re-chained log (every hash recomputed after an edit) no longer ends in a signed head;
- TRUNCATED: entries removed from the end, caught only against a published head;
- BAD_SIGNATURE: a head whose signature fails or whose key is not the trusted one (forged);
- UNSIGNED: entries after the newest head signed by the trusted key (appended after the last publication);
- TPS_MISMATCH / REGION_MISMATCH: the counted tables differ from the replay of the chain (`replay.py`,
  `tables.py`): a vote or a total edited in place, however carefully the levels above were kept in step.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tally.audit.chain import GENESIS, EntryFields, canonical_time, entry_hash
from tally.audit.log import PublishedHead, all_heads
from tally.audit.replay import Projection
from tally.audit.signing import signature_valid
from tally.audit.tables import first_region_difference, first_tps_difference
from tally.db.audit import AuditEntry

_ENTRY_COLS = (
    AuditEntry.seq, AuditEntry.at, AuditEntry.actor, AuditEntry.actor_role, AuditEntry.origin,
    AuditEntry.action, AuditEntry.subject, AuditEntry.before, AuditEntry.after, AuditEntry.prev_hash,
    AuditEntry.hash,
)  # fmt: skip


class ProblemKind(StrEnum):
    MISSING = "missing"
    LINK = "link"
    HASH = "hash"
    HEAD_MISMATCH = "head_mismatch"
    TRUNCATED = "truncated"
    BAD_SIGNATURE = "bad_signature"
    UNSIGNED = "unsigned"
    TPS_MISMATCH = "tps_mismatch"
    REGION_MISMATCH = "region_mismatch"


CHAIN_KINDS = frozenset(
    {
        ProblemKind.MISSING,
        ProblemKind.LINK,
        ProblemKind.HASH,
        ProblemKind.HEAD_MISMATCH,
        ProblemKind.TRUNCATED,
    }
)


@dataclass(frozen=True, slots=True)
class Problem:
    kind: ProblemKind
    seq: int  # the first entry that does not hold (for a head problem: the head's seq)
    message: str  # in Bahasa Indonesia: officials and saksi read it
    subject: str = ""  # for a table problem: the TPS id or region code that differs


@dataclass(frozen=True, slots=True)
class Report:
    entries: int
    last_seq: int
    last_hash: str
    heads_checked: int
    problems: tuple[Problem, ...] = field(default_factory=tuple)
    signed_through: int = 0  # the newest entry covered by a head signed with the trusted key
    replayed: int = 0  # TPS results set or removed by the entries (0 when not replayed)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        """The earliest problem in the chain (by seq); a forged head counts at its own seq."""
        return min(self.problems, key=lambda p: p.seq) if self.problems else None


def verify_chain(
    session: Session,
    extra_heads: Iterable[PublishedHead] = (),
    trusted_key: str | None = None,
    batch: int = 5000,
    *,
    replay: bool = True,
    require_signed: bool = False,
) -> Report:
    """Verifies every entry in order, then every head stored in the database and in `extra_heads`.

    With `replay`, the entries are replayed (`tally.audit.replay`) and every TPS result and region total
    compared with the tables. With `require_signed`, entries after the newest head signed by `trusted_key`
    are a problem (UNSIGNED): nothing proves they were there when the operator last published. Without a
    `trusted_key` a head is checked against its own key only: callers that face an attacker pin one
    (`tally audit verify` takes it from `TALLY_AUDIT_PUBLIC_KEY`).
    """
    problems: list[Problem] = []
    every_head = [*all_heads(session), *extra_heads]
    heads = _good_heads(every_head, trusted_key, problems)
    expect_seq, prev, count, last_hash = 1, GENESIS, 0, GENESIS
    chain_broken = False
    signed_through = 0
    projection = Projection()
    stmt = select(*_ENTRY_COLS).order_by(AuditEntry.seq).execution_options(yield_per=batch)
    for entry in session.execute(stmt):
        count += 1
        if not chain_broken:
            problem = _check(entry, expect_seq, prev)
            if problem is not None:
                problems.append(problem)
                chain_broken = True  # everything after the first break is suspect; name only the first
        if replay:
            projection.apply(entry.seq, entry.after)
        for head in heads.pop(entry.seq, []):
            if head.hash == entry.hash:
                signed_through = max(signed_through, entry.seq)
            else:
                problems.append(
                    Problem(
                        ProblemKind.HEAD_MISMATCH,
                        head.seq,
                        f"entri #{head.seq} tidak sama dengan kepala rantai yang ditandatangani "
                        f"(hash {entry.hash[:12]}… ≠ {head.hash[:12]}…): "
                        "log diubah pada atau sebelum entri ini",
                    )
                )
        expect_seq, prev, last_hash = entry.seq + 1, entry.hash, entry.hash
    for seq in sorted(heads):
        problems.append(
            Problem(
                ProblemKind.TRUNCATED,
                expect_seq,
                f"log terpotong: berakhir di entri #{expect_seq - 1}, tetapi kepala rantai yang "
                f"ditandatangani menyebut entri #{seq}; entri #{expect_seq} dan sesudahnya hilang",
            )
        )
        break
    last = expect_seq - 1
    if require_signed and last > signed_through and not heads:
        problems.append(_unsigned(signed_through, last))
    if replay:
        problems.extend(_tables(session, projection, last))
    return Report(
        count, last, last_hash, len(every_head), tuple(problems), signed_through, projection.changes
    )


def _unsigned(signed_through: int, last: int) -> Problem:
    where = (
        f"kepala rantai terakhir yang ditandatangani (#{signed_through})"
        if signed_through
        else ("kepala rantai mana pun yang ditandatangani kunci yang dipercaya")
    )
    return Problem(
        ProblemKind.UNSIGNED,
        signed_through + 1,
        f"entri #{signed_through + 1}–#{last} ada sesudah {where}: tidak terbukti ada saat kepala terakhir "
        "diterbitkan (entri disisipkan di ujung?). Jika sah, tandatangani kepala baru (tally audit "
        "sign-head), terbitkan, lalu periksa lagi",
    )


def _tables(session: Session, projection: Projection, last: int) -> list[Problem]:
    """The counted tables against the replay; a difference not set by any entry is placed after the end."""
    conn = session.connection()
    out = []
    tps = first_tps_difference(conn, projection)
    if tps is not None:
        out.append(Problem(ProblemKind.TPS_MISMATCH, tps.seq or last + 1, tps.message, tps.subject))
    region = first_region_difference(conn, projection)
    if region is not None:
        out.append(Problem(ProblemKind.REGION_MISMATCH, last + 1, region.message, region.subject))
    return out


def _check(entry: Any, expect_seq: int, prev: str) -> Problem | None:
    if entry.seq != expect_seq:
        return Problem(
            ProblemKind.MISSING,
            expect_seq,
            f"entri #{expect_seq} hilang (setelah #{expect_seq - 1} langsung #{entry.seq}): entri dihapus",
        )
    if entry.prev_hash != prev:
        return Problem(
            ProblemKind.LINK,
            entry.seq,
            f"entri #{entry.seq} tidak menyambung ke entri sebelumnya (prev_hash salah): "
            "urutan diubah atau entri disisipkan",
        )
    fields = EntryFields(
        seq=entry.seq,
        at=canonical_time(entry.at),
        actor=entry.actor,
        actor_role=entry.actor_role,
        origin=entry.origin,
        action=entry.action,
        subject=entry.subject,
        before=entry.before,
        after=entry.after,
        prev_hash=entry.prev_hash,
    )
    if entry_hash(fields) != entry.hash:
        return Problem(
            ProblemKind.HASH, entry.seq, f"entri #{entry.seq} diubah: isinya tidak cocok dengan hash-nya"
        )
    return None


def _good_heads(
    heads: list[PublishedHead], trusted_key: str | None, problems: list[Problem]
) -> dict[int, list[PublishedHead]]:
    """Heads whose signature holds (and whose key is the trusted one), by seq; the rest become problems."""
    good: dict[int, list[PublishedHead]] = {}
    for head in heads:
        if trusted_key is not None and head.public_key != trusted_key:
            problems.append(
                Problem(
                    ProblemKind.BAD_SIGNATURE,
                    head.seq,
                    f"kepala rantai #{head.seq} ditandatangani dengan kunci yang tidak dipercaya",
                )
            )
        elif not signature_valid(head.public_key, head.seq, head.hash, head.signature):
            problems.append(
                Problem(
                    ProblemKind.BAD_SIGNATURE,
                    head.seq,
                    f"tanda tangan kepala rantai #{head.seq} tidak sah: kepala ini dipalsukan",
                )
            )
        else:
            good.setdefault(head.seq, []).append(head)
    return good
