"""`tally demo` hands out working logins: staff of the demo kelurahan up to KPU RI, and KPPS codes."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from reconcile.ids import RegionCode
from tally.auth.scope import Role
from tally.auth.service import activate, login
from tally.db.regions import RegionRow, TpsRow
from tally.demo import DEMO_PASSWORD, demo_logins
from tally.settings import Settings

DESA = RegionCode("32.77.01.1001")


def seed(session: Session) -> None:
    chain = [("32", 1, None), ("32.77", 2, "32"), ("32.77.01", 3, "32.77"), (DESA, 4, "32.77.01")]
    for code, level, up in chain:
        session.add(RegionRow(code=code, name=code, level=level, parent=up))
    session.flush()
    for n in (1, 2):
        session.add(TpsRow(id=f"3277011001{n:03d}", desa=DESA, number=n, dpt=250))
    session.flush()


def test_demo_logins_let_each_officer_in_and_rerun_without_duplicates(
    session: Session, settings: Settings
) -> None:
    seed(session)
    first = demo_logins(session, settings, DESA)
    again = demo_logins(session, settings, DESA)
    staff = [d for d in again if d.role != Role.KPPS]
    assert [d.login for d in staff] == [d.login for d in first if d.role != Role.KPPS]
    assert {d.role for d in staff} == {"pps", "ppk", "kpu"}
    for d in staff:
        token, who = login(session, d.login, DEMO_PASSWORD)
        assert token and who.role.value == d.role
    kpps = [d for d in again if d.role == Role.KPPS]
    assert [d.region for d in kpps] == ["3277011001001", "3277011001002"]
    _, who = activate(session, kpps[0].login)
    assert (who.role, who.scope) == (Role.KPPS, "3277011001001")


def test_demo_logins_are_refused_on_a_production_database(session: Session, tmp_path: object) -> None:
    prod = Settings(environment="production", secret_key="a-real-secret-for-this-test", data_dir=tmp_path)
    with pytest.raises(ValueError, match="produksi"):
        demo_logins(session, prod, DESA)
