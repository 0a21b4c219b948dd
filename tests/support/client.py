"""The one HTTP client of the tests: blocking calls into the ASGI app through httpx (starlette's TestClient
is deprecated), cookies kept like a browser's, officer page forms carrying their CSRF token."""

from __future__ import annotations

from typing import Any

import httpx
from anyio.from_thread import BlockingPortal
from bs4 import BeautifulSoup

from tally.web.csrf import session_token

PRE_SESSION = "pre-session-token-of-the-test-browser-0123456789"


def with_form_token(app: Any, method: str, url: str, headers: Any, jar: httpx.Cookies | None = None) -> Any:
    """A state-changing officer page request as the page's own form sends it (tally.web.csrf): the session's
    CSRF token as `X-CSRF-Token`, or before a session a pre-session cookie and the same token. Tests of the
    refusals (tests/web/test_csrf.py) send their requests without this."""
    if method.upper() in ("GET", "HEAD", "OPTIONS") or not str(url).startswith("/petugas"):
        return headers
    out = httpx.Headers(headers or {})
    if "x-csrf-token" in out:
        return out
    cookies = {k.strip(): v for k, _, v in (c.partition("=") for c in out.get("cookie", "").split(";") if c)}
    session = cookies.get("tally_sesi") or (jar.get("tally_sesi") if jar is not None else None)
    if session:
        out["X-CSRF-Token"] = session_token(app.state.services.settings.secret_key, session)
    else:
        out["X-CSRF-Token"] = PRE_SESSION
        earlier = [c for c in [out.get("cookie", "")] if c]
        out["Cookie"] = "; ".join([*earlier, f"tally_prasesi={PRE_SESSION}"])
    return out


class Client:
    """Blocking HTTP calls into the ASGI app through httpx (starlette's TestClient is deprecated); officer
    page forms carry their CSRF token, as a browser's do (`with_form_token`)."""

    def __init__(self, app: Any, portal: BlockingPortal) -> None:
        self.app, self.portal = app, portal
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tally.test")

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        kw["headers"] = with_form_token(self.app, method, url, kw.get("headers"), self.http.cookies)
        return self.portal.call(lambda: self.http.request(method, url, **kw))

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("POST", url, **kw)

    def put(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("PUT", url, **kw)

    def soup(self, url: str) -> BeautifulSoup:
        return soup_of(self.get(url))


def soup_of(response: httpx.Response) -> BeautifulSoup:
    """An HTML page's parse tree, after checking that it is one."""
    assert response.status_code == 200, (response.status_code, response.text[:400])
    assert response.headers["content-type"].startswith("text/html")
    return BeautifulSoup(response.text, "html.parser")
