"""PPK and KPU key in their level's recap (D.Hasil kecamatan, kab/kota, provinsi, nasional) — one row per
child region, every number a recap sums — and see every mismatch with the sums of the counted TPS, followed
down to the TPS that explain it.

A save stores the rows' numbers that changed (`keyed_recap`: a later keying supersedes an earlier one) and
the region's total (the rows' sum, `tally.election.dhasil.total_of`), appends ONE audit entry carrying every
number it set, and re-stores the RECAP_MISMATCH flags of the region and of each row, all in the caller's
transaction. The comparison is `tally.election.dhasil`'s, over every field of the form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from reconcile.contest import Contest
from reconcile.ids import Level, RegionCode, level
from tally.audit import Action, Actor, append
from tally.auth.scope import Principal, Role
from tally.db.regions import RegionRow
from tally.election.dhasil import DHasil, dhasil, dhasil_fields, row_mismatches, total_of
from tally.election.flagstore import key_recap
from tally.election.mismatch import Mismatch, store_flags
from tally.errors import Forbidden, NotFound, Unprocessable

__all__ = ["KeyedRows", "Mismatch", "Saved", "key_in", "require_keyer"]

KEYED_LEVELS = (Level.NASIONAL, Level.PROVINSI, Level.KABKOTA, Level.KECAMATAN)

KeyedRows = Mapping[RegionCode, Mapping[str, int]]  # child region → field → keyed number


@dataclass(frozen=True, slots=True)
class Saved:
    changed: int  # numbers stored (rows and total) that differ from what was keyed before
    rows: tuple[RegionCode, ...]  # the rows they belong to
    result: DHasil
    mismatches: dict[RegionCode, list[Mismatch]]


def require_keyer(who: Principal, region: RegionCode) -> None:
    if who.role not in (Role.PPK, Role.KPU):
        raise Forbidden("role", "Rekap D.Hasil diinput oleh PPK (kecamatan) atau KPU (kab/kota, provinsi).")
    if not who.covers_region(region) or level(region) not in KEYED_LEVELS:
        raise Forbidden("out_of_scope", "Wilayah ini di luar wewenang Anda.")


def key_in(
    session: Session, contest: Contest, who: Principal, actor: Actor, region: RegionCode, rows: KeyedRows
) -> Saved:
    """Store a keyed D.Hasil (its rows' numbers, and the total they make), audit it as one entry, and
    (re)store the mismatch flags of the region and its rows."""
    require_keyer(who, region)
    if region and session.get(RegionRow, region) is None:
        raise NotFound("unknown_region", f"Wilayah {region} tidak terdaftar.")
    conn = session.connection()
    before = dhasil(conn, contest, region)
    known = {r.code: r for r in before.rows}
    allowed = set(dhasil_fields(contest))
    typed = {code: dict(values) for code, values in rows.items() if values}
    if not typed or any(
        code not in known or set(values) - allowed or any(v < 0 for v in values.values())
        for code, values in typed.items()
    ):
        raise Unprocessable(
            "bad_recap", "Isi angka rekap (bilangan bulat ≥ 0) pada baris wilayah yang tersedia."
        )
    old: dict[str, dict[str, int]] = {}
    new: dict[str, dict[str, int]] = {}
    for code, values in sorted(typed.items()):
        row = known[code]
        changed = {f: v for f, v in values.items() if row.cell(f).keyed != v}
        if changed:
            key_recap(conn, contest.id, code, changed, who.subject)
            new[code] = changed
            old[code] = {f: k for f in changed if (k := row.cell(f).keyed) is not None}
    merged = [
        {**{c.field: c.keyed for c in r.cells if c.keyed is not None}, **new.get(r.code, {})}
        for r in before.rows
        if r.tps_expected or r.code in new or r.keyed_count
    ]
    total = total_of(merged, before.fields)
    total_changed = {f: v for f, v in total.items() if before.total.cell(f).keyed != v}
    if total_changed:
        key_recap(conn, contest.id, region, total_changed, who.subject)
        new[region or "nasional"] = total_changed
        old[region or "nasional"] = {
            f: k for f in total_changed if (k := before.total.cell(f).keyed) is not None
        }
    after = dhasil(conn, contest, region) if new else before
    found = row_mismatches(conn, contest, after)
    if new:
        append(session, actor, Action.RECAP, region or "nasional", {"rekap": old}, {"rekap": new})
        for code, mismatches in found.items():
            store_flags(conn, contest, code, mismatches)
    changed_rows = tuple(RegionCode(c) for c in new if c != (region or "nasional"))
    return Saved(sum(len(v) for v in new.values()), changed_rows, after, found)
