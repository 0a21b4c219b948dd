"""Walks the chain and names the first entry that does not hold; checks signed heads against it.

Findings are values (`Problem`), not log lines: the CLI prints them, tests assert on them. What each kind
catches, for an attacker who can write the database directly (and drops the triggers first):
- MISSING: an entry deleted from the middle (a gap in `seq`);
- LINK: an entry whose `prev_hash` is not its predecessor's hash (reordered, inserted, or spliced);
- HASH: an entry whose content no longer hashes to its stored hash (edited);
- HEAD_MISMATCH: a re-chained log (every hash recomputed after an edit) no longer ends in a signed head;
- TRUNCATED: entries removed from the end, caught only against a published head;
- BAD_SIGNATURE: a head whose signature fails or whose key is not the trusted one (forged).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from tally.audit.chain import GENESIS, EntryFields, canonical_time, entry_hash
from tally.audit.log import PublishedHead, all_heads
from tally.audit.signing import signature_valid
from tally.db.audit import AuditEntry


class ProblemKind(StrEnum):
    MISSING = "missing"
    LINK = "link"
    HASH = "hash"
    HEAD_MISMATCH = "head_mismatch"
    TRUNCATED = "truncated"
    BAD_SIGNATURE = "bad_signature"


@dataclass(frozen=True, slots=True)
class Problem:
    kind: ProblemKind
    seq: int  # the first entry that does not hold (for a head problem: the head's seq)
    message: str  # in Bahasa Indonesia: officials and saksi read it


@dataclass(frozen=True, slots=True)
class Report:
    entries: int
    last_seq: int
    last_hash: str
    heads_checked: int
    problems: tuple[Problem, ...] = field(default_factory=tuple)

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
) -> Report:
    """Verifies every entry in order, then every head stored in the database and in `extra_heads`."""
    problems: list[Problem] = []
    every_head = [*all_heads(session), *extra_heads]
    heads = _good_heads(every_head, trusted_key, problems)
    expect_seq, prev, count, last_hash = 1, GENESIS, 0, GENESIS
    chain_broken = False
    stmt = select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=batch)
    for entry in session.execute(stmt).scalars():
        count += 1
        if not chain_broken:
            problem = _check(entry, expect_seq, prev)
            if problem is not None:
                problems.append(problem)
                chain_broken = True  # everything after the first break is suspect; name only the first
        for head in heads.pop(entry.seq, []):
            if head.hash != entry.hash:
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
        session.expunge(entry)  # keep memory flat on a national-size log
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
    return Report(count, expect_seq - 1, last_hash, len(every_head), tuple(problems))


def _check(entry: AuditEntry, expect_seq: int, prev: str) -> Problem | None:
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
