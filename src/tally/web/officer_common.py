"""What every officer page shares: the session cookie, the caller as typed dependencies, the CSRF checks of
state-changing forms, and rendering.

Staff (PPS, PPK, KPU) log in with a password and a KPPS phone is activated with a one-time code; both get the
same opaque token the API hands out (`tally.auth.service`), kept here in an HttpOnly, SameSite=Strict cookie
(Secure whenever the request came over HTTPS or the service runs in production). The token is resolved and
rate-limited exactly as the API's bearer token is, so a revoked device stops working on the pages too.

Routes ask for `Officer` (or a role: `kpps.Kpps`, `review.Reviewer`, `keying.Keyer`) and, when they change
anything, carry `dependencies=[SessionForm]` (or `EntryForm` before a session exists): see `tally.web.csrf`.
Errors are raised, never caught here: `tally.api.errors` turns the error tree into the officer error page.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from tally.api.deps import Services, ServicesDep, client_of
from tally.audit import Actor, latest_head
from tally.auth.scope import Principal
from tally.auth.service import device_managers
from tally.errors import PayloadTooLarge, TooManyRequests, Unauthorized
from tally.review.numbers import MAX_DIGITS, parse_count
from tally.web import csrf
from tally.web.pages import render

COOKIE = "tally_sesi"
PRIVATE = "no-store"  # officer pages are never cached by a proxy or the browser's back button
UPLOAD_SLACK = 64 * 1024  # multipart framing and the small fields beside a photo of the largest size


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def principal(request: Request, *, limited: bool = True) -> Principal:
    """The officer behind the cookie; Unauthorized when there is none or it was revoked.

    `limited=False` is for a page's own sub-resources (the digit crops): one review page with 30 doubts
    loads 30 crops at once, which the per-token bucket, sized for uploads and form posts, would refuse.
    """
    token = request.cookies.get(COOKIE, "")
    if not token:
        raise Unauthorized("no_session", "Silakan masuk terlebih dahulu.")
    services = services_of(request)
    who = services.principal(token)
    wait = services.limiter.take(who.token_hash) if limited else 0.0
    if wait > 0:
        raise TooManyRequests(
            "rate_limited",
            "Terlalu banyak permintaan. Tunggu sebentar lalu coba lagi.",
            retry_after=math.ceil(wait),
        )
    return who


def current_officer(request: Request) -> Principal:  # a plain def: FastAPI runs it in a thread (database)
    return principal(request)


def officer_unmetered(request: Request) -> Principal:
    return principal(request, limited=False)


Officer = Annotated[Principal, Depends(current_officer)]
UnmeteredOfficer = Annotated[Principal, Depends(officer_unmetered)]


async def unsafe_request(request: Request, services: ServicesDep) -> None:
    """Before a byte of the body is read: its declared size within the limit, and the request from our own
    origin (`tally.web.csrf`). The body-limit middleware (`tally.bootstrap`) caps a body without a size."""
    declared = request.headers.get("content-length", "")
    limit = services.settings.max_upload_bytes + UPLOAD_SLACK
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(
            "too_large",
            f"Kiriman terlalu besar (lebih dari {limit // (1024 * 1024)} MB). Kirim satu foto saja.",
        )
    csrf.check_origin(request, services.settings.public_url)


UnsafeRequest = Annotated[None, Depends(unsafe_request)]


async def session_form(request: Request, _: UnsafeRequest, _who: Officer, services: ServicesDep) -> None:
    """A logged-in officer's state-changing request: size and origin, the session valid, then the session's
    form token. Before the body is read only on routes that declare no `Form()` fields (the uploads read their
    own body after it, `UploadForm`); FastAPI reads a declared form first, bounded by `PageBodyLimit`."""
    secret = services.settings.secret_key
    await csrf.check_token(request, csrf.session_token(secret, request.cookies.get(COOKIE, "")))


async def entry_form(request: Request, _: UnsafeRequest, services: ServicesDep) -> None:
    """Log in or activate a phone: size and origin, then the pre-session (or current session's) token."""
    secret = services.settings.secret_key
    await csrf.check_token(request, csrf.expected_token(request, secret, request.cookies.get(COOKIE, "")))


SessionForm = Depends(session_form)
EntryForm = Depends(entry_form)


async def officer_form(request: Request) -> AsyncIterator[FormData]:
    """The multipart body of an upload, read only now (after `SessionForm`), its temp files closed after."""
    form = await request.form(max_files=1, max_fields=64)
    try:
        yield form
    finally:
        await form.close()


UploadForm = Annotated[FormData, Depends(officer_form)]


def actor(request: Request, who: Principal) -> Actor:
    origin = client_of(request)
    return Actor(who.subject, who.role.value, origin)


def set_session(request: Request, response: Response, token: str) -> None:
    services = services_of(request)
    secure = request.url.scheme == "https" or services.settings.environment == "production"
    response.set_cookie(
        COOKIE, token, httponly=True, secure=secure, samesite="strict", path="/", max_age=14 * 24 * 3600
    )
    response.delete_cookie(csrf.PRE_COOKIE, path="/petugas")


def page(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    """An officer page, its forms carrying this browser's CSRF token (a new pre-session one is set)."""
    services = services_of(request)
    settings = services.settings
    with services.sessions() as s:
        ctx.setdefault("head", latest_head(s))
    ctx.setdefault("official_roles", {r.value for r in device_managers(services.policy)})  # /petugas/kode
    token, fresh = csrf.form_token(request, settings.secret_key, request.cookies.get(COOKIE, ""))
    html = render(name, request=request, csrf_token=token, **ctx)
    response = HTMLResponse(html, status_code=status, headers={"Cache-Control": PRIVATE})
    if fresh:
        csrf.set_pre_session(request, response, token, settings.environment == "production")
    return response


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": PRIVATE})


def number(text: str, digits: int = MAX_DIGITS) -> int:
    """A number typed by an officer (`tally.review.numbers.parse_count`: ASCII digits only); a keyed recap
    line passes `digits=RECAP_DIGITS`."""
    return parse_count(text, digits)
