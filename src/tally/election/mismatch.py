"""A keyed recap (D.Hasil) against the stored totals: `reconcile.recap`'s one RECAP_MISMATCH rule, with each
difference followed down the tree to the TPS that explain it.

At each level the children that can hold the difference are `reconcile.recap.suspects` (their own keyed recap
differs, they are not fully counted when the keyed number is higher, or their number equals the difference);
the walk follows at most `MAX_BRANCH` of them per level until it reaches TPS. The comparison over every field
is `tally.election.dhasil`; keying a recap (`tally.review.keying`) and `tally reconcile` (`run.py`) store the
same flags through `store_flags`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, delete

from reconcile.contest import Contest
from reconcile.flags import Flag, Rule
from reconcile.ids import RegionCode, undotted
from reconcile.recap import RecapMismatch
from tally.db.flags import FlagRow
from tally.election.flagstore import add_flags

MAX_BRANCH = 3  # children followed per level: enough to point at the cause, bounded on a big region


@dataclass(frozen=True, slots=True)
class Step:
    code: str  # dotted region code or TPS id
    name: str
    is_tps: bool
    value: int
    note: str  # why this child explains the difference, in Bahasa Indonesia


@dataclass(frozen=True, slots=True)
class Mismatch:
    field: str
    label: str
    keyed: int
    computed: int
    trail: tuple[Step, ...]
    flag_hint: str

    @property
    def diff(self) -> int:
        return self.keyed - self.computed


def store_flags(
    conn: Connection, contest: Contest, region: RegionCode, found: Sequence[Mismatch]
) -> list[Flag]:
    """Replace the RECAP_MISMATCH flags of `region` with those of `found`; returns them."""
    conn.execute(
        delete(FlagRow).where(
            FlagRow.contest_id == contest.id,
            FlagRow.area == undotted(region),
            FlagRow.rule == Rule.RECAP_MISMATCH.value,
        )
    )
    flags = [_as_rule(region, m).flag() for m in found]
    add_flags(conn, contest.id, flags)
    return flags


def _as_rule(region: RegionCode, m: Mismatch) -> RecapMismatch:
    first = tuple(RegionCode(s.code) for s in m.trail[:MAX_BRANCH])
    return RecapMismatch(region, m.field, m.keyed, m.computed, first)
