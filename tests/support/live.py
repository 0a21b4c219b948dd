"""The app served for a real browser: uvicorn in a thread on a free loopback port, and Debian chromium.

One copy for every browser test (public pages, the journey, the KPPS phone, accessibility).
"""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from PIL import Image

CHROMIUM = "/usr/bin/chromium"  # Debian's chromium, installed by scripts/bootstrap; Playwright downloads none
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync",
]  # fmt: skip
SHOT_LIMIT = 150_000  # bytes: screenshots are committed to docs/img


@contextmanager
def serve(app: FastAPI, *, lifespan: str = "auto", start_seconds: float = 60) -> Iterator[str]:
    """Serve `app` until the block ends; yields its base URL. The lifespan (reader load) runs first."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan=lifespan)  # type: ignore[arg-type]
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_seconds
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=30)


def launch(pw: Any) -> Any:
    """Debian chromium through Playwright (`pw` is the sync_playwright() handle)."""
    return pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def shot(page: Any, shots: Path, name: str, width: int = 360, max_height: int = 1400) -> Path:
    """A small PNG of the top of the page (palette-reduced when it would pass SHOT_LIMIT)."""
    # Crops load lazily; a screenshot taken before they arrive shows empty frames instead of the evidence.
    page.evaluate(
        "Promise.all([...document.images].map(i => {"
        " i.loading = 'eager'; return i.decode().catch(() => null); }))"
    )
    height = min(max_height, page.evaluate("document.documentElement.scrollHeight"))
    raw = page.screenshot(full_page=True, clip={"x": 0, "y": 0, "width": width, "height": height})
    img = Image.open(io.BytesIO(raw))
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    if out.tell() > SHOT_LIMIT:
        out = io.BytesIO()
        img.convert("P", palette=Image.Palette.ADAPTIVE, colors=64).save(out, format="PNG", optimize=True)
    shots.mkdir(parents=True, exist_ok=True)
    path = shots / name
    path.write_bytes(out.getvalue())
    assert path.stat().st_size <= SHOT_LIMIT
    return path


def fits(page: Any, width: int = 360) -> None:
    """The page itself never scrolls sideways at `width` (wide tables scroll inside their own box)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width
