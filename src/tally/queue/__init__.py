"""OCR jobs: `make_queue(settings, sessions)` picks the engine from `TALLY_QUEUE_URL`.

`sqlite`/`db` (default): the job table in the service's own database (SQLite or PostgreSQL).
`redis://…`: Redis for delivery, the job table for the record. Workers run the same code on both.
"""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session, sessionmaker

from tally.queue.base import Claim, Depth, Queue
from tally.queue.dbqueue import DbQueue
from tally.queue.redisqueue import RedisQueue
from tally.settings import Settings

__all__ = ["Claim", "DbQueue", "Depth", "Queue", "RedisQueue", "make_queue"]


def make_queue(settings: Settings, sessions: sessionmaker[Session]) -> Queue:
    url = settings.queue_url
    if url.startswith(("redis://", "rediss://", "unix://")):
        # Keys carry the database's fingerprint: deployments (or test runs) sharing a Redis never mix.
        tag = hashlib.sha256(settings.database_url.encode()).hexdigest()[:10]
        return RedisQueue(
            url, sessions, settings.ocr_lease_s, settings.ocr_max_tries, prefix=f"tally:{tag}:ocr:"
        )
    if url in ("sqlite", "db", "memory", ""):
        return DbQueue(sessions, settings.ocr_lease_s, settings.ocr_max_tries)
    raise ValueError(f"TALLY_QUEUE_URL not understood: {url!r} (use 'db' or 'redis://host:port/n')")
