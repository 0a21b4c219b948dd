"""PPK and KPU key in their level's recap (D.Hasil kecamatan, kab/kota, provinsi) and see every mismatch with
Tally's roll-up, followed down the tree to the TPS that explain it.

Keyed values go through the foundation's keyed-recap storage (a later keying supersedes an earlier one) and
the audit log; the mismatches are `tally.election.mismatch`'s (the one RECAP_MISMATCH rule of
`reconcile.recap`, explained down to TPS), stored as RECAP_MISMATCH flags so the public pages show them too.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from reconcile.contest import Contest
from reconcile.ids import Level, RegionCode, level
from tally.audit import Action, Actor, append
from tally.auth.scope import Principal, Role
from tally.db.regions import RegionRow
from tally.election.flagstore import key_recap
from tally.election.mismatch import Mismatch, line_value, mismatches, recap_fields, store_flags
from tally.election.recap_lines import keyed_values
from tally.errors import Forbidden, NotFound, Unprocessable

# What the keying page needs, in one place: this module's rules and the mismatches they store.
__all__ = ["Mismatch", "key_in", "keyed_values", "line_value", "mismatches", "recap_fields", "require_keyer"]

KEYED_LEVELS = (Level.NASIONAL, Level.PROVINSI, Level.KABKOTA, Level.KECAMATAN)


def require_keyer(who: Principal, region: RegionCode) -> None:
    if who.role not in (Role.PPK, Role.KPU):
        raise Forbidden("role", "Rekap D.Hasil diinput oleh PPK (kecamatan) atau KPU (kab/kota, provinsi).")
    if not who.covers_region(region) or level(region) not in KEYED_LEVELS:
        raise Forbidden("out_of_scope", "Wilayah ini di luar wewenang Anda.")


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
    store_flags(conn, contest, region, found)
    return found
