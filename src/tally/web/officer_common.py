"""What every officer page shares: the session cookie, the caller, rendering, and errors as pages.

Staff (PPS, PPK, KPU) log in with a password and a KPPS phone is activated with a one-time code; both get the
same opaque token the API hands out (`tally.auth.service`), kept here in an HttpOnly, SameSite=Strict cookie
(Secure whenever the request came over HTTPS or the service runs in production). The token is resolved and
rate-limited exactly as the API's bearer token is, so a revoked device stops working on the pages too.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tally.api.deps import Services
from tally.audit import Actor, latest_head
from tally.auth.scope import Principal
from tally.errors import TallyError, TooManyRequests, Unauthorized, Unprocessable
from tally.web.pages import render

COOKIE = "tally_sesi"
PRIVATE = "no-store"  # officer pages are never cached by a proxy or the browser's back button


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


def actor(request: Request, who: Principal) -> Actor:
    origin = request.client.host if request.client is not None else ""
    return Actor(who.subject, who.role.value, origin)


def set_session(request: Request, response: Response, token: str) -> None:
    services = services_of(request)
    secure = request.url.scheme == "https" or services.settings.environment == "production"
    response.set_cookie(
        COOKIE, token, httponly=True, secure=secure, samesite="strict", path="/", max_age=14 * 24 * 3600
    )


def page(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    services = services_of(request)
    with services.sessions() as s:
        ctx.setdefault("head", latest_head(s))
    html = render(name, request=request, **ctx)
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": PRIVATE})


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": PRIVATE})


def guarded(request: Request, handler: Callable[[], Response]) -> Response:
    """Run a page handler; the error tree becomes a page in Bahasa Indonesia (or a trip to the login)."""
    try:
        return handler()
    except Unauthorized:
        return see_other("/petugas/masuk")
    except TallyError as exc:
        response = page(request, "officer/error.html", status=exc.status, message=exc.message, code=exc.code)
        if isinstance(exc, TooManyRequests):
            response.headers["Retry-After"] = str(exc.detail.get("retry_after", 1))
        return response


def number(text: str) -> int:
    """A number typed by an officer: digits only (spaces and dots as thousands separators tolerated)."""
    cleaned = text.strip().replace(".", "").replace(" ", "")
    if not cleaned.isdigit():
        raise Unprocessable("not_a_number", f"{text!r} bukan angka. Ketik angka saja, lalu Enter.")
    return int(cleaned)
