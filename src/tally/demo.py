"""Demo officers, so the embedded default can be tried end to end: staff logins and KPPS activation codes.

Only for a development database: production refuses them (a known password is no password).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from reconcile.ids import RegionCode, parent
from tally.auth.scope import Role
from tally.auth.service import create_staff, issue_codes
from tally.db.intake import StaffRow
from tally.settings import Settings

DEMO_PASSWORD = "demo-tally-2024"
KPPS_SHOWN = 3  # a big kelurahan has hundreds of TPS; `tally officers issue-codes` prints them all


@dataclass(frozen=True, slots=True)
class DemoLogin:
    role: str
    region: str
    login: str  # a username (staff) or a one-time activation code (KPPS)


def demo_logins(session: Session, settings: Settings, desa: RegionCode) -> list[DemoLogin]:
    """Staff of `desa` up to the nation (created once) and a fresh KPPS code for each of its TPS."""
    if settings.environment == "production":
        raise ValueError("akun demo tidak boleh dibuat di basis data produksi")
    kecamatan = parent(desa)
    kabkota = parent(kecamatan) if kecamatan else None
    assert kecamatan is not None and kabkota is not None
    staff = [
        (f"pps.{desa}", Role.PPS, desa),
        (f"pps2.{desa}", Role.PPS, desa),  # the second pair of eyes for a changed total
        (f"ppk.{kecamatan}", Role.PPK, kecamatan),
        (f"kpu.{kabkota}", Role.KPU, kabkota),
        ("kpu.ri", Role.KPU, RegionCode("")),
    ]
    have = set(session.scalars(select(StaffRow.username)))
    out: list[DemoLogin] = []
    for username, role, region in staff:
        if username not in have:
            create_staff(session, username, DEMO_PASSWORD, role, region)
        out.append(DemoLogin(role.value, region or "nasional", username))
    codes = issue_codes(session, desa, "demo")[:KPPS_SHOWN]
    return out + [DemoLogin(Role.KPPS.value, c.tps_id, c.code) for c in codes]
