"""The OCR job queue: at-least-once delivery with a lease, the same interface on every engine.

A worker `claim`s a job, which leases it for `lease_s` seconds and counts a try. The result is applied in
the same database transaction that marks the job done (`tally.worker.apply`), so the effect happens once
even when a job is delivered twice. A worker that dies leaves its lease to expire; `reap` then puts the job
back, or moves it to the dead letters after `max_tries`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from tally.db.base import aware
from tally.db.intake import OcrJobRow, PhotoRow


@dataclass(frozen=True, slots=True)
class Claim:
    job_id: int
    photo_sha256: str
    tries: int


@dataclass(frozen=True, slots=True)
class Depth:
    queued: int
    leased: int
    dead: int
    oldest_age_s: float  # age of the oldest job not yet done (queued or leased); 0 when none


class Queue(Protocol):
    def enqueued(self, job_id: int) -> None: ...
    def claim(self, worker: str) -> Claim | None: ...
    def release(self, claim: Claim) -> None: ...
    def fail(self, claim: Claim, error: str) -> bool: ...
    def reap(self) -> int: ...
    def ping(self) -> None: ...
    def depth(self) -> Depth: ...


def utcnow() -> datetime:
    return datetime.now(UTC)


class JobTable:
    """The `ocr_job` rows every engine keeps: the record of each job's state, tries and error."""

    def __init__(self, sessions: sessionmaker[Session], lease_s: float, max_tries: int) -> None:
        self.sessions, self.lease_s, self.max_tries = sessions, lease_s, max_tries

    def lease(self, job_id: int, worker: str, session: Session | None = None) -> Claim | None:
        """Take a queued job for `worker`; None if someone else holds it or it is done."""
        if session is None:
            with self.sessions() as s, s.begin():
                return self.lease(job_id, worker, s)
        row = session.execute(
            update(OcrJobRow)
            .where(OcrJobRow.id == job_id, OcrJobRow.state == "queued")
            .values(
                state="leased",
                tries=OcrJobRow.tries + 1,
                worker=worker,
                lease_until=utcnow() + timedelta(seconds=self.lease_s),
            )
            .returning(OcrJobRow.id, OcrJobRow.photo_sha256, OcrJobRow.tries)
        ).first()
        return Claim(row[0], row[1], row[2]) if row else None

    def fail(self, claim: Claim, error: str, backoff_s: float = 2.0) -> bool:
        """Back to the queue after a back-off, or dead after `max_tries`. True when dead-lettered."""
        dead = claim.tries >= self.max_tries
        now = utcnow()
        with self.sessions() as s, s.begin():
            s.execute(
                update(OcrJobRow)
                .where(OcrJobRow.id == claim.job_id, OcrJobRow.state == "leased")
                .values(
                    state="dead" if dead else "queued",
                    error=error[:2000],
                    lease_until=None,
                    available_at=now + timedelta(seconds=backoff_s * claim.tries),
                    finished_at=now if dead else None,
                )
            )
            if dead:
                s.execute(
                    update(PhotoRow)
                    .where(PhotoRow.sha256 == claim.photo_sha256)
                    .values(status="failed", detail="Foto gagal dibaca berulang kali; PPS akan memeriksa.")
                )
        return dead

    def expire(self) -> tuple[list[int], list[int]]:
        """Leases past their time: back to queued, or dead after max tries. Returns (requeued, dead) ids."""
        now = utcnow()
        requeued: list[int] = []
        dead: list[int] = []
        with self.sessions() as s, s.begin():
            stale = s.execute(
                select(OcrJobRow.id, OcrJobRow.tries, OcrJobRow.photo_sha256).where(
                    OcrJobRow.state == "leased", OcrJobRow.lease_until < now
                )
            ).all()
            for job_id, tries, sha in stale:
                is_dead = tries >= self.max_tries
                changed = s.execute(
                    update(OcrJobRow)
                    .where(OcrJobRow.id == job_id, OcrJobRow.state == "leased")
                    .values(
                        state="dead" if is_dead else "queued",
                        lease_until=None,
                        available_at=now,
                        error="lease expired (worker died or hung)",
                    )
                    .returning(OcrJobRow.id)
                ).first()
                if changed is not None and is_dead:
                    s.execute(
                        update(PhotoRow)
                        .where(PhotoRow.sha256 == sha)
                        .values(
                            status="failed", detail="Foto gagal dibaca berulang kali; PPS akan memeriksa."
                        )
                    )
                    dead.append(job_id)
                elif changed is not None:
                    requeued.append(job_id)
        return requeued, dead

    def depth(self) -> Depth:
        with self.sessions() as s:
            counts = dict(
                s.execute(
                    select(OcrJobRow.state, func.count())
                    .where(OcrJobRow.state != "done")
                    .group_by(OcrJobRow.state)
                ).all()
            )
            oldest = s.scalar(
                select(func.min(OcrJobRow.enqueued_at)).where(OcrJobRow.state.in_(("queued", "leased")))
            )
        age = (utcnow() - aware(oldest)).total_seconds() if oldest is not None else 0.0
        return Depth(counts.get("queued", 0), counts.get("leased", 0), counts.get("dead", 0), max(age, 0.0))
