"""`tally officers` (issue 14, #1) on SQLite and PostgreSQL: codes are issued as a named officer of the issuer
role (never a PPS by default), a reissue revokes, devices are revoked and staff disabled from the command
line, and each is an audit entry naming who did it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from support.world import DESA_A, TPS_A, World, world
from tally.cli.main import app
from tally.db.audit import AuditEntry
from tally.db.intake import StaffRow
from tally.settings import Settings


@pytest.fixture
def w(settings: Settings) -> Iterator[World]:
    with world(settings) as it:
        yield it


def tally(w: World, *args: str) -> tuple[int, str]:
    env = {"TALLY_DATABASE_URL": w.settings.database_url, "TALLY_DATA_DIR": str(w.settings.data_dir)}
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_officers_commands_name_who_acts_and_keep_the_rule(w: World) -> None:
    code, out = tally(w, "officers", "issue-codes", DESA_A, "--by", "pps")
    assert code == 1 and "KPU kabupaten/kota" in out
    code, out = tally(w, "officers", "issue-codes", DESA_A, "--by", "kpu", "--tps", TPS_A)
    assert code == 0 and out.splitlines()[0] == "tps_id,code,expires_at" and len(out.splitlines()) == 2
    assert w.client.get("/api/v1/me", headers=w.headers("kpps")).status_code == 401  # reissued: revoked
    fresh = out.splitlines()[1].split(",")[1]
    device = w.client.post("/api/v1/auth/activate", json={"code": fresh}).json()["token"]
    code, out = tally(w, "officers", "revoke-devices", TPS_A, "--by", "pps")  # the page and the API refuse
    assert code == 1
    code, out = tally(w, "officers", "revoke-devices", TPS_A, "--by", "kpu")
    assert code == 0 and out.startswith("1 perangkat")
    assert w.client.get("/api/v1/me", headers={"Authorization": f"Bearer {device}"}).status_code == 401
    code, out = tally(w, "officers", "disable-staff", "pps.b", "--by", "operator.jakbar")
    assert code == 0 and "dinonaktifkan" in out
    with w.sessions() as s:
        assert s.get(StaffRow, "pps.b").disabled_at is not None  # type: ignore[union-attr]
        log = [(e.action, e.actor, e.origin) for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
    assert ("code_issued", "kpu", "cli") in log and ("devices_revoked", "kpu", "cli") in log
    assert ("devices_revoked", "pps", "cli") not in log  # refused, and nothing written
    assert ("staff_disabled", "operator.jakbar", "cli") in log
