"""Rendering and the short-lived page cache shared by every router of the web package."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, select_autoescape

from tally import words
from tally.review.crops import PhotoCache
from tally.review.practice import Practice
from tally.web.model import shares

T = TypeVar("T")

# A router's tag names how its errors are shown (`tally.web.errors`): these two as pages, any other as JSON.
PUBLIC_PAGES = "halaman-publik"
OFFICER_PAGES = "halaman-petugas"


def _angka(n: int | None) -> str:
    """Indonesian digit grouping: 1.234.567 (dots), and an em dash for a value not read yet."""
    return "—" if n is None else f"{n:,}".replace(",", ".")


def _persen(x: float) -> str:
    return f"{100 * x:.2f}".replace(".", ",") + "%"


def _kapital(s: str) -> str:
    """The first letter up, the rest as written ("Suara melebihi DPT"; Jinja's capitalize lowers "DPT")."""
    return s[:1].upper() + s[1:]


@functools.cache
def templates() -> Environment:
    """The Jinja environment, built on first use (not at import) and shared: templates compile once."""
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["angka"] = _angka
    env.filters["persen"] = _persen
    env.filters["kapital"] = _kapital
    env.globals["shares"] = shares
    # People read Bahasa, never the log's or the rules' identifiers: one catalogue, `tally.words`.
    env.globals["action_label"] = words.action
    env.globals["role_label"] = words.role
    env.globals["role_title"] = words.role_title
    env.globals["rule_label"] = words.rule
    env.globals["severity_label"] = words.SEVERITIES
    env.globals["tps_status"] = words.TPS_STATUS
    env.globals["photo_status"] = words.PHOTO_STATUS
    env.globals["reading_status"] = words.READING_STATUS
    return env


def render(name: str, **context: Any) -> str:
    return templates().get_template(name).render(**context)


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


@dataclass
class WebState:
    """What the pages keep per app, made by `tally.web.install` (no import-time globals: tests build several
    apps in one process): the public page cache, the decoded photos the crops share, the latihan reader."""

    page_cache: PageCache
    photos: PhotoCache
    practice: Practice


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state
