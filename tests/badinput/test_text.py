"""Malformed JSON, awkward Unicode (NFC/NFD, RTL, emoji, NUL, lone surrogates) and SQL/HTML injection in
every text an officer or a stranger can send: each answer is a clear 4xx in Bahasa Indonesia (or an
ordinary refusal such as a wrong login), never a 5xx, nothing half-written, and any echo in a page escaped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from badinput.corpus import INJECTIONS, UNICODE
from support.footprint import footprint, is_bahasa
from support.world import PASSWORD, TPS_A, World, read_tps_a_with_a_doubt, world
from tally.db.audit import AuditEntry
from tally.settings import Settings

TEXTS = INJECTIONS + UNICODE
MALFORMED_JSON = [
    b"",
    b"{",
    b'{"username": "pps"',
    b"[]",
    b"null",
    b'"just a string"',
    b'{"username": 5, "password": []}',
    b"\xff\xfe{\x00}\x00",  # not UTF-8
    b'{"username": "\\ud800", "password": "\\udfff"}',  # lone surrogates, valid JSON escapes
    b"[" * 5000 + b"]" * 5000,  # deep nesting
    b'{"username": "' + b"A" * 2_000_000 + b'", "password": "x"}',  # 2 MB string
]


# Hundreds of refused logins and activations from one address: the guessing limits (tests/authz/
# test_guessing.py) would answer them 429 before the text is even looked at, so they are opened wide here.
WIDE_OPEN = {
    "client_failures_burst": 100_000,
    "code_prefix_failures_burst": 100_000,
    "login_lock_after": 100_000,
}


@pytest.fixture
def w(settings: Settings) -> Iterator[World]:
    with world(settings, **WIDE_OPEN) as it:
        yield it


def _clear(r, allowed: tuple[int, ...] = (400, 401, 404, 409, 413, 422)) -> str | None:  # type: ignore[no-untyped-def]
    if r.status_code not in allowed:
        return f"{r.status_code} {r.text[:160]!r}"
    body = r.json()
    if not is_bahasa(body.get("message", "")):
        return f"not Bahasa: {body}"
    return None


def test_malformed_json_to_every_json_endpoint_is_a_clear_4xx(w: World) -> None:
    before = footprint(w)
    wrong = []
    for url in ("/api/v1/auth/login", "/api/v1/auth/activate"):
        for raw in MALFORMED_JSON:
            r = w.client.post(url, content=raw, headers={"Content-Type": "application/json"})
            if problem := _clear(r):
                wrong.append(f"{url} {raw[:40]!r}: {problem}")
    assert not wrong, "\n".join(wrong)
    assert footprint(w) == before


def test_odd_text_in_credentials_is_refused_cleanly(w: World) -> None:
    before = footprint(w)
    wrong = []
    for text in TEXTS:
        for url, body in (
            ("/api/v1/auth/login", {"username": text, "password": text}),
            ("/api/v1/auth/login", {"username": "pps", "password": text}),
            ("/api/v1/auth/activate", {"code": text}),
        ):
            raw = json.dumps(body).encode()  # ASCII-escaped: also carries the lone surrogate
            r = w.client.post(url, content=raw, headers={"Content-Type": "application/json"})
            if problem := _clear(r):
                wrong.append(f"{url} {text[:30]!r}: {problem}")
    assert not wrong, "\n".join(wrong)
    assert footprint(w) == before


def test_odd_text_in_every_path_parameter_and_header_is_refused_cleanly(w: World) -> None:
    before = footprint(w)
    wrong = []
    for text in TEXTS:
        part = quote(text.encode("utf-8", "surrogatepass"), safe="")
        for url in (
            f"/api/v1/tps/{part}",
            f"/api/v1/regions/{part}/recap",
            f"/api/v1/regions/{part}/pending",
            f"/api/v1/photos/{part}",
        ):
            if problem := _clear(w.client.get(url, headers=w.headers("kpu")), (403, 404, 422)):
                wrong.append(f"GET {url[:60]}: {problem}")
        r = w.client.post(f"/api/v1/regions/{part}/activation-codes", headers=w.headers("kpu"))
        if problem := _clear(r, (403, 404, 422)):
            wrong.append(f"codes {text[:30]!r}: {problem}")
        header = text.encode("utf-8", "surrogatepass").replace(b"\x00", b"")  # raw bytes, as a client may
        r = w.client.post(
            "/api/v1/auth/activate", json={"code": "AAAAA-BBBBB"}, headers=[(b"Idempotency-Key", header)]
        )
        if problem := _clear(r, (401, 422)):
            wrong.append(f"Idempotency-Key {text[:30]!r}: {problem}")
    nul_sha = quote("0" * 63 + "\x00")  # passes the 64-character length check, then reaches the database
    for url in (f"/api/v1/photos/{nul_sha}", f"/api/v1/photos/{nul_sha}/readings"):
        if problem := _clear(w.client.get(url, headers=w.headers("kpu")), (404,)):
            wrong.append(f"GET {url}: {problem}")
    assert not wrong, "\n".join(wrong)
    assert footprint(w) == before


def _no_markup_from(html: str, payload: str) -> bool:
    soup = BeautifulSoup(html, "html.parser")
    scripts = [s for s in soup.find_all("script") if "alert" in s.get_text()]
    handlers = [t for t in soup.find_all(True) if any(a.startswith("on") for a in t.attrs)]
    return not scripts and not handlers and "{{" not in payload or "49" not in soup.get_text()


def test_text_echoed_in_officer_and_public_pages_is_escaped(w: World) -> None:
    kpps = {"Cookie": f"tally_sesi={w.tokens['kpps']}"}
    pps = {"Cookie": f"tally_sesi={w.tokens['pps']}"}
    echoed = 0
    for text in INJECTIONS:
        pages = [
            w.client.post(
                "/petugas/kpps/usul", data={"kolom": text, "angka": "1", "alasan": text}, headers=kpps
            ),
            w.client.post("/petugas/kpps/usul", data={"kolom": "suara_sah", "angka": text}, headers=kpps),
            w.client.post(
                f"/petugas/pps/tps/{TPS_A}/periksa", data={"kolom": text, "angka": "1"}, headers=pps
            ),
            w.client.post("/petugas/masuk", data={"username": text, "password": text}),
            w.client.get(f"/wilayah/{quote(text, safe='')}"),
            w.client.get(f"/tps/{quote(text, safe='')}"),
            w.client.get("/outlier", params={"wilayah": text}),
            w.client.get("/", params={"kontes": text[:40]}),
        ]
        for r in pages:
            assert r.status_code < 500, (text, r.request.url, r.status_code)
            if not r.headers.get("content-type", "").startswith("text/html"):
                continue
            assert _no_markup_from(r.text, text), (text, r.request.url, r.text[:500])
            if "<script>" in text:
                assert text not in r.text, (r.request.url, "raw payload in the page")
                echoed += "&lt;script&gt;" in r.text
    assert echoed > 0  # some page did echo the payload (escaped): the check above had something to check


def test_a_correction_reason_with_markup_is_shown_escaped_to_the_pps(w: World) -> None:
    field = read_tps_a_with_a_doubt(w)
    kpps = {"Cookie": f"tally_sesi={w.tokens['kpps']}"}
    pps = {"Cookie": f"tally_sesi={w.tokens['pps']}"}
    payload = INJECTIONS[0] + INJECTIONS[1]
    r = w.client.post(
        "/petugas/kpps/usul", data={"kolom": field, "angka": "8", "alasan": payload}, headers=kpps
    )
    assert r.status_code == 303, r.text[:300]
    page = w.client.get(f"/petugas/pps/tps/{TPS_A}", headers=pps)
    assert page.status_code == 200
    assert "&lt;script&gt;" in page.text and payload not in page.text  # shown, as text
    assert _no_markup_from(page.text, payload)


NUL_PAGES = [
    "/wilayah/%00", "/tps/%00", "/ekspor/%00.csv", "/ekspor/tps/%00.json", "/static/%00.css",
    "/outlier?wilayah=%00", "/?kontes=%00", "/wilayah/31?kontes=a%00b", "/salinan/%00.pdf",
    "/petugas/pps/tps/%00", "/petugas/potongan/%00/suara_sah.png", f"/petugas/potongan/{'a' * 63}%00/x.png",
]  # fmt: skip


def test_a_nul_in_a_page_address_is_a_404_not_a_server_error(w: World) -> None:
    pps = {"Cookie": f"tally_sesi={w.tokens['pps']}"}
    answers = {url: w.client.get(url, headers=pps).status_code for url in NUL_PAGES}
    assert answers == dict.fromkeys(NUL_PAGES, 404)
    forms = [
        w.client.post("/petugas/masuk", data={"username": "a\x00b", "password": "x"}),
        w.client.post("/petugas/aktivasi", data={"kode": "a\x00b"}),
    ]
    assert [r.status_code for r in forms] == [401, 401]  # the login page again, saying why
    assert all(is_bahasa(r.text) and "\x00" not in r.text for r in forms)
    page = w.client.get("/petugas/kpps", headers={"Cookie": "tally_sesi=a\x00b"})
    assert page.headers.get("location") == "/petugas/masuk"


def test_a_wrong_password_or_code_says_why_beside_its_form_not_a_silent_redirect(w: World) -> None:
    """Issue 16: a wrong code or password sent the officer back to an empty login page with no word."""
    wrong = w.client.post("/petugas/masuk", data={"username": "pps", "password": "salah-sekali"})
    assert wrong.status_code == 401
    soup = BeautifulSoup(wrong.text, "html.parser")
    said = soup.select_one("#staf-masuk [role=alert]")
    assert said is not None and is_bahasa(said.text) and "salah-sekali" not in wrong.text
    assert soup.select_one("#username")["value"] == "pps"  # kept, so only the password is typed again
    code = w.client.post("/petugas/aktivasi", data={"kode": "ZZZZZ-ZZZZZ"})
    assert code.status_code == 401 and BeautifulSoup(code.text, "html.parser").select_one(
        "#kpps-aktivasi [role=alert]"
    )


ODD_NUMBERS = ["²", "٣", "１２", "1" * 19, "12345678", "-1", "1e3", "0x10", "", " "]


def test_only_ascii_digits_are_numbers_and_anything_else_is_a_clear_422(w: World) -> None:
    """`angka="²"` and 19-digit numbers answered 5xx; `٣` and `１２` were taken as 3 and 12."""
    field = read_tps_a_with_a_doubt(w)
    kpps = {"Cookie": f"tally_sesi={w.tokens['kpps']}"}
    pps = {"Cookie": f"tally_sesi={w.tokens['pps']}"}
    before = footprint(w)
    wrong = []
    for text in ODD_NUMBERS:
        for url, data, headers in (
            ("/petugas/kpps/usul", {"kolom": field, "angka": text}, kpps),
            (f"/petugas/pps/tps/{TPS_A}/periksa", {"kolom": field, "angka": text}, pps),
        ):
            r = w.client.post(url, data=data, headers=headers)
            soup = BeautifulSoup(r.text, "html.parser")
            if r.status_code != 422 or not is_bahasa(soup.get_text(" ")):
                wrong.append(f"{url} {text!r}: {r.status_code} {r.text[:120]!r}")
    assert not wrong, "\n".join(wrong)
    assert footprint(w) == before


def test_a_nul_in_a_correction_reason_is_a_clear_422_on_both_engines(w: World) -> None:
    field = read_tps_a_with_a_doubt(w)
    before = footprint(w)
    kpps = {"Cookie": f"tally_sesi={w.tokens['kpps']}"}
    r = w.client.post(
        "/petugas/kpps/usul", data={"kolom": field, "angka": "8", "alasan": "a\x00b"}, headers=kpps
    )
    assert r.status_code == 422 and "alasan" in r.text.lower(), r.text[:300]
    assert footprint(w) == before


def test_a_cr_lf_in_an_export_address_never_reaches_a_header(w: World) -> None:
    """The raw path went into Content-Disposition: a real server (h11) refuses a header with CR LF, a 500."""
    for url in ("/ekspor/31%0D%0A.csv", "/ekspor/%0D%0ASet-Cookie:%20a=b.csv", "/ekspor/tps/%0D%0A.csv"):
        r = w.client.get(url)
        assert r.status_code < 500, (url, r.status_code)
        broken = {k: v for k, v in r.headers.items() if "\r" in v or "\n" in v}
        assert not broken and "set-cookie" not in r.headers, (url, broken)


def _login_origin(w: World, http: httpx.AsyncClient, **headers: str) -> str:
    body = {"username": "ppk", "password": PASSWORD}
    r = w.client.portal.call(lambda: http.post("/api/v1/auth/login", json=body, headers=headers))
    assert r.status_code == 201, r.text
    with w.sessions() as s:
        stmt = select(AuditEntry).where(AuditEntry.action == "login").order_by(AuditEntry.seq.desc())
        entry = s.scalars(stmt).first()
    assert entry is not None
    return entry.origin


def test_x_forwarded_for_is_believed_only_from_a_configured_proxy(settings: Settings) -> None:
    """The audit origin (and the per-client limits) took X-Forwarded-For from anyone."""
    forged = {"X-Forwarded-For": "203.0.113.50"}
    with world(settings, trusted_proxies=["10.9.9.9"]) as w:
        direct = w.client.http  # connects from 127.0.0.1: not the proxy
        assert _login_origin(w, direct, **forged) == "127.0.0.1"
        transport = httpx.ASGITransport(app=w.app, client=("10.9.9.9", 4321))
        proxy = httpx.AsyncClient(transport=transport, base_url="http://tally.test")
        assert _login_origin(w, proxy, **forged) == "203.0.113.50"
        w.client.portal.call(proxy.aclose)


def test_a_malformed_officer_form_answers_a_page_in_bahasa_not_json(w: World) -> None:
    """Found in review: a form with a field missing or of the wrong kind answered FastAPI JSON to an officer,
    and any decision but "setujui" (a typo) rejected a proposed change for good."""
    pps = {"Cookie": f"tally_sesi={w.tokens['pps']}"}
    for url, data in [
        ("/petugas/pps/perubahan/abc", {"keputusan": "setujui"}),
        (f"/petugas/pps/tps/{TPS_A}/periksa", {}),
    ]:
        r = w.client.post(url, data=data, headers=pps)
        assert (
            r.status_code == 422 and r.headers["content-type"].startswith("text/html") and is_bahasa(r.text)
        )
    r = w.client.post("/petugas/pps/perubahan/999999", data={"keputusan": "setuju"}, headers=pps)
    assert r.status_code == 422 and "Setujui atau Tolak" in r.text


def test_a_change_number_beyond_a_bigint_is_a_clear_4xx_not_a_server_error(w: World) -> None:
    """Found by the OpenAPI fuzz: `POST /api/v1/changes/{id}` with an id past BIGINT answered 500 (the
    database's overflow); the page's decision route had the same hole."""
    huge = 2**70
    api = w.client.post(f"/api/v1/changes/{huge}", json={"approve": True}, headers=w.headers("pps"))
    pps = {"Cookie": f"tally_sesi={w.tokens['pps']}"}
    page = w.client.post(f"/petugas/pps/perubahan/{huge}", data={"keputusan": "setujui"}, headers=pps)
    assert api.status_code == 422 and api.json()["code"] == "invalid_request"
    assert page.status_code == 422 and is_bahasa(page.text)
    missing = w.client.post("/api/v1/changes/1", json={"approve": True}, headers=w.headers("pps"))
    assert missing.status_code == 404
