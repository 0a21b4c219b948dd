"""`tally demo` hands out working logins: staff of the demo kelurahan up to KPU RI, and KPPS codes."""

from __future__ import annotations

import pytest
from sqlalchemy import select
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


def test_the_tps_a_new_user_is_told_to_upload_to_carry_no_counted_sheet(
    session: Session, settings: Settings
) -> None:
    """`tally demo` synthesises every TPS; the ones whose KPPS codes it prints are freed (issue 16: a
    correct upload there made 32 upload_conflict flags), audited, and the rest keep their count."""
    from sqlalchemy import func

    from reconcile.contest import builtin_contest
    from reconcile.sheet import Source, TallySheet
    from tally.audit import verify_chain
    from tally.audit.log import append
    from tally.audit.replay import results_json
    from tally.db.audit import AuditEntry
    from tally.db.results import TpsResultRow
    from tally.db.sheets import SheetRow
    from tally.demo import DEMO_ACTOR, KPPS_SHOWN
    from tally.election.recap import recap
    from tally.election.rejudge import rejudge
    from tally.election.store import save_contest, save_sheets

    seed(session)
    for n in (3, 4):
        session.add(TpsRow(id=f"3277011001{n:03d}", desa=DESA, number=n, dpt=250))
    session.flush()
    contest = builtin_contest("ppwp-2024")
    save_contest(session.connection(), contest)
    values = {f.name: 0 for f in contest.fields}
    values |= {"pemilih_dpt_j": 250, "pemilih_dpt_l": 125, "pemilih_dpt_p": 125, "surat_diterima": 255,
               "surat_sisa": 255}  # fmt: skip
    sheets = [
        TallySheet(f"synth-{n}", f"3277011001{n:03d}", contest.id, values, frozenset({1, 2, 3}), Source.SYNTH)
        for n in (1, 2, 3, 4)
    ]
    save_sheets(session.connection(), sheets)  # type: ignore[arg-type]
    for n in (1, 2, 3, 4):
        changes = rejudge(session, contest, f"3277011001{n:03d}")
        append(session, DEMO_ACTOR, "supersede", f"3277011001{n:03d}", {}, {"results": results_json(changes)})
    assert recap(session.connection(), contest, DESA).total.tps_counted == 4

    logins = demo_logins(session, settings, DESA)
    handed = [d.region for d in logins if d.role == Role.KPPS]
    assert handed == ["3277011001001", "3277011001002", "3277011001003"] and len(handed) == KPPS_SHOWN
    have_sheet = set(session.scalars(select(SheetRow.tps_id)))
    assert have_sheet == {"3277011001004"}  # only the TPS no one is told to upload to
    assert set(session.scalars(select(TpsResultRow.tps_id))) == {"3277011001004"}
    assert recap(session.connection(), contest, DESA).total.tps_counted == 1

    def superseded() -> int:
        stmt = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "supersede")
        return int(session.scalar(stmt) or 0)

    entries = superseded()
    demo_logins(session, settings, DESA)  # a rerun frees nothing more
    assert superseded() == entries and set(session.scalars(select(SheetRow.tps_id))) == {"3277011001004"}
    assert verify_chain(session).ok  # the results removed are entries of the chain, replayed
