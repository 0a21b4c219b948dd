"""PPK and KPU key in their level's recap (D.Hasil kecamatan, kab/kota, provinsi) and see every mismatch with
Tally's roll-up, followed down the tree to the TPS that explain it.

Keyed values go through the foundation's keyed-recap storage (a later keying supersedes an earlier one) and
the audit log; each mismatch is a `reconcile.recap.RecapMismatch`, stored as its RECAP_MISMATCH flag so the
public pages show it too. The explanation walks down from the region, at each level keeping the children that
can hold the difference — their own keyed recap differs, they are not fully counted (when the keyed number is
higher), or their number equals the difference — until it reaches TPS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, delete, select
from sqlalchemy.orm import Session

from reconcile.contest import Contest
from reconcile.flags import Flag, Rule
from reconcile.ids import Level, RegionCode, level, region_code, undotted
from reconcile.recap import RecapMismatch
from reconcile.rules import describe
from tally.audit import Action, Actor, append
from tally.auth.scope import Principal, Role
from tally.db.flags import FlagRow
from tally.db.recaps import KeyedRecapRow
from tally.db.regions import RegionRow
from tally.election.flagstore import add_flags, key_recap
from tally.election.recap import Line, recap
from tally.errors import Forbidden, NotFound, Unprocessable

KEYED_LEVELS = (Level.NASIONAL, Level.PROVINSI, Level.KABKOTA, Level.KECAMATAN)
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
    return (*contest.paslon_fields, "suara_sah", "suara_tidak_sah")


def line_value(line: Line, contest: Contest, name: str) -> int:
    if name in contest.paslon_fields:
        return line.votes[contest.paslon_fields.index(name)]
    return int(getattr(line, name))


def require_keyer(who: Principal, region: RegionCode) -> None:
    if who.role not in (Role.PPK, Role.KPU):
        raise Forbidden("role", "Rekap D.Hasil diinput oleh PPK (kecamatan) atau KPU (kab/kota, provinsi).")
    if not who.covers_region(region) or level(region) not in KEYED_LEVELS:
        raise Forbidden("out_of_scope", "Wilayah ini di luar wewenang Anda.")


def keyed_values(conn: Connection, contest_id: str, region: str) -> dict[str, int]:
    rows = conn.execute(
        select(KeyedRecapRow.field, KeyedRecapRow.value)
        .where(KeyedRecapRow.contest_id == contest_id, KeyedRecapRow.region_code == region)
        .order_by(KeyedRecapRow.at, KeyedRecapRow.id)
    )
    return {f: int(v) for f, v in rows}


def key_in(
    session: Session,
    contest: Contest,
    who: Principal,
    actor: Actor,
    region: RegionCode,
    values: Mapping[str, int],
) -> list[Mismatch]:
    """Store a keyed recap, audit it, and (re)store its mismatch flags; returns the mismatches."""
    require_keyer(who, region)
    if region and session.get(RegionRow, region) is None:
        raise NotFound("unknown_region", f"Wilayah {region} tidak terdaftar.")
    allowed = set(recap_fields(contest))
    if not values or set(values) - allowed or any(v < 0 for v in values.values()):
        raise Unprocessable("bad_recap", "Isi angka rekap (bilangan bulat ≥ 0) untuk kolom yang tersedia.")
    conn = session.connection()
    before = keyed_values(conn, contest.id, region)
    key_recap(conn, contest.id, region, values, who.subject)
    append(session, actor, Action.RECAP, region or "nasional", before, dict(values))
    found = mismatches(conn, contest, region)
    conn.execute(
        delete(FlagRow).where(
            FlagRow.contest_id == contest.id,
            FlagRow.area == undotted(region),
            FlagRow.rule == Rule.RECAP_MISMATCH.value,
        )
    )
    add_flags(conn, contest.id, [_flag(region, m) for m in found])
    return found


def _flag(region: RegionCode, m: Mismatch) -> Flag:
    first = tuple(RegionCode(s.code) for s in m.trail[:MAX_BRANCH])
    return RecapMismatch(region, m.field, m.keyed, m.computed, first).flag()


def mismatches(conn: Connection, contest: Contest, region: RegionCode) -> list[Mismatch]:
    r = recap(conn, contest, region)
    out = []
    for name in recap_fields(contest):
        if name not in r.keyed:
            continue
        computed = line_value(r.total, contest, name)
        if r.keyed[name] == computed:
            continue
        trail = tuple(_explain(conn, contest, region, name, r.keyed[name] - computed))
        first = tuple(RegionCode(s.code) for s in trail[:MAX_BRANCH])
        hint = RecapMismatch(region, name, r.keyed[name], computed, first).flag().hint
        out.append(Mismatch(name, describe((name,)), r.keyed[name], computed, trail, hint))
    return out


def _explain(conn: Connection, contest: Contest, code: RegionCode, name: str, diff: int) -> list[Step]:
    """The children of `code` that can hold `diff` on field `name`, and below them, down to TPS."""
    lines = recap(conn, contest, code).children
    tps_level = level(code) is Level.DESA
    dotted = {ln.code: (ln.code if tps_level else region_code(ln.code)) for ln in lines}
    own = {c: keyed_values(conn, contest.id, c).get(name) for c in dotted.values()} if not tps_level else {}
    picks: list[tuple[Line, str]] = []
    for ln in lines:
        value, keyed = line_value(ln, contest, name), own.get(dotted[ln.code])
        if keyed is not None and keyed != value:
            picks.append((ln, f"rekap wilayah ini sendiri {keyed}, hitungan TPS {value}"))
    if not picks and diff > 0:
        picks = [
            (ln, f"baru {ln.tps_counted} dari {ln.tps_expected} TPS terhitung")
            for ln in lines
            if ln.tps_counted < ln.tps_expected
        ]
    if not picks:
        picks = [
            (ln, "angkanya sama dengan selisih") for ln in lines if line_value(ln, contest, name) == abs(diff)
        ]
    steps: list[Step] = []
    for ln, note in picks[:MAX_BRANCH]:
        label = f"TPS {ln.code[10:]}" if tps_level else (ln.name or dotted[ln.code])
        step = Step(dotted[ln.code], label, tps_level, line_value(ln, contest, name), note)
        steps.append(step)
        if not tps_level:
            steps.extend(_explain(conn, contest, RegionCode(step.code), name, diff))
    return steps
