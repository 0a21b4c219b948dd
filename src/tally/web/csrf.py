"""Cross-site request forgery: a state-changing page request must prove it came from Tally's own pages.

SameSite=Strict on the session cookie stops only cross-*site* posts; a page on a sibling subdomain or on
another port of the same host is "same site" and its posts carry the cookie. So every unsafe request to the
pages (POST, PUT, PATCH, DELETE; the API authenticates by bearer header, which no other page can send) passes
two checks before it may change anything (docs/security.md):

- **Origin.** `Origin` (or, when a browser sends none, the origin of `Referer`) must be the app's own origin:
  `TALLY_PUBLIC_URL` when set, else the scheme and `Host` the request came to. `Origin: null` is refused.
  A request with neither header comes from no browser form; the token alone decides.
- **Token.** Every state-changing form carries a hidden `csrf_token` (htmx sends it as `X-CSRF-Token`, from
  `hx-headers` on the page's body). With a session it is an HMAC of the session cookie under the app's secret:
  nothing stored, and it dies with the session. Before a session exists (log in, activate a phone) it is a
  random value also kept in an HttpOnly cookie (double submit), so a forged login cannot slip the attacker's
  session into a victim's browser.

The checks run as one of two dependencies (`officer_common.SessionForm`, `EntryForm`);
`tests/web/test_csrf.py` walks the app and fails when an unsafe page route has neither.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from fastapi import Request, Response

from tally.errors import Forbidden

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
PRE_COOKIE = "tally_prasesi"  # the pre-session (log in / activation) double-submit value
PRE_COOKIE_AGE_S = 24 * 3600
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CROSS_ORIGIN = Forbidden(
    "cross_origin",
    "Permintaan ditolak: dikirim dari halaman di luar Tally. Buka Tally langsung, muat ulang, "
    "lalu coba lagi.",
)
STALE_FORM = Forbidden(
    "csrf_token", "Permintaan ditolak: halaman kedaluwarsa. Muat ulang halaman lalu coba lagi."
)


def origin_of(url: str) -> str:
    """`scheme://host[:port]`, lower case, the default port dropped: how a browser writes `Origin`."""
    parts = urlsplit(url.strip())
    scheme, host, port = parts.scheme.lower(), (parts.hostname or "").lower(), parts.port
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" if port is None or port == default else f"{scheme}://{host}:{port}"


def own_origin(request: Request, public_url: str) -> str:
    if public_url:
        return origin_of(public_url)
    return origin_of(f"{request.url.scheme}://{request.headers.get('host', '')}")


def check_origin(request: Request, public_url: str) -> None:
    claimed = request.headers.get("origin")
    if claimed is None:
        referer = request.headers.get("referer")
        if referer is None:
            return  # not a browser's form: the token decides
        claimed = referer
    if claimed.strip().lower() == "null" or origin_of(claimed) != own_origin(request, public_url):
        raise CROSS_ORIGIN


def session_token(secret: str, session_cookie: str) -> str:
    """The form token of one officer session (an HMAC of its cookie under the app's secret)."""
    return hmac.new(secret.encode(), b"csrf\x00" + session_cookie.encode(), hashlib.sha256).hexdigest()


def expected_token(request: Request, secret: str, session_cookie: str) -> str:
    """The token this browser's forms must carry: its session's, or (no session yet) the pre-session one."""
    if session_cookie:
        return session_token(secret, session_cookie)
    return request.cookies.get(PRE_COOKIE, "")


def form_token(request: Request, secret: str, session_cookie: str) -> tuple[str, bool]:
    """The token to render into this browser's forms, and whether it is a new pre-session value that the
    response must set as a cookie."""
    token = expected_token(request, secret, session_cookie)
    if len(token) >= 32:
        return token, False
    return secrets.token_urlsafe(32), True


def set_pre_session(request: Request, response: Response, value: str, production: bool) -> None:
    response.set_cookie(
        PRE_COOKIE,
        value,
        max_age=PRE_COOKIE_AGE_S,
        path="/petugas",
        httponly=True,
        secure=request.url.scheme == "https" or production,
        samesite="strict",
    )


async def presented(request: Request) -> str:
    """The token the request carries: the `X-CSRF-Token` header (htmx), else the form's hidden field."""
    header = request.headers.get(HEADER)
    if header:
        return header
    if request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form(max_files=1, max_fields=64)).get(FIELD)
        return value if isinstance(value, str) else ""
    return ""


async def check_token(request: Request, expected: str) -> None:
    sent = await presented(request)
    if not expected or not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise STALE_FORM
