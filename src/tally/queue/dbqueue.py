"""The embedded queue: the `ocr_job` table itself. Durable with the database, no extra service.

On PostgreSQL the claim skips rows another worker has locked (`FOR UPDATE SKIP LOCKED`), so many workers
share the table without waiting on each other; on SQLite the database's single writer serialises claims.
"""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from tally.db.intake import OcrJobRow
from tally.queue.base import Claim, Depth, JobTable, utcnow


class DbQueue:
    def __init__(self, sessions: sessionmaker[Session], lease_s: float, max_tries: int) -> None:
        self.jobs = JobTable(sessions, lease_s, max_tries)
        self.sessions = sessions

    def enqueued(self, job_id: int) -> None:
        """Nothing to do: the job row committed with the photo is the queue entry."""

    def claim(self, worker: str) -> Claim | None:
        with self.sessions() as s, s.begin():
            job_id = s.scalar(
                select(OcrJobRow.id)
                .where(OcrJobRow.state == "queued", OcrJobRow.available_at <= utcnow())
                .order_by(OcrJobRow.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            return None if job_id is None else self.jobs.lease(job_id, worker, s)

    def release(self, claim: Claim) -> None:
        """Nothing to do: applying the result marked the job done in the same transaction."""

    def fail(self, claim: Claim, error: str) -> bool:
        return self.jobs.fail(claim, error)

    def reap(self) -> int:
        requeued, dead = self.jobs.expire()
        return len(requeued) + len(dead)

    def ping(self) -> None:
        with self.sessions() as s:
            s.execute(text("SELECT 1"))

    def depth(self) -> Depth:
        return self.jobs.depth()
