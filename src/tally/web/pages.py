"""Rendering and the short-lived page cache shared by every router of the web package."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

from jinja2 import Environment, FileSystemLoader, select_autoescape

from tally.web.model import shares

T = TypeVar("T")

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _angka(n: int | None) -> str:
    """Indonesian digit grouping: 1.234.567 (dots), and an em dash for a value not read yet."""
    return "—" if n is None else f"{n:,}".replace(",", ".")


def _persen(x: float) -> str:
    return f"{100 * x:.2f}".replace(".", ",") + "%"


_ENV.filters["angka"] = _angka
_ENV.filters["persen"] = _persen
_ENV.globals["shares"] = shares


def render(name: str, **context: Any) -> str:
    return _ENV.get_template(name).render(**context)


class PageCache:
    """Keeps a computed page value for `seconds`, the Cache-Control max-age a proxy would keep it for."""

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds
        self._items: dict[Hashable, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        if self.seconds <= 0:
            return compute()
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]  # type: ignore[return-value]
        value = compute()
        with self._lock:
            if len(self._items) > 10_000:
                self._items.clear()
            self._items[key] = (now + self.seconds, value)
        return value
