"""Issue 14, Low: security headers on every answer, no inline script in the pages, the salinan never prints
the Host header, /metrics not public, /docs served without a CDN, client disconnects not logged as errors."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup

from support.pdf import pdf_text
from support.world import TPS_A, World, world
from tally.api.middleware import script_hashes
from tally.settings import Settings

TEMPLATES = Path(__file__).resolve().parents[2] / "src/tally/web/templates"


@pytest.fixture
def w(settings: Settings) -> Iterator[World]:
    with world(settings) as it:
        yield it


def _client(w: World, client: tuple[str, int] = ("127.0.0.1", 40000)) -> Callable[..., httpx.Response]:
    transport = httpx.ASGITransport(app=w.app, client=client)

    def send(method: str, url: str, **kw: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            async with httpx.AsyncClient(transport=transport, base_url="http://tally.test") as http:
                return await http.request(method, url, **kw)

        return w.client.portal.call(go)

    return send


def test_every_answer_carries_the_security_headers(w: World) -> None:
    send = _client(w)
    cookie = {"Cookie": f"tally_sesi={w.tokens['pps']}"}
    answers = [send("GET", url) for url in (
        "/", f"/tps/{TPS_A}", "/wilayah/99", "/petugas/masuk", "/static/tally.css", "/healthz", "/api/v1/me",
        "/tidak-ada", f"/salinan/{TPS_A}.pdf", "/ekspor/31.73.04.1007.csv",
    )] + [send("GET", "/petugas/pps", headers=cookie), send("POST", "/petugas/keluar")]  # fmt: skip
    for r in answers:
        csp = r.headers.get("content-security-policy", "")
        script_src = re.search(r"script-src ([^;]*)", csp)
        assert script_src and "unsafe-inline" not in script_src.group(1), (r.request.url, csp)
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp, r.request.url
        assert r.headers.get("x-content-type-options") == "nosniff", r.request.url
        assert r.headers.get("referrer-policy") == "same-origin", r.request.url


def test_no_template_has_inline_script_style_or_event_handlers() -> None:
    for path in TEMPLATES.rglob("*.html"):
        soup = BeautifulSoup(path.read_text(), "html.parser")
        assert not [s for s in soup.find_all("script") if not s.get("src")], path
        assert not soup.find_all("style"), path
        assert not [t for t in soup.find_all(True) if "style" in t.attrs], path
        assert not [t for t in soup.find_all(True) if any(a.startswith("on") for a in t.attrs)], path
        assert "javascript:" not in path.read_text(), path


def _pdf_text(pdf: bytes) -> bytes:
    """The text drawn on the pages (the PDF prints in DejaVu: read through its ToUnicode maps)."""
    return pdf_text(pdf).encode()


def test_the_salinan_never_prints_the_host_header(w: World) -> None:
    r = _client(w)("GET", f"/salinan/{TPS_A}.pdf", headers={"Host": "penipu.example"})
    assert r.status_code == 200
    assert b"penipu.example" not in _pdf_text(r.content)


def test_the_salinan_prints_the_configured_public_address(settings: Settings) -> None:
    with world(settings, public_url="https://tally.kpu.example") as configured:
        r = _client(configured)("GET", f"/salinan/{TPS_A}.pdf", headers={"Host": "penipu.example"})
        text = _pdf_text(r.content)
        assert b"penipu.example" not in text and b"https://tally.kpu.example/tps/" in text


def test_metrics_answer_only_a_direct_loopback_client_without_a_token(w: World) -> None:
    assert _client(w)("GET", "/metrics").status_code == 200
    far = _client(w, ("203.0.113.9", 40000))("GET", "/metrics")
    assert far.status_code == 403 and far.json()["code"] == "metrics_private"
    proxied = _client(w)("GET", "/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert proxied.status_code == 403  # a proxy on this machine: not the operator's own scrape


def test_metrics_with_a_token_configured_answer_that_token_only(settings: Settings) -> None:
    with world(settings, metrics_token="rahasia-pemantauan-0123456789") as guarded:
        far = _client(guarded, ("203.0.113.9", 40000))
        assert far("GET", "/metrics").status_code == 403
        assert _client(guarded)("GET", "/metrics").status_code == 403  # a token set: loopback needs it too
        ok = far("GET", "/metrics", headers={"Authorization": "Bearer rahasia-pemantauan-0123456789"})
        assert ok.status_code == 200 and "tally_queue_jobs" in ok.text


def test_docs_load_swagger_ui_from_our_own_files(w: World) -> None:
    send = _client(w)
    page = send("GET", "/docs")
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    urls = [
        t.get("src") or t.get("href")
        for t in soup.find_all(["script", "link"])
        if t.get("src") or t.get("href")
    ]
    assert urls and all(str(u).startswith("/static/vendor/") for u in urls), urls
    for u in urls:
        assert send("GET", str(u)).status_code == 200, u
    csp = page.headers["content-security-policy"]
    assert (
        all(h in csp for h in script_hashes(page.text))
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    assert "http" not in csp
    assert send("GET", "/redoc").status_code == 404  # ReDoc loads from a CDN: not served


def test_a_client_that_hangs_up_mid_upload_is_no_error(w: World, caplog: pytest.LogCaptureFixture) -> None:
    token = w.tokens["kpps"]
    path = f"/api/v1/tps/{TPS_A}/pages/1/photos/{'a' * 64}"
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "PUT", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"tally.test"), (b"content-type", b"image/jpeg"),
                    (b"content-length", b"900000"), (b"authorization", f"Bearer {token}".encode())],
        "client": ("127.0.0.1", 40000), "server": ("tally.test", 80),
    }  # fmt: skip
    messages = [{"type": "http.request", "body": b"\xff\xd8" + b"\0" * 1000, "more_body": True}]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        pass

    async def run() -> None:
        await w.app(scope, receive, send)  # raised ClientDisconnect to the server before: a logged error

    with caplog.at_level(logging.INFO):
        w.client.portal.call(run)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
