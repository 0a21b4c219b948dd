"""Helpers shared by the web tests: real HTTP requests through the ASGI app, and HTML parsing."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from bs4 import BeautifulSoup


class AsgiClient:
    """Synchronous face over httpx's ASGI transport (starlette's TestClient warns under httpx)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def request(self, method: str, path: str) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://tally.test") as client:
                response = await client.request(method, path)
                await response.aread()
                return response

        return asyncio.run(go())

    def get(self, path: str) -> httpx.Response:
        return self.request("GET", path)

    def post(self, path: str) -> httpx.Response:
        return self.request("POST", path)


def soup_of(response: httpx.Response) -> BeautifulSoup:
    assert response.status_code == 200, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("text/html")
    return BeautifulSoup(response.text, "html.parser")
