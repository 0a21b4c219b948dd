"""A keyed recap (D.Hasil) against the stored totals: `reconcile.recap`'s one RECAP_MISMATCH rule, with each
difference followed down the tree to the TPS that explain it.

At each level the children that can hold the difference are `reconcile.recap.suspects` (their own keyed recap
differs, they are not fully counted when the keyed number is higher, or their number equals the difference);
the walk follows at most `MAX_BRANCH` of them per level until it reaches TPS. Keying a recap
(`tally.review.keying`) and `tally reconcile` (`run.py`) store the same flags through `store_flags`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, delete

from reconcile.contest import Contest
from reconcile.flags import Flag, Rule
from reconcile.ids import Level, RegionCode, TpsId, level, region_code, tps_number, undotted
from reconcile.recap import Child, RecapMismatch, Why, recap_mismatches, suspects
from reconcile.rules import describe
from tally.db.flags import FlagRow
from tally.election.flagstore import add_flags
from tally.election.recap import Line, recap
from tally.election.recap_lines import keyed_values

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


def recap_fields(contest: Contest) -> tuple[str, ...]:
    """The numbers of a D.Hasil that officials key in and Tally compares."""
    return (*contest.paslon_fields, "suara_sah", "suara_tidak_sah")


def line_value(line: Line, contest: Contest, name: str) -> int:
    if name in contest.paslon_fields:
        return line.votes[contest.paslon_fields.index(name)]
    return int(getattr(line, name))


def mismatches(conn: Connection, contest: Contest, region: RegionCode) -> list[Mismatch]:
    """Every keyed field of `region` that differs from the stored totals, each with its trail down to TPS."""
    r = recap(conn, contest, region)
    computed = {name: line_value(r.total, contest, name) for name in recap_fields(contest)}
    trails: dict[str, tuple[Step, ...]] = {}

    def explain(name: str, diff: int) -> tuple[RegionCode, ...]:
        trails[name] = tuple(_explain(conn, contest, region, name, diff))
        return tuple(RegionCode(s.code) for s in trails[name][:MAX_BRANCH])

    return [
        Mismatch(m.field, describe((m.field,)), m.keyed, m.computed, trails[m.field], m.flag().hint)
        for m in recap_mismatches(region, r.keyed, computed, explain)
    ]


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


_NOTES = {
    Why.OWN_RECAP_DIFFERS: "rekap wilayah ini sendiri {keyed}, hitungan TPS {value}",
    Why.NOT_FULLY_COUNTED: "baru {counted} dari {expected} TPS terhitung",
    Why.EQUALS_DIFFERENCE: "angkanya sama dengan selisih",
}


def _explain(conn: Connection, contest: Contest, code: RegionCode, name: str, diff: int) -> list[Step]:
    """The children of `code` that can hold `diff` on field `name`, and below them, down to TPS."""
    lines = {ln.code: ln for ln in recap(conn, contest, code).children}
    tps_level = level(code) is Level.DESA
    dotted = {c: (c if tps_level else region_code(c)) for c in lines}
    children = [
        Child(
            c,
            line_value(ln, contest, name),
            None if tps_level else keyed_values(conn, contest.id, RegionCode(dotted[c])).get(name),
            ln.tps_counted,
            ln.tps_expected,
        )
        for c, ln in lines.items()
    ]
    steps: list[Step] = []
    for child, why in suspects(children, diff)[:MAX_BRANCH]:
        ln = lines[child.code]
        note = _NOTES[why].format(
            keyed=child.keyed, value=child.computed, counted=ln.tps_counted, expected=ln.tps_expected
        )
        label = f"TPS {tps_number(TpsId(ln.code)):03d}" if tps_level else (ln.name or dotted[ln.code])
        step = Step(dotted[ln.code], label, tps_level, child.computed, note)
        steps.append(step)
        if not tps_level:
            steps.extend(_explain(conn, contest, RegionCode(step.code), name, diff))
    return steps
