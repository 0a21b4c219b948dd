"""Each level's roll-up against the recap officials keyed in (D.Hasil kecamatan, kab/kota, provinsi).

The official result is the manual, tiered recap; Tally shows both and flags where they differ. A mismatch
names the field, the keyed and the computed number (`expected` = keyed, `actual` = computed) and the child
regions that explain the difference, best evidence first:
1. children whose own keyed recap differs from their roll-up on that field (the error is further down);
2. children not fully counted (TPS pending, held back by a flag, or not uploaded) when the keyed number is
   higher — the missing TPS may hold the difference;
3. a child whose computed number equals the difference exactly (a whole child left out or counted twice).

This is the one RECAP_MISMATCH rule: `recap_mismatches` over plain numbers, with `suspects` choosing the
children. `compare_recap` applies it to an in-memory `Rollup`; `tally.election.mismatch` to the stored totals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from reconcile.flags import Flag, Rule
from reconcile.ids import RegionCode, level
from reconcile.rollup import RegionTotals, Rollup
from reconcile.rules import describe

RECAP_FIELDS_EXTRA = ("suara_sah", "suara_tidak_sah", "pemilih_dpt_j", "pengguna_total_j")


@dataclass(frozen=True, slots=True)
class KeyedRecap:
    """A D.Hasil as keyed in: field name → number, for one region and contest."""

    region: RegionCode
    contest: str
    values: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class RecapMismatch:
    region: RegionCode
    field: str
    keyed: int
    computed: int
    children: tuple[RegionCode, ...]  # the child regions that explain the difference

    def flag(self) -> Flag:
        diff = self.keyed - self.computed
        why = f" Periksa {', '.join(self.children)}." if self.children else ""
        hint = (
            f"Rekap D.Hasil {self.region}: {describe((self.field,))} tertulis {self.keyed}, "
            f"hitungan TPS {self.computed} (selisih {diff:+d}).{why}"
        )
        return Flag(self.region, Rule.RECAP_MISMATCH, (self.field,), self.keyed, self.computed, hint)


class Why(StrEnum):
    """Why a child region can explain a recap's difference, best evidence first."""

    OWN_RECAP_DIFFERS = "own_recap_differs"  # its own keyed recap differs from its roll-up: look below
    NOT_FULLY_COUNTED = "not_fully_counted"  # TPS pending, held back or not uploaded, and the keyed is higher
    EQUALS_DIFFERENCE = "equals_difference"  # a whole child left out or counted twice


@dataclass(frozen=True, slots=True)
class Child:
    """One child region's number on the field in question, as rolled up, and as keyed for it (if it was)."""

    code: str
    computed: int
    keyed: int | None
    tps_counted: int
    tps_expected: int


def suspects(children: Sequence[Child], diff: int) -> list[tuple[Child, Why]]:
    """The children that can hold `diff` (keyed − computed), by the best evidence any of them has."""
    own = [(c, Why.OWN_RECAP_DIFFERS) for c in children if c.keyed is not None and c.keyed != c.computed]
    if own:
        return own
    if diff > 0:
        short = [(c, Why.NOT_FULLY_COUNTED) for c in children if c.tps_counted < c.tps_expected]
        if short:
            return short
    return [(c, Why.EQUALS_DIFFERENCE) for c in children if c.computed == abs(diff) and diff != 0]


Explain = Callable[[str, int], tuple[RegionCode, ...]]  # (field, keyed − computed) → the children to check


def recap_mismatches(
    region: RegionCode,
    keyed: Mapping[str, int],
    computed: Mapping[str, int],
    explain: Explain = lambda field, diff: (),
) -> list[RecapMismatch]:
    """RECAP_MISMATCH: every field of `computed` (in its order) that was keyed with another number."""
    return [
        RecapMismatch(region, name, keyed[name], got, explain(name, keyed[name] - got))
        for name, got in computed.items()
        if name in keyed and keyed[name] != got
    ]


def _fields(rollup: Rollup) -> tuple[str, ...]:
    return (*rollup.contest.paslon_fields, *RECAP_FIELDS_EXTRA)


def compare_recap(
    rollup: Rollup, recap: KeyedRecap, keyed: Mapping[RegionCode, KeyedRecap] | None = None
) -> list[RecapMismatch]:
    """Mismatches of one keyed recap; `keyed` holds the other keyed recaps (children explain differences)."""
    if recap.contest != rollup.contest.id:
        return []
    others = keyed or {}
    totals: RegionTotals = rollup.totals(recap.region)

    def explain(name: str, diff: int) -> tuple[RegionCode, ...]:
        kids = [
            Child(
                k.code,
                k.value(name),
                others[RegionCode(k.code)].values.get(name) if RegionCode(k.code) in others else None,
                k.tps_counted,
                k.tps_expected,
            )
            for k in rollup.children(recap.region)
        ]
        return tuple(RegionCode(c.code) for c, _ in suspects(kids, diff))

    computed = {name: totals.value(name) for name in _fields(rollup)}
    return recap_mismatches(recap.region, recap.values, computed, explain)


def check_recaps(rollup: Rollup, recaps: Iterable[KeyedRecap]) -> list[Flag]:
    """RECAP_MISMATCH flags for every keyed recap, top level first."""
    mine = [r for r in recaps if r.contest == rollup.contest.id]
    keyed = {r.region: r for r in mine}
    flags: list[Flag] = []
    for r in sorted(mine, key=lambda r: (level(r.region), r.region)):
        flags += [m.flag() for m in compare_recap(rollup, r, keyed)]
    return flags
