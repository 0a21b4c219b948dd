"""The queue at scale: Redis carries delivery, the `ocr_job` table keeps the record.

Keys (prefix `tally:ocr:`): `ready` a list of job ids; `leases` a sorted set job id → lease deadline.
A claim moves an id from `ready` into `leases` atomically (Lua), then leases the row in the database; a
worker that dies leaves its id in `leases` until `reap` finds the deadline passed and puts it back.
The database row is the source of truth for tries and dead letters, so losing Redis loses no job: `reap`
also re-pushes rows that are queued in the database but absent from Redis (an API that died between its
commit and its push, or a Redis restarted without persistence).
"""

from __future__ import annotations

import time
from typing import Any, cast

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tally.db.base import aware
from tally.db.intake import OcrJobRow
from tally.queue.base import Claim, Depth, JobTable, utcnow

_CLAIM = """
local id = redis.call('RPOP', KEYS[1])
if not id then return false end
redis.call('ZADD', KEYS[2], ARGV[1], id)
return id
"""


class RedisQueue:
    def __init__(
        self,
        url: str,
        sessions: sessionmaker[Session],
        lease_s: float,
        max_tries: int,
        prefix: str = "tally:ocr:",
    ) -> None:
        self.redis = redis.Redis.from_url(url)
        self.jobs = JobTable(sessions, lease_s, max_tries)
        self.sessions, self.lease_s = sessions, lease_s
        self.ready, self.leases = prefix + "ready", prefix + "leases"
        self._claim = self.redis.register_script(_CLAIM)

    def enqueued(self, job_id: int) -> None:
        self.redis.lpush(self.ready, job_id)

    def claim(self, worker: str) -> Claim | None:
        while True:
            raw = self._claim(keys=[self.ready, self.leases], args=[time.time() + self.lease_s])
            if raw is None:
                return None
            job_id = int(cast(Any, raw))
            claim = self.jobs.lease(job_id, worker)
            if claim is not None:
                return claim
            self.redis.zrem(self.leases, job_id)  # done, dead or held elsewhere: a stale duplicate

    def release(self, claim: Claim) -> None:
        self.redis.zrem(self.leases, claim.job_id)

    def fail(self, claim: Claim, error: str) -> bool:
        dead = self.jobs.fail(claim, error, backoff_s=0.0)
        self.redis.zrem(self.leases, claim.job_id)
        if not dead:
            self.redis.lpush(self.ready, claim.job_id)
        return dead

    def reap(self) -> int:
        now = time.time()
        for raw in self.redis.zrangebyscore(self.leases, "-inf", now):
            self.redis.zrem(self.leases, raw)
        requeued, dead = self.jobs.expire()
        for job_id in requeued:
            self.redis.lpush(self.ready, job_id)
        return len(requeued) + len(dead) + self._resync()

    def _resync(self) -> int:
        """Push database-queued jobs Redis does not know about (older than one lease, to skip fresh ones)."""
        cutoff = utcnow().timestamp() - self.lease_s
        with self.sessions() as s:
            ids = [
                i
                for i, at in s.execute(
                    select(OcrJobRow.id, OcrJobRow.enqueued_at).where(OcrJobRow.state == "queued")
                ).all()
                if _ts(at) < cutoff
            ]
        if not ids:
            return 0
        known = {int(x) for x in self.redis.lrange(self.ready, 0, -1)}
        known |= {int(x) for x in self.redis.zrange(self.leases, 0, -1)}
        missing = [i for i in ids if i not in known]
        if missing:
            self.redis.lpush(self.ready, *missing)
        return len(missing)

    def ping(self) -> None:
        self.redis.ping()

    def depth(self) -> Depth:
        return self.jobs.depth()


def _ts(at: Any) -> float:
    return float(aware(at).timestamp())
