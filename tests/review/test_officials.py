"""`/petugas/kode` (issue 14 #1, issue 16 §5): the code issuer issues and prints KPPS codes from the web,
revokes a TPS's devices and disables staff accounts; every action is an audit entry naming the officer, and
only the roles the backend allows get there. SQLite and PostgreSQL (`settings`)."""

from __future__ import annotations

import re

import httpx
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from support.client import Client, soup_of
from support.officers import DESA_A, DESA_B, PASSWORD, TPS_A, TPS_A2, TPS_B, Office
from support.pdf import pdf_text as support_pdf_text
from tally.auth.scope import Role
from tally.auth.service import create_staff
from tally.db.audit import AuditEntry
from tally.db.intake import ActivationCodeRow, StaffRow

CODE = re.compile(r"^[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}$")
NO_TOKEN = {"X-CSRF-Token": ""}  # the test client adds the token unless told otherwise: this sends none


def kpu(officers: Office) -> Client:
    """The code issuer (TALLY_CODE_ISSUER_ROLE's default: a KPU kab/kota account) over the seeded city."""
    return officers.staff("kpu.jakbar", Role.KPU, "31.73")


def entries(officers: Office, action: str) -> list[AuditEntry]:
    with officers.sessions() as s:
        stmt = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
        return list(s.scalars(stmt))


def codes_on(soup: BeautifulSoup) -> dict[str, str]:
    return {s["data-tps"]: s.select_one(".code").get_text(strip=True) for s in soup.select("section.slip")}


def issue(b: Client, desa: str = DESA_A, **form: str) -> httpx.Response:
    return b.post(f"/petugas/kode/{desa}/terbitkan", data={"bentuk": "cetak", **form})


def activates(officers: Office, code: str) -> bool:
    """The KPPS login page's activation with `code` gives a phone session on its TPS."""
    phone = officers.browser()
    r = phone.post("/petugas/aktivasi", data={"kode": code})
    session = "tally_sesi" in phone.http.cookies
    return r.status_code == 303 and r.headers["location"] == "/petugas/kpps" and session


def pdf_text(pdf: bytes) -> str:
    """The text drawn on the pages, through the fonts' ToUnicode maps (the PDFs print in DejaVu)."""
    return support_pdf_text(pdf)


def test_codes_issued_and_printed_from_the_page_activate_a_phone(officers: Office) -> None:
    b = kpu(officers)
    home = b.soup("/petugas/kode")
    assert [a.get_text() for a in home.select("#desa li a")] == ["ANGKE", "JEMBATAN BESI"]
    assert [li["data-desa"] for li in b.soup("/petugas/kode?cari=jembatan").select("#desa li")] == [DESA_B]
    desa = b.soup(home.select_one("#desa li a")["href"])
    assert "sekali" in desa.select_one("#terbitkan").get_text()
    assert [d["data-tps"] for d in desa.select(".tps-keys")] == [TPS_A, TPS_A2]
    assert not desa.select("#terbitkan input[name=yakin]")  # nothing live yet: nothing to confirm

    sheet = soup_of(issue(b))
    codes = codes_on(sheet)
    assert sorted(codes) == [TPS_A, TPS_A2] and all(CODE.match(c) for c in codes.values())
    assert "hanya ditampilkan sekali" in sheet.select_one("[role=alert]").get_text()
    slip = sheet.select_one(f"section.slip[data-tps='{TPS_A}']").get_text(" ", strip=True)
    for words in ("TPS 001", "ANGKE", "TAMBORA", "KOTA ADM. JAKARTA BARAT", "Berlaku sampai", "WIB",
                  "http://tally.test/petugas/masuk", "Aktifkan"):  # fmt: skip
        assert words in slip, words
    assert activates(officers, codes[TPS_A]) and activates(officers, codes[TPS_A2])

    issued = entries(officers, "code_issued")
    assert [(e.actor, e.actor_role, e.subject) for e in issued] == [
        ("kpu.jakbar", "kpu", TPS_A),
        ("kpu.jakbar", "kpu", TPS_A2),
    ]
    after = b.soup(f"/petugas/kode/{DESA_A}")
    assert "1 ponsel KPPS aktif" in after.select_one(f"#tps-{TPS_A} .status").get_text()
    assert after.select("#terbitkan input[name=yakin][required]")  # a reissue now asks first


def test_the_pdf_is_the_cli_sheet_and_its_code_works(officers: Office) -> None:
    b = kpu(officers)
    r = b.post(f"/petugas/kode/{DESA_B}/terbitkan", data={"bentuk": "pdf"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.headers["cache-control"] == "no-store" and "attachment" in r.headers["content-disposition"]
    text = pdf_text(r.content)
    code = re.search(r"[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}", text)
    assert code is not None and "/petugas/masuk" in text
    assert "JEMBATAN BESI" in text and "TPS 001" in text and "Berlaku sampai" in text
    assert activates(officers, code.group(0))
    assert [e.subject for e in entries(officers, "code_issued")] == [TPS_B]


def test_a_pps_or_ppk_gets_no_code_page_and_cannot_issue(officers: Office) -> None:
    for username, role, region in (("pps.angke", Role.PPS, DESA_A), ("ppk.tambora", Role.PPK, "31.73.04")):
        b = officers.staff(username, role, region)
        home = b.get("/petugas")
        landing = b.get(home.headers["location"])
        assert not BeautifulSoup(landing.text, "html.parser").select("a[href='/petugas/kode']"), role
        for r in (b.get("/petugas/kode"), b.get(f"/petugas/kode/{DESA_A}"), issue(b)):
            assert r.status_code == 403 and r.headers["content-type"].startswith("text/html"), (role, r.text)
            assert soup_of_error(r) == "role"
    with officers.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ActivationCodeRow)) == 0
    assert entries(officers, "code_issued") == []
    nav = kpu(officers).soup("/petugas/rekap")  # the KPU's home links the page
    link = nav.select_one("nav.petugas-nav a[href='/petugas/kode']")
    assert link is not None and link.get_text() == "Kode KPPS dan akun petugas"


def soup_of_error(r: httpx.Response) -> str:
    return str(BeautifulSoup(r.text, "html.parser").select_one("p.error")["data-code"])


def test_a_reissue_asks_first_then_revokes_the_old_code_and_device(officers: Office) -> None:
    b = kpu(officers)
    first = codes_on(soup_of(issue(b, tps=TPS_A)))
    assert list(first) == [TPS_A]
    phone = officers.kpps(TPS_B)  # another desa's phone is untouched by what follows
    old_phone = officers.browser()
    assert old_phone.post("/petugas/aktivasi", data={"kode": first[TPS_A]}).status_code == 303
    assert old_phone.get("/petugas/kpps").status_code == 200

    unconfirmed = issue(b, tps=TPS_A)
    assert unconfirmed.status_code == 422 and soup_of_error(unconfirmed) == "not_confirmed"
    assert old_phone.get("/petugas/kpps").status_code == 200  # nothing changed

    second = codes_on(soup_of(issue(b, tps=TPS_A, yakin="ya")))
    assert list(second) == [TPS_A] and second[TPS_A] != first[TPS_A]
    assert old_phone.get("/petugas/kpps").headers.get("location") == "/petugas/masuk"
    api = officers.browser().post("/api/v1/auth/activate", json={"code": first[TPS_A]})
    assert api.status_code == 401 and api.json()["code"] == "code_revoked"
    assert not activates(officers, first[TPS_A])
    assert activates(officers, second[TPS_A])
    assert phone.get("/petugas/kpps").status_code == 200
    ours = [e.subject for e in entries(officers, "code_issued") if e.actor == "kpu.jakbar"]
    assert ours == [TPS_A, TPS_A]  # the refused reissue wrote nothing


def test_revoking_a_tps_devices_refuses_its_device_token(officers: Office) -> None:
    b = kpu(officers)
    token = officers.device_token(TPS_A)
    bearer = {"Authorization": f"Bearer {token}"}
    assert b.get("/api/v1/me", headers=bearer).status_code == 200  # resolved, so cached

    assert b.post(f"/petugas/kode/tps/{TPS_A}/cabut").status_code == 422  # no confirmation: nothing revoked
    assert b.get("/api/v1/me", headers=bearer).status_code == 200

    r = b.post(f"/petugas/kode/tps/{TPS_A}/cabut", data={"yakin": "ya"})
    assert r.status_code == 303
    assert r.headers["location"].startswith(f"/petugas/kode/{DESA_A}?dicabut={TPS_A}")
    refused = b.get("/api/v1/me", headers=bearer)
    assert refused.status_code == 401 and refused.json()["code"] == "bad_token"
    done = b.soup(r.headers["location"])
    assert "TPS 001: 1 ponsel dicabut" in done.select_one("p.done").get_text()
    [entry] = entries(officers, "devices_revoked")
    assert (entry.actor, entry.actor_role, entry.subject) == ("kpu.jakbar", "kpu", TPS_A)


def test_disabling_a_staff_account_ends_its_session_and_login(officers: Office) -> None:
    b = kpu(officers)
    pps = officers.staff("pps.angke", Role.PPS, DESA_A)
    with officers.sessions() as s, s.begin():
        create_staff(s, "pps.bogor", PASSWORD, Role.PPS, "32.01.01.2001")  # another kab/kota
    staff = b.soup("/petugas/kode").select("#staf li")
    assert [li["data-username"] for li in staff] == ["pps.angke"]  # only the region's, never themselves

    outside = b.post("/petugas/kode/staf/pps.bogor/nonaktifkan", data={"yakin": "ya"})
    assert outside.status_code == 403 and soup_of_error(outside) == "out_of_scope"
    r = b.post("/petugas/kode/staf/pps.angke/nonaktifkan", data={"yakin": "ya"})
    assert r.status_code == 303
    assert "pps.angke" in b.soup(r.headers["location"]).select_one("p.done").get_text()

    assert pps.get("/petugas/pps").headers.get("location") == "/petugas/masuk"
    again = officers.browser().post("/petugas/masuk", data={"username": "pps.angke", "password": PASSWORD})
    assert again.status_code == 403 and soup_of_error(again) == "account_disabled"
    [entry] = entries(officers, "staff_disabled")
    assert (entry.actor, entry.actor_role, entry.subject) == ("kpu.jakbar", "kpu", "petugas:pps.angke")


def test_every_form_of_the_page_without_its_csrf_token_is_refused(officers: Office) -> None:
    b = kpu(officers)
    officers.staff("pps.angke", Role.PPS, DESA_A)
    token = officers.device_token(TPS_A)  # codes for the desa's two TPS, one of them used
    desa = b.soup(f"/petugas/kode/{DESA_A}")
    forms = [*desa.select("form[method=post]"), *b.soup("/petugas/kode").select("form[method=post]")]
    actions = {f["action"] for f in forms}
    assert {f"/petugas/kode/{DESA_A}/terbitkan", f"/petugas/kode/tps/{TPS_A}/cabut",
            "/petugas/kode/staf/pps.angke/nonaktifkan"} <= actions  # fmt: skip
    assert all(f.select_one("input[name=csrf_token]")["value"] for f in forms)
    for action in sorted(actions - {"/petugas/keluar"}):
        r = b.post(action, data={"yakin": "ya", "bentuk": "cetak"}, headers=NO_TOKEN)
        assert r.status_code == 403 and soup_of_error(r) == "csrf_token", action
    with officers.sessions() as s:
        codes = s.scalars(select(ActivationCodeRow.revoked_at)).all()
        assert codes == [None, None]  # no code issued or revoked
        assert s.get(StaffRow, "pps.angke").disabled_at is None  # type: ignore[union-attr]
    assert b.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    done = [e for a in ("code_issued", "devices_revoked", "staff_disabled") for e in entries(officers, a)]
    assert [e.action for e in done if e.actor == "kpu.jakbar"] == []
