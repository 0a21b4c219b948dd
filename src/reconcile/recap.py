"""Each level's roll-up against the recap officials keyed in (D.Hasil kecamatan, kab/kota, provinsi).

The official result is the manual, tiered recap; Tally shows both and flags where they differ. A mismatch
names the field, the keyed and the computed number (`expected` = keyed, `actual` = computed) and the child
regions that explain the difference, best evidence first:
1. children whose own keyed recap differs from their roll-up on that field (the error is further down);
2. children not fully counted (TPS pending, held back by a flag, or not uploaded) when the keyed number is
   higher — the missing TPS may hold the difference;
3. a child whose computed number equals the difference exactly (a whole child left out or counted twice).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from reconcile.flags import Flag, Rule
from reconcile.ids import RegionCode
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


def _explain(
    rollup: Rollup, region: RegionCode, name: str, diff: int, keyed: Mapping[RegionCode, KeyedRecap]
) -> tuple[RegionCode, ...]:
    kids = [(RegionCode(k.code), k) for k in rollup.children(region)]
    below = [
        code
        for code, k in kids
        if code in keyed and name in keyed[code].values and keyed[code].values[name] != k.value(name)
    ]
    if below:
        return tuple(below)
    if diff > 0:
        short = [code for code, k in kids if k.tps_counted < k.tps_expected]
        if short:
            return tuple(short)
    return tuple(code for code, k in kids if k.value(name) == abs(diff) and diff != 0)


def _fields(rollup: Rollup) -> tuple[str, ...]:
    return (*rollup.contest.paslon_fields, *RECAP_FIELDS_EXTRA)


def compare_recap(
    rollup: Rollup, recap: KeyedRecap, keyed: Mapping[RegionCode, KeyedRecap] | None = None
) -> list[RecapMismatch]:
    """Mismatches of one keyed recap; `keyed` holds the other keyed recaps (children explain differences)."""
    if recap.contest != rollup.contest.id:
        return []
    totals: RegionTotals = rollup.totals(recap.region)
    out: list[RecapMismatch] = []
    for name in _fields(rollup):
        if name not in recap.values:
            continue
        got, want = totals.value(name), recap.values[name]
        if got != want:
            why = _explain(rollup, recap.region, name, want - got, keyed or {})
            out.append(RecapMismatch(recap.region, name, want, got, why))
    return out


def check_recaps(rollup: Rollup, recaps: Iterable[KeyedRecap]) -> list[Flag]:
    """RECAP_MISMATCH flags for every keyed recap, top level first."""
    mine = [r for r in recaps if r.contest == rollup.contest.id]
    keyed = {r.region: r for r in mine}
    flags: list[Flag] = []
    for r in sorted(mine, key=lambda r: (r.region.count("."), r.region)):
        flags += [m.flag() for m in compare_recap(rollup, r, keyed)]
    return flags
