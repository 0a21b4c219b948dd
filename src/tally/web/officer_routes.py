"""Officers' pages under `/petugas`: log in (staff) or activate a phone (KPPS), then each role's own page.

`router` is the one officer router: these entry routes, and each role's routes from its own module (`kpps`,
`review`, `keying`, `officials`, `practice`, `salinan`). It is tagged `OFFICER_PAGES`, so the error tree of
`tally.errors` becomes a page an officer can act on (`tally.web.errors`). Every state-changing route carries
`SessionForm` or `EntryForm` (same origin, the form's CSRF token: `tally.web.csrf`).
"""

from __future__ import annotations

from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from tally.api.deps import client_of
from tally.auth.scope import Principal, Role
from tally.auth.service import activate, login, revoke
from tally.errors import TallyError, Unauthorized
from tally.web.errors import LOGIN, LOGIN_NOTICES, NOTICE
from tally.web.keying import router as keying_routes
from tally.web.kpps import router as kpps_routes
from tally.web.officer_common import (
    COOKIE,
    EntryForm,
    Officer,
    SessionForm,
    page,
    see_other,
    services_of,
    set_session,
)
from tally.web.officials import router as officials_routes
from tally.web.pages import OFFICER_PAGES
from tally.web.practice import router as practice_routes
from tally.web.review import router as review_routes
from tally.web.salinan import router as salinan_routes

HOME = {
    Role.KPPS: "/petugas/kpps",
    Role.PPS: "/petugas/pps",
    Role.PPK: "/petugas/rekap",
    Role.KPU: "/petugas/rekap",
}

router = APIRouter(include_in_schema=False, tags=[OFFICER_PAGES])


def _staff_session(request: Request) -> Principal | None:
    """The staff officer already logged in in this browser, if any (named on a code activated here)."""
    token = request.cookies.get(COOKIE, "")
    if not token:
        return None
    try:
        who = services_of(request).principal(token)
    except TallyError:
        return None
    return who if who.role is not Role.KPPS else None


@router.get("/petugas", response_class=HTMLResponse)
def home(who: Officer) -> Response:
    return see_other(HOME[who.role])


@router.get("/petugas/masuk", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    """The login page; after a redirect from an officer page, with why (`tally.web.errors`), shown once."""
    notice = LOGIN_NOTICES.get(request.cookies.get(NOTICE, ""), "")
    response = page(request, "officer/login.html", notice=notice)
    if notice:
        response.delete_cookie(NOTICE, path=LOGIN)
    return response


@router.post("/petugas/masuk", dependencies=[EntryForm])
async def login_post(
    request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()]
) -> Response:
    services, client = services_of(request), client_of(request)
    services.guard.check_client(client)

    def check() -> tuple[str, Principal]:
        with services.sessions() as s, s.begin():
            return login(s, username.strip(), password, policy=services.policy, origin=client)

    with services.guard.password_slot():
        try:
            token, who = await services.guard.check_password(check)  # the guard's threads, as the API
        except Unauthorized as refused:
            services.guard.failed_login(client)
            typed = "".join(c for c in username.strip()[:64] if c.isprintable())  # echoed: no NUL, CR, LF
            return _refused(request, refused, username=typed)
    response = see_other(HOME[who.role])
    set_session(request, response, token)
    return response


@router.post("/petugas/aktivasi", dependencies=[EntryForm])
async def activate_post(request: Request, kode: Annotated[str, Form()]) -> Response:
    services, client = services_of(request), client_of(request)
    services.guard.check_code(client, kode)

    def exchange() -> str:
        by = _staff_session(request)
        with services.sessions() as s, s.begin():
            token, _ = activate(s, kode, by=by, origin=client, policy=services.policy)
        return token

    try:
        token = await to_thread.run_sync(exchange)
    except Unauthorized as refused:
        services.guard.failed_code(client, kode)
        return _refused(request, refused, section="kpps-aktivasi")
    response = see_other(HOME[Role.KPPS])
    set_session(request, response, token)
    return response


def _refused(
    request: Request, refused: Unauthorized, section: str = "staf-masuk", username: str = ""
) -> Response:
    """The login page again with the reason (a wrong code or password is not an expired session: say why,
    beside the form that was used, and keep the username typed; never the password or the code)."""
    return page(
        request, "officer/login.html", status=401, refused=refused.message, section=section, username=username
    )


@router.post("/petugas/keluar", dependencies=[SessionForm])
def logout(request: Request, who: Officer) -> Response:
    services = services_of(request)
    with services.sessions() as s, s.begin():
        revoke(s, who.token_hash)
    services.forget(who.token_hash)
    response = see_other("/petugas/masuk")
    response.delete_cookie(COOKIE, path="/")
    return response


for _routes in (kpps_routes, review_routes, keying_routes, officials_routes, practice_routes, salinan_routes):
    router.include_router(_routes)
