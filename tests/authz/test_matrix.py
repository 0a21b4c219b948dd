"""Every role × every route × in-scope / out-of-scope target → the expected allow or deny, on SQLite and
PostgreSQL. The route list comes from the app itself, so a new endpoint cannot slip past unclassified."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, _IncludedRouter
from starlette.routing import Route

from authz.matrix import ROUTES, Access, Call, allowed, scoped
from support.world import ROLES, World, world
from tally.bootstrap import create_app
from tally.settings import Settings


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route the app answers, included routers flattened; HEAD rides on GET."""
    found: set[tuple[str, str]] = set()

    def add(methods: set[str] | None, path: str) -> None:
        for m in methods or {"GET"}:
            if m != "HEAD":
                found.add((m, path))

    for route in app.routes:
        if isinstance(route, _IncludedRouter):
            for ctx in route.effective_route_contexts():
                original = ctx.original_route
                assert isinstance(original, APIRoute | Route), f"unexpected route kind {original!r}"
                add(original.methods, ctx.path_format)
        elif isinstance(route, APIRoute | Route):
            add(route.methods, route.path)
        else:
            raise AssertionError(f"a route the matrix cannot see into: {route!r}")
    return found


@pytest.fixture
def w(settings: Settings) -> Iterator[World]:
    with world(settings) as it:
        yield it


def send(w: World, role: str, call: Call) -> httpx.Response:
    kw = dict(call.kw)
    token = w.fresh_token(role) if kw.pop("token", None) == "fresh" and role != "anon" else None
    cookie = w.cookies(role, token)
    if call.cookie:  # as a header: httpx deprecates per-request cookies
        auth = {"Cookie": f"tally_sesi={cookie['tally_sesi']}"} if cookie else {}
    else:
        auth = w.headers(role, token)
    kw["headers"] = {**auth, **kw.get("headers", {})}
    w.client.http.cookies.clear()
    return w.client.request(call.method, call.url, **kw)


def denied(r: httpx.Response) -> bool:
    if r.status_code in (401, 403):
        return True
    to_login = r.status_code == 303 and r.headers.get("location") == "/petugas/masuk"
    logged_out = "tally_sesi=" in r.headers.get("set-cookie", "")  # a logout also lands on the login page
    return to_login and not logged_out


def test_every_route_is_classified(sqlite_url: str, tmp_path: Path) -> None:
    app = create_app(Settings(environment="test", database_url=sqlite_url, data_dir=tmp_path), workers=0)
    unclassified = sorted(app_routes(app) - set(ROUTES))
    assert not unclassified, (
        f"routes missing from tests/authz/matrix.py ROUTES (say who may call them): {unclassified}"
    )
    stale = sorted(set(ROUTES) - app_routes(app))
    assert not stale, f"ROUTES names routes the app no longer has: {stale}"


def test_each_role_is_allowed_or_denied_exactly_as_the_matrix_says(w: World) -> None:
    wrong = []
    checked = 0
    for (method, path), (access, build) in sorted(ROUTES.items(), key=lambda kv: kv[0]):
        # An entry route carries its own credentials; a token beside them changes nothing, so two callers
        # suffice there (each login costs an Argon2 verify).
        for role in ("anon", "kpps") if access is Access.ENTRY else ROLES:
            for inside in (True, False) if scoped(access) else (True,):
                r = send(w, role, build(w, role, inside))
                checked += 1
                assert r.status_code < 500, (method, path, role, inside, r.status_code, r.text[:300])
                expect = allowed(access, role, inside)
                if denied(r) == expect:
                    where = "in" if inside else "out"
                    wrong.append(f"{method} {path} as {role} ({where}): {r.status_code} {r.text[:120]!r}")
    assert not wrong, "\n".join(wrong)
    assert checked >= len(ROUTES) * 2


def test_a_denied_api_answer_says_why_in_bahasa_indonesia(w: World) -> None:
    r = w.client.get(f"/api/v1/tps/{'3173041008001'}", headers=w.headers("kpps"))
    assert r.status_code == 403 and r.json()["code"] == "out_of_scope"
    assert "tidak berwenang" in r.json()["message"]
    r = w.client.get("/api/v1/me")
    assert r.status_code == 401 and "masuk" in r.json()["message"]
