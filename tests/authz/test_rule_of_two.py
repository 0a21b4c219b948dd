"""The rule of two over HTTP (issue 14, #1), on SQLite and PostgreSQL: one officer who issues a TPS's KPPS
codes, activates one and proposes a number as that "KPPS" cannot then approve it as themselves; only the KPU
kab/kota (or the role the operator names) issues codes; KPU RI cannot upload; a reissue revokes the old codes
and devices; staff accounts are disabled and devices revoked; each step is an audit entry naming who."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from support.footprint import is_bahasa
from support.intake import jpeg, sha
from support.world import DESA_A, TPS_A, TPS_A2, World, read_tps_a_with_a_doubt, world
from tally.auth.codes import grant
from tally.auth.scope import Role
from tally.auth.secrets import new_token
from tally.auth.service import create_staff
from tally.db.audit import AuditEntry
from tally.db.review import ReviewChangeRow
from tally.settings import Settings


@pytest.fixture
def w(settings: Settings) -> Iterator[World]:
    with world(settings) as it:
        yield it


def entries(w: World, action: str) -> list[AuditEntry]:
    with w.sessions() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)))


def login(w: World, username: str) -> str:
    r = w.client.post(
        "/api/v1/auth/login", json={"username": username, "password": "kata-sandi-yang-panjang"}
    )
    assert r.status_code == 201, r.text
    return str(r.json()["token"])


def cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"tally_sesi={token}"}


def test_only_the_kpu_kabkota_issues_codes_and_kpu_ri_cannot_upload(w: World) -> None:
    for role in ("pps", "ppk"):
        r = w.client.post(f"/api/v1/regions/{DESA_A}/activation-codes", headers=w.headers(role))
        assert r.status_code == 403 and r.json()["code"] == "code_issuer", (role, r.text)
        assert "KPU kabupaten/kota" in r.json()["message"]
    ri = new_token()
    with w.sessions() as s, s.begin():  # a KPU RI session: the nation is its region
        grant(s, Role.KPU, "", "kpu.ri", datetime.now(UTC) + timedelta(hours=1), token=ri)
    r = w.client.post(f"/api/v1/regions/{DESA_A}/activation-codes", headers=w.headers("kpu", ri))
    assert r.status_code == 403 and r.json()["code"] == "code_issuer"
    data = jpeg(width=96, height=64, seed=77)
    r = w.put_photo(TPS_A, data, ri)
    assert r.status_code == 403 and r.json()["code"] == "role"
    issued = w.client.post(f"/api/v1/regions/{DESA_A}/activation-codes", headers=w.headers("kpu"))
    assert issued.status_code == 201 and {c["tps_id"] for c in issued.json()["data"]} == {TPS_A, TPS_A2}
    assert [(e.actor, e.actor_role, e.subject) for e in entries(w, "code_issued")][-2:] == [
        ("kpu", "kpu", TPS_A),
        ("kpu", "kpu", TPS_A2),
    ]


def test_the_issuer_of_a_tps_codes_is_never_its_second_person(settings: Settings) -> None:
    """The attack of issue 14 #1, with the operator handing code issuance to the PPS: the PPS issues,
    activates, proposes as the KPPS, then approves. Refused; another PPS's approval applies it."""
    with world(settings, code_issuer_role="pps") as w:
        field = read_tps_a_with_a_doubt(w)
        pps = login(w, "pps")
        codes = w.client.post(
            f"/api/v1/regions/{DESA_A}/activation-codes", headers={"Authorization": f"Bearer {pps}"}
        )
        assert codes.status_code == 201, codes.text
        code = next(c["code"] for c in codes.json()["data"] if c["tps_id"] == TPS_A)
        device = w.client.post("/api/v1/auth/activate", json={"code": code})
        assert device.status_code == 201
        kpps = device.json()["token"]
        r = w.client.post("/petugas/kpps/usul", data={"kolom": field, "angka": "8", "alasan": "salah baca"},
                          headers=cookie(kpps))  # fmt: skip
        assert r.status_code == 303, r.text[:300]
        r = w.client.post(f"/petugas/pps/tps/{TPS_A}/periksa", data={"kolom": field, "angka": "8"},
                          headers=cookie(pps))  # fmt: skip
        assert r.status_code == 403 and "orang kedua" in r.text, r.text[:500]
        with w.sessions() as s:
            change = s.scalars(select(ReviewChangeRow).where(ReviewChangeRow.tps_id == TPS_A)).one()
            assert change.state == "pending" and change.sheet_id is None
        with w.sessions() as s, s.begin():  # a second PPS of the same kelurahan, who issued nothing
            create_staff(s, "pps.kedua", "kata-sandi-yang-panjang", Role.PPS, DESA_A)
        other = login(w, "pps.kedua")
        r = w.client.post(f"/petugas/pps/tps/{TPS_A}/periksa", data={"kolom": field, "angka": "8"},
                          headers=cookie(other))  # fmt: skip
        assert r.status_code == 303, r.text[:500]
        with w.sessions() as s:
            change = s.scalars(select(ReviewChangeRow).where(ReviewChangeRow.tps_id == TPS_A)).one()
            assert change.state == "applied" and change.decided_by == "pps.kedua"
        activated = entries(w, "device_activated")[-1]
        assert activated.subject == TPS_A and activated.actor == f"kpps:{TPS_A}"
        assert [e.actor for e in entries(w, "login")][-2:] == ["pps", "pps.kedua"]


def test_a_staff_officer_who_activates_a_device_is_named_and_barred(settings: Settings) -> None:
    with world(settings) as w:
        field = read_tps_a_with_a_doubt(w)
        code = w.new_code(TPS_A, by="kpu")
        pps = login(w, "pps")
        device = w.client.post(
            "/api/v1/auth/activate", json={"code": code}, headers={"Authorization": f"Bearer {pps}"}
        )
        assert device.status_code == 201
        assert entries(w, "device_activated")[-1].actor == "pps"
        r = w.client.post("/petugas/kpps/usul", data={"kolom": field, "angka": "9"},
                          headers=cookie(device.json()["token"]))  # fmt: skip
        assert r.status_code == 303
        r = w.client.post(f"/petugas/pps/tps/{TPS_A}/periksa", data={"kolom": field, "angka": "9"},
                          headers=cookie(pps))  # fmt: skip
        assert r.status_code == 403


def test_reissuing_revokes_the_old_codes_and_devices(w: World) -> None:
    kpu = w.headers("kpu")
    first = w.client.post(f"/api/v1/regions/{DESA_A}/activation-codes", headers=kpu).json()["data"]
    used, unused = (next(c["code"] for c in first if c["tps_id"] == t) for t in (TPS_A, TPS_A2))
    device = w.client.post("/api/v1/auth/activate", json={"code": used}).json()["token"]
    again = w.client.post(f"/api/v1/regions/{DESA_A}/activation-codes", headers=kpu)
    assert again.status_code == 201
    assert w.client.get("/api/v1/me", headers={"Authorization": f"Bearer {device}"}).status_code == 401
    r = w.client.post("/api/v1/auth/activate", json={"code": unused})
    assert r.status_code == 401 and r.json()["code"] == "code_revoked" and is_bahasa(r.json()["message"])
    fresh = next(c["code"] for c in again.json()["data"] if c["tps_id"] == TPS_A2)
    assert w.client.post("/api/v1/auth/activate", json={"code": fresh}).status_code == 201


def test_kpu_disables_a_staff_account_and_revokes_a_tps_devices(w: World) -> None:
    victim = login(w, "pps.b")
    r = w.client.post("/api/v1/staff/pps.b/disable", headers=w.headers("kpu"))
    assert r.status_code == 200 and r.json()["sessions_revoked"] == 1
    assert w.client.get("/api/v1/me", headers={"Authorization": f"Bearer {victim}"}).status_code == 401
    r = w.client.post("/api/v1/auth/login", json={"username": "pps.b", "password": "kata-sandi-yang-panjang"})
    assert r.status_code == 403 and r.json()["code"] == "account_disabled"
    assert w.client.post("/api/v1/staff/pps.d/disable", headers=w.headers("kpu")).status_code == 403
    assert w.client.post("/api/v1/staff/kpu/disable", headers=w.headers("kpu")).status_code == 403
    assert w.client.post("/api/v1/staff/pps/disable", headers=w.headers("pps")).status_code == 403

    device = w.client.post("/api/v1/auth/activate", json={"code": w.new_code(TPS_A2)}).json()["token"]
    r = w.client.post(f"/api/v1/tps/{TPS_A2}/devices/revoke", headers=w.headers("kpu"))
    assert r.status_code == 200 and r.json()["devices_revoked"] >= 1
    assert w.client.get("/api/v1/me", headers={"Authorization": f"Bearer {device}"}).status_code == 401
    assert [(e.actor, e.action) for e in entries(w, "staff_disabled")] == [("kpu", "staff_disabled")]
    assert entries(w, "devices_revoked")[-1].subject == TPS_A2


def test_an_upload_is_an_audit_entry_naming_the_device(w: World) -> None:
    data = jpeg(width=96, height=64, seed=4242)
    assert w.put_photo(TPS_A, data, w.tokens["kpps"], page=3).status_code == 202
    last = entries(w, "photo_uploaded")[-1]
    assert (last.actor, last.actor_role, last.subject) == (f"kpps:{TPS_A}", "kpps", TPS_A)
    assert sha(data) in last.after
    assert w.put_photo(TPS_A, data, w.tokens["kpps"], page=3).status_code == 200  # a retry: no new entry
    assert entries(w, "photo_uploaded")[-1].seq == last.seq
