"""Officers' pages under `/petugas`: log in (staff) or activate a phone (KPPS), then each role's own page.

`build_officer_router()` returns one router; each role's routes live in their own module (`kpps`, `review`,
`keying`, `practice`, `salinan`) and are added by its `register(router)`. Every handler runs through
`officer_common.guarded`, so the error tree of `tally.errors` becomes a page an officer can act on.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from tally.auth.scope import Role
from tally.auth.service import activate, login, revoke
from tally.web.keying import register as register_keying
from tally.web.kpps import register as register_kpps
from tally.web.officer_common import COOKIE, guarded, page, principal, see_other, services_of, set_session
from tally.web.practice import register as register_practice
from tally.web.review import register as register_review
from tally.web.salinan import register as register_salinan

HOME = {
    Role.KPPS: "/petugas/kpps",
    Role.PPS: "/petugas/pps",
    Role.PPK: "/petugas/rekap",
    Role.KPU: "/petugas/rekap",
}


def build_officer_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/petugas", response_class=HTMLResponse)
    def home(request: Request) -> Response:
        return guarded(request, lambda: see_other(HOME[principal(request).role]))

    @router.get("/petugas/masuk", response_class=HTMLResponse)
    def login_page(request: Request) -> Response:
        return page(request, "officer/login.html")

    @router.post("/petugas/masuk")
    def login_post(
        request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()]
    ) -> Response:
        def go() -> Response:
            with services_of(request).sessions() as s, s.begin():
                token, who = login(s, username.strip(), password)
            response = see_other(HOME[who.role])
            set_session(request, response, token)
            return response

        return guarded(request, go)

    @router.post("/petugas/aktivasi")
    def activate_post(request: Request, kode: Annotated[str, Form()]) -> Response:
        def go() -> Response:
            with services_of(request).sessions() as s, s.begin():
                token, _ = activate(s, kode)
            response = see_other(HOME[Role.KPPS])
            set_session(request, response, token)
            return response

        return guarded(request, go)

    @router.post("/petugas/keluar")
    def logout(request: Request) -> Response:
        def go() -> Response:
            who = principal(request)
            services = services_of(request)
            with services.sessions() as s, s.begin():
                revoke(s, who.token_hash)
            services.forget(who.token_hash)
            response = see_other("/petugas/masuk")
            response.delete_cookie(COOKIE, path="/")
            return response

        return guarded(request, go)

    for register in (register_kpps, register_review, register_keying, register_practice, register_salinan):
        register(router)
    return router
