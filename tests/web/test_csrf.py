"""CSRF (issue 14 #3): a state-changing officer request passes only from Tally's own origin and with the
form's token; login and activation too. Requests here are sent raw, as another page would send them: no
helper adds the token (tests/intake/conftest.py's `with_form_token` does, for the other tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from support.world import PASSWORD, TPS_A, TPS_C, World, world
from tally.db.intake import ActivationCodeRow
from tally.db.review import ReviewChangeRow
from tally.settings import Settings
from tally.web.officer_common import entry_form, session_form

OURS = "http://tally.test"
Send = Callable[..., httpx.Response]


@pytest.fixture
def w(settings: Settings) -> Iterator[World]:
    with world(settings) as it:
        yield it


@pytest.fixture
def raw(w: World) -> Iterator[Send]:
    """A browser of its own (its own cookie jar), sending exactly what it is given."""
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=w.app), base_url=OURS)

    def send(method: str, url: str, **kw: Any) -> httpx.Response:
        return w.client.portal.call(lambda: http.request(method, url, **kw))

    yield send
    w.client.portal.call(http.aclose)


def _cookie(w: World, role: str) -> dict[str, str]:
    return {"Cookie": f"tally_sesi={w.tokens[role]}"}


def _form_token(r: httpx.Response) -> str:
    soup = BeautifulSoup(r.text, "html.parser")
    field = soup.select_one('form[method=post] input[name="csrf_token"]')
    assert field is not None, r.text[:400]
    return str(field["value"])


def _changes(w: World) -> int:
    with w.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(ReviewChangeRow)) or 0)


def _propose(raw: Send, w: World, token: str | None, **headers: str) -> httpx.Response:
    data = {"kolom": "suara_sah", "angka": "12", "alasan": "uji"}
    if token is not None:
        data["csrf_token"] = token
    return raw("POST", "/petugas/kpps/usul", data=data, headers={**_cookie(w, "kpps"), **headers})


def test_every_post_form_of_an_officer_page_carries_the_sessions_token_and_htmx_sends_it(
    w: World, raw: Send
) -> None:
    for role, url in (
        ("kpps", "/petugas/kpps"),
        ("pps", f"/petugas/pps/tps/{TPS_A}"),
        ("ppk", "/petugas/rekap"),
    ):
        r = raw("GET", url, headers=_cookie(w, role))
        soup = BeautifulSoup(r.text, "html.parser")
        forms = soup.select("form[method=post]")
        assert forms, url
        tokens = {str(f.select_one('input[name="csrf_token"]')["value"]) for f in forms}  # type: ignore[index]
        assert len(tokens) == 1, url
        assert f'"X-CSRF-Token": "{tokens.pop()}"' in str(soup.body["hx-headers"]), url  # type: ignore[index]
    assert _form_token(raw("GET", "/petugas/kpps", headers=_cookie(w, "kpps"))) != _form_token(
        raw("GET", "/petugas/pps", headers=_cookie(w, "pps"))
    )  # one token per session


def test_a_post_with_the_token_from_our_own_origin_is_accepted(w: World, raw: Send) -> None:
    token = _form_token(raw("GET", "/petugas/kpps", headers=_cookie(w, "kpps")))
    before = _changes(w)
    r = _propose(raw, w, token, Origin=OURS)
    assert r.status_code == 303, r.text[:300]
    r = _propose(raw, w, token, Referer=f"{OURS}/petugas/kpps")  # a browser that sends no Origin
    assert r.status_code == 303, r.text[:300]
    r = raw(
        "POST",
        "/petugas/kpps/usul",
        data={"kolom": "suara_sah", "angka": "13"},
        headers={**_cookie(w, "kpps"), "Origin": OURS, "X-CSRF-Token": token},  # htmx: the header
    )
    assert r.status_code == 303, r.text[:300]
    assert _changes(w) == before + 3


@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.tally.test",
        "http://tally.test:8080",
        "https://tally.test",
        "null",
        "http://tally.test.evil",
    ],
)
def test_a_post_from_a_sibling_subdomain_another_port_or_scheme_is_refused(
    w: World, raw: Send, origin: str
) -> None:
    token = _form_token(raw("GET", "/petugas/kpps", headers=_cookie(w, "kpps")))
    before = _changes(w)
    r = _propose(raw, w, token, Origin=origin)
    assert r.status_code == 403, (origin, r.status_code)
    assert r.headers["content-type"].startswith("text/html")
    error = BeautifulSoup(r.text, "html.parser").select_one("p.error")
    assert error is not None and error["data-code"] == "cross_origin" and "Permintaan ditolak" in error.text
    if origin != "null":
        r = _propose(raw, w, token, Referer=f"{origin}/halaman-jahat")  # no Origin: the Referer decides
        assert r.status_code == 403, (origin, r.status_code)
    assert _changes(w) == before


def test_a_post_without_the_token_or_with_another_sessions_token_is_refused(w: World, raw: Send) -> None:
    other = _form_token(raw("GET", "/petugas/pps", headers=_cookie(w, "pps")))
    before = _changes(w)
    for token in (None, "", other, "0" * 64):
        r = _propose(raw, w, token, Origin=OURS)
        assert r.status_code == 403, (token, r.status_code)
        error = BeautifulSoup(r.text, "html.parser").select_one("p.error")
        assert error is not None and error["data-code"] == "csrf_token"
        assert "halaman kedaluwarsa, muat ulang" in error.text.replace(".", ",").lower()
    assert _changes(w) == before


def test_a_cross_site_or_tokenless_login_is_refused_and_sets_no_session(w: World, raw: Send) -> None:
    creds = {"username": "ppk", "password": PASSWORD}
    page = raw("GET", "/petugas/masuk")
    assert "tally_prasesi=" in page.headers["set-cookie"] and "HttpOnly" in page.headers["set-cookie"]
    token = _form_token(page)
    r = raw("POST", "/petugas/masuk", data=creds, headers={"Origin": "http://evil.tally.test"})
    assert r.status_code == 403 and "tally_sesi" not in r.headers.get("set-cookie", "")
    for forged in ("x" * 43, ""):  # the attacker's page cannot read the victim's pre-session cookie
        r = raw("POST", "/petugas/masuk", data={**creds, "csrf_token": forged}, headers={"Origin": OURS})
        assert r.status_code == 403 and "tally_sesi" not in r.headers.get("set-cookie", "")
    r = raw(
        "POST",
        "/petugas/masuk",
        data={**creds, "csrf_token": token},
        headers={"Origin": "http://evil.tally.test"},
    )
    assert r.status_code == 403  # the right token, the wrong origin
    r = raw("POST", "/petugas/masuk", data={**creds, "csrf_token": token}, headers={"Origin": OURS})
    assert r.status_code == 303 and "tally_sesi=" in r.headers["set-cookie"]


def test_a_cross_site_activation_is_refused_and_leaves_the_code_unused(w: World, raw: Send) -> None:
    code = w.new_code(TPS_C)
    token = _form_token(raw("GET", "/petugas/masuk"))
    for headers, data in (
        ({"Origin": "http://evil.tally.test"}, {"kode": code, "csrf_token": token}),
        ({"Origin": OURS}, {"kode": code}),
    ):
        r = raw("POST", "/petugas/aktivasi", data=data, headers=headers)
        assert r.status_code == 403 and "tally_sesi" not in r.headers.get("set-cookie", "")
    with w.sessions() as s:
        assert s.scalar(select(func.count()).where(ActivationCodeRow.used_at.is_not(None))) == 0
    r = raw("POST", "/petugas/aktivasi", data={"kode": code, "csrf_token": token}, headers={"Origin": OURS})
    assert r.status_code == 303 and r.headers["location"] == "/petugas/kpps"


def _depends_on(route: APIRoute, calls: set[object]) -> bool:
    stack = list(route.dependant.dependencies)
    while stack:
        d = stack.pop()
        if d.call in calls:
            return True
        stack += d.dependencies
    return False


def test_every_state_changing_page_route_checks_origin_and_token(w: World) -> None:
    unsafe = []
    for route in w.app.router.routes:
        contexts = route.effective_route_contexts() if hasattr(route, "effective_route_contexts") else []
        for ctx in contexts:
            original = ctx.original_route
            if not isinstance(original, APIRoute) or ctx.path_format.startswith("/api/"):
                continue
            if original.methods - {"GET", "HEAD", "OPTIONS"}:
                unsafe.append(ctx.path_format)
                assert _depends_on(original, {session_form, entry_form}), ctx.path_format
    assert len(unsafe) >= 9
