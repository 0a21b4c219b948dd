"""HTTP middleware of every response and request, in `create_app`'s order (docs/security.md):

- `SecurityHeaders`: a Content-Security-Policy with no inline script and nothing from another origin (the
  Swagger UI at `/docs` gets its own: its one inline script by hash, inline styles), `frame-ancestors 'none'`,
  `nosniff` and `Referrer-Policy: same-origin` on every answer.
- `PageBodyLimit`: a page's body (anything outside `/api/`, whose photo PUT checks its own limit) is cut off
  once it passes the upload limit, declared or streamed, before the app has read it.
- `QuietDisconnects`: a client that hangs up mid-request (a phone losing signal during an upload) is an
  info line, not an error with a traceback.
"""

from __future__ import annotations

import base64
import hashlib
import re

import structlog
from starlette.datastructures import MutableHeaders
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("tally.api")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
FIXED = (
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "DENY"),  # frame-ancestors for browsers that predate it
)


def script_hashes(html: str) -> list[str]:
    """CSP source expressions (`'sha256-…'`) of the inline scripts of `html`."""
    bodies = re.findall(r"<script>(.*?)</script>", html, re.S)
    return [f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'" for b in bodies]


def docs_csp(swagger_html: str) -> str:
    """The Swagger UI page's policy: its own inline start-up script by hash, Swagger's inline styles."""
    scripts = " ".join(["'self'", *script_hashes(swagger_html)])
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


class SecurityHeaders:
    def __init__(self, app: ASGIApp, special: dict[str, str] | None = None) -> None:
        self.app = app
        self.special = special or {}  # path → its own Content-Security-Policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self.special.get(scope["path"], CSP)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("content-security-policy", policy)
                for name, value in FIXED:
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)


class PageBodyLimit:
    """Starlette's body limit (declared or streamed; FastAPI turns it into a 413 the error handler renders),
    on every path but the API's."""

    def __init__(self, app: ASGIApp, max_body_size: int) -> None:
        self.app = app
        self.limited = RequestBodyLimitMiddleware(app, max_body_size=max_body_size)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/api/"):
            await self.limited(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class QuietDisconnects:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except ClientDisconnect:
            # Nothing to answer: the client is gone. Whatever the request had written is rolled back or,
            # for a photo, a spooled temp file already removed (tally.photos.intake.spool).
            log.info("client_disconnected", method=scope.get("method"), path=scope.get("path"))
