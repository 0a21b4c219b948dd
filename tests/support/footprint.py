"""What a request left behind: rows in the intake tables and files in the photo store (temp files too)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from support.world import World
from tally.db.intake import IdempotencyRow, OcrJobRow, PhotoRow
from tally.db.review import ReviewChangeRow


@dataclass(frozen=True)
class Footprint:
    photos: int
    jobs: int
    idempotency: int
    changes: int
    files: tuple[str, ...]


def footprint(w: World) -> Footprint:
    with w.sessions() as s:
        count = [
            int(s.scalar(select(func.count()).select_from(t)) or 0)
            for t in (PhotoRow, OcrJobRow, IdempotencyRow, ReviewChangeRow)
        ]
    root = Path(w.settings.photo_store)
    files = tuple(sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()))
    return Footprint(*count, files=files)


def is_bahasa(message: str) -> bool:
    """A crude but real check that an officer's message is Indonesian, not FastAPI's English default."""
    words = {"foto", "kirim", "ulang", "tidak", "anda", "dengan", "atau", "isian", "data", "kode", "coba"}
    return bool(words & set(message.lower().replace(".", " ").replace(",", " ").split()))
