"""Demo officers, so the embedded default can be tried end to end: staff logins and KPPS activation codes.

The KPPS codes handed out are for TPS a new user can upload to: `demo_logins` first frees them of the
synthetic sheets `tally demo` made (so a correct upload there is the TPS's first, not a conflict with a
made-up count), audited like any rerun of the synthesis; every other TPS keeps its synthetic count.

Only for a development database: production refuses them (a known password is no password).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from reconcile.contest import parse_contest
from reconcile.ids import RegionCode, TpsId, parent
from reconcile.sheet import Source
from tally.audit import Action, Actor
from tally.audit.replay import ResultChange
from tally.auth.scope import Role
from tally.auth.service import create_staff, issue_codes
from tally.db.intake import StaffRow
from tally.db.sheets import ContestRow, SheetRow
from tally.election.rejudge import rejudge
from tally.election.run import audit_changes
from tally.election.store import delete_sheets
from tally.settings import Settings

DEMO_PASSWORD = "demo-tally-2024"
KPPS_SHOWN = 3  # a big kelurahan has hundreds of TPS; `tally officers issue-codes` prints them all
DEMO_ACTOR = Actor("tally-demo", "system")


@dataclass(frozen=True, slots=True)
class DemoLogin:
    role: str
    region: str
    login: str  # a username (staff) or a one-time activation code (KPPS)


def demo_logins(session: Session, settings: Settings, desa: RegionCode) -> list[DemoLogin]:
    """Staff of `desa` up to the nation (created once) and a fresh KPPS code for the first `KPPS_SHOWN` of
    its TPS, each left free of synthetic sheets."""
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
    free_for_upload(session, [TpsId(c.tps_id) for c in codes])
    return out + [DemoLogin(Role.KPPS.value, c.tps_id, c.code) for c in codes]


def free_for_upload(session: Session, tps_ids: Sequence[TpsId]) -> int:
    """Remove the synthetic sheets of `tps_ids` and judge their kelurahan again, in the caller's transaction:
    one audit entry per TPS result that moved (as a synthesis rerun writes). Returns the sheets removed."""
    conn = session.connection()
    found = conn.execute(
        select(SheetRow.contest_id, SheetRow.tps_id)
        .where(SheetRow.tps_id.in_(list(tps_ids)), SheetRow.source == Source.SYNTH.value)
        .distinct()
    ).all()
    for contest_id in sorted({c for c, _ in found}):
        source = session.scalar(select(ContestRow.source).where(ContestRow.id == contest_id))
        assert source is not None
        contest = parse_contest(source)
        changes: dict[str, ResultChange] = {}
        for tps in sorted({t for c, t in found if c == contest_id}):
            for change in delete_sheets(conn, contest_id, RegionCode(tps), Source.SYNTH):
                changes[change.tps] = change
            for change in rejudge(session, contest, tps):
                changes[change.tps] = change
        audit_changes(conn, DEMO_ACTOR, Action.SUPERSEDE, contest_id, list(changes.values()))
    return len(found)
