"""The office before the night: schema, the scope's regions and TPS, the contest, staff accounts (three
PPS per kelurahan/desa, a PPK per kecamatan, the KPU kab/kota that issues KPPS codes) and one activation code
per TPS, issued by that KPU as `tally officers issue-codes` does (the service function, in-process). The
codes are activated later by the phones, through `POST /api/v1/auth/activate`; staff log in through the API.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconcile.contest import builtin_contest
from reconcile.ids import NASIONAL, RegionCode, TpsId
from tally.audit import Actor
from tally.auth.scope import Role
from tally.auth.service import create_staff, issue_codes
from tally.db.base import make_engine, migrate, session_factory
from tally.election.store import Tps, save_contest, save_tps
from tally.regions import load_regions, within

from .election import Election

PASSWORD = "malam-pemilu-2024"
PPS_PER_DESA = 3
KPU_RI = "kpu.ri"


@dataclass
class Office:
    codes: dict[str, str]  # TPS → one-time activation code
    pps: dict[str, list[str]]  # desa → PPS usernames
    ppk: dict[str, str]  # kecamatan → PPK username


def seed(url: str, regions: object, election: Election) -> Office:
    migrate(url)
    contest = builtin_contest("ppwp-2024")
    engine = make_engine(url)
    desas = sorted({t.desa for t in election.tps})
    kecs = sorted({d[:8] for d in desas})
    kab = election.scope[:5]
    try:
        with engine.begin() as conn:
            load_regions(conn, within(regions, RegionCode(election.scope)))  # type: ignore[arg-type]
            save_contest(conn, contest)
            save_tps(conn, NASIONAL, [Tps(TpsId(t.id), t.dpt) for t in election.tps])
        pps = {d: [f"pps.{d.replace('.', '')}.{i}" for i in range(1, PPS_PER_DESA + 1)] for d in desas}
        ppk = {k: f"ppk.{k.replace('.', '')}" for k in kecs}
        kpu = f"kpu.{kab.replace('.', '')}"
        with session_factory(engine)() as s, s.begin():
            for d, names in pps.items():
                for n in names:
                    create_staff(s, n, PASSWORD, Role.PPS, d)
            for k, n in ppk.items():
                create_staff(s, n, PASSWORD, Role.PPK, k)
            create_staff(s, kpu, PASSWORD, Role.KPU, kab)
            create_staff(s, KPU_RI, PASSWORD, Role.KPU, "")  # reads every level's recap
        codes: dict[str, str] = {}
        with session_factory(engine)() as s, s.begin():
            actor = Actor(kpu, Role.KPU.value, "bench")
            for d in desas:
                codes |= {c.tps_id: c.code for c in issue_codes(s, RegionCode(d), kpu, actor=actor)}
    finally:
        engine.dispose()
    return Office(codes, pps, ppk)
