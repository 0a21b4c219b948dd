"""The error tree (`tally.errors`) as a page: what `tally.api.errors` answers for a route tagged as a page.

A public page's error is `error.html` (cacheable for a few seconds, like the page it stands for). An officer
page's is `officer/error.html` in Bahasa Indonesia (never cached), except `Unauthorized`, which goes to the
login page (which says why: `LOGIN_NOTICES`), and `TooManyRequests`, which says when to retry. Any other
route (the API, exports, static files) gets None here and answers JSON.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from tally.audit import latest_head
from tally.auth.scope import Principal
from tally.errors import TallyError, TooManyRequests, Unauthorized
from tally.web.officer_common import page, principal, see_other, services_of
from tally.web.pages import OFFICER_PAGES, PUBLIC_PAGES, render

PUBLIC_ERROR_CACHE = "public, max-age=5"
LOGIN = "/petugas/masuk"
NOTICE = "tally_pesan"  # why an officer landed on the login page: a code of LOGIN_NOTICES, for one view
LOGIN_NOTICES = {
    "no_session": "Silakan masuk terlebih dahulu untuk membuka halaman petugas.",
    "bad_token": (
        "Sesi Anda sudah berakhir atau dicabut. Masuk lagi; KPPS: aktifkan ulang ponsel dengan kode baru."
    ),
}


def surface(request: Request) -> str | None:
    """`PUBLIC_PAGES`, `OFFICER_PAGES`, or None (JSON), from the tags of the route that matched."""
    tags = getattr(request.scope.get("route"), "tags", None) or ()
    return next((t for t in tags if t in (PUBLIC_PAGES, OFFICER_PAGES)), None)


def _officer(request: Request) -> Principal | None:
    """Who is logged in, for the page's navigation (their name, role, Keluar); None when nobody is."""
    try:
        return principal(request, limited=False)
    except TallyError:
        return None


def error_page(request: Request, exc: TallyError) -> Response | None:
    """The page for `exc` on this route, or None when the route answers JSON. Reads the database (the audit
    head in the footer): call it in a thread."""
    kind = surface(request)
    if kind == OFFICER_PAGES:
        if isinstance(exc, Unauthorized):  # the login page says why (never silent): its note by code
            to_login = see_other(LOGIN)
            why = exc.code if exc.code in LOGIN_NOTICES else "bad_token"
            secure = request.url.scheme == "https"
            to_login.set_cookie(
                NOTICE, why, path=LOGIN, max_age=120, httponly=True, samesite="strict", secure=secure
            )
            return to_login
        who = _officer(request) if not isinstance(exc, TooManyRequests) else None
        response = page(
            request, "officer/error.html", status=exc.status, message=exc.message, code=exc.code, who=who
        )
        if isinstance(exc, TooManyRequests):
            response.headers["Retry-After"] = str(exc.detail.get("retry_after", 1))
        return response
    if kind == PUBLIC_PAGES:
        with services_of(request).sessions() as s:
            head = latest_head(s)
        html = render("error.html", request=request, head=head, message=exc.message, code=exc.code)
        return HTMLResponse(html, status_code=exc.status, headers={"Cache-Control": PUBLIC_ERROR_CACHE})
    return None
