"""Issue 14 #9 (part): the officer upload forms authenticate and check the size before reading a body.

Each request is driven through the ASGI interface by hand, so the test counts the body bytes the app pulled:
an anonymous 300 MB multipart post used to be spooled to /tmp before the login check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from support.footprint import footprint
from support.world import World, world
from tally.settings import Settings
from tally.web.csrf import session_token

LIMIT = 256 * 1024
MB = 1024 * 1024
BOUNDARY = "----tally-test"


@pytest.fixture
def w(settings: Settings) -> Iterator[World]:
    with world(settings, max_upload_bytes=LIMIT) as it:
        yield it


def _multipart(photo: bytes, token: str = "") -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="halaman"\r\n\r\n1\r\n'.encode(),
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'.encode(),
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="foto"; filename="c.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode(),
        photo,
        f"\r\n--{BOUNDARY}--\r\n".encode(),
    ]
    return b"".join(parts)


def _post(w: World, path: str, chunks: list[bytes], declared: int | None, cookie: str = "") -> dict[str, Any]:
    """POST `chunks` as the body; returns the status and how many body bytes the app pulled."""
    headers = [
        (b"host", b"tally.test"),
        (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
    ]
    if declared is not None:
        headers.append((b"content-length", str(declared).encode()))
    if cookie:
        headers.append((b"cookie", f"tally_sesi={cookie}".encode()))
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
        "client": ("127.0.0.1", 40000), "server": ("tally.test", 80),
    }  # fmt: skip
    pending, pulled, answer = list(chunks), {"bytes": 0}, {}

    async def receive() -> dict[str, Any]:
        if not pending:
            return {"type": "http.disconnect"}
        chunk = pending.pop(0)
        pulled["bytes"] += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]

    async def run() -> None:
        await w.app(scope, receive, send)

    w.client.portal.call(run)
    return {"status": answer["status"], "pulled": pulled["bytes"]}


@pytest.mark.parametrize("path", ["/petugas/kpps/unggah", "/petugas/latihan"])
def test_an_anonymous_300_mb_claim_is_refused_without_reading_the_body(w: World, path: str) -> None:
    before = footprint(w)
    chunks = [b"\0" * MB] * 4  # what a client would start sending; the app must not pull any of it
    r = _post(w, path, chunks, declared=300 * MB)
    assert r["status"] in (401, 403, 413) and r["pulled"] == 0, r
    assert footprint(w) == before


@pytest.mark.parametrize("path", ["/petugas/kpps/unggah", "/petugas/latihan"])
def test_an_anonymous_upload_of_allowed_size_goes_to_the_login_without_reading_the_body(
    w: World, path: str
) -> None:
    body = _multipart(b"\xff\xd8" + b"\0" * 50_000)
    r = _post(w, path, [body], declared=len(body))
    assert r["status"] in (303, 401, 403) and r["pulled"] == 0, r
    r = _post(w, path, [body], declared=len(body), cookie="not-a-session")
    assert r["status"] in (303, 401, 403) and r["pulled"] == 0, r


def test_a_streamed_body_without_a_size_is_cut_off_at_the_limit(w: World) -> None:
    before = footprint(w)
    kpps = w.tokens["kpps"]
    token = session_token(w.settings.secret_key, kpps)
    body = _multipart(b"\xff\xd8" + b"\0" * (4 * LIMIT), token)
    chunks = [body[i : i + 32 * 1024] for i in range(0, len(body), 32 * 1024)]
    r = _post(w, "/petugas/kpps/unggah", chunks, declared=None, cookie=kpps)
    assert r["status"] == 413, r
    assert r["pulled"] <= LIMIT + 64 * 1024 + 32 * 1024, r  # the limit, the multipart slack, one chunk
    assert footprint(w) == before
