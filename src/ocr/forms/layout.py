"""Page 1 and the KWK pages, laid out in KPU's style in the frame measured on pages 2 and 3."""

from __future__ import annotations

from typing import Any


def all_pages() -> list[dict[str, Any]]:
    return []
