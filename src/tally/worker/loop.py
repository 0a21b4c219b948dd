"""The OCR consumer: claim a job, read the photo, apply the reading, acknowledge. Small and registered
like zulip's queue workers; `tally serve` runs it in threads, `tally worker` in its own process."""

from __future__ import annotations

import threading
import time

import structlog
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ocr.reading import Reading
from reconcile.contest import Contest
from tally.db.intake import PhotoRow
from tally.photos.intake import PhotoStatus
from tally.photos.jpeg import upright
from tally.photos.store import PhotoStore
from tally.queue.base import Claim, Queue
from tally.worker.apply import apply_reading
from tally.worker.readers import Reader

log = structlog.get_logger("tally.worker")
APPLY_TRIES = 5  # 0.25 + 0.5 + 1 + 2 s between them: a PostgreSQL restart's few seconds
APPLY_BACKOFF_S = 0.25


class OcrWorker:
    def __init__(
        self,
        name: str,
        sessions: sessionmaker[Session],
        queue: Queue,
        store: PhotoStore,
        reader: Reader | None,
        reader_name: str,
        contest: Contest,
        reap_every_s: float = 5.0,
    ) -> None:
        self.name, self.sessions, self.queue, self.store = name, sessions, queue, store
        self.reader, self.reader_name, self.contest = reader, reader_name, contest
        self.reap_every_s = reap_every_s
        self._last_reap = 0.0

    def step(self) -> bool:
        """Do at most one job; False when there was nothing to do."""
        now = time.monotonic()
        if now - self._last_reap >= self.reap_every_s:
            self._last_reap = now
            if (n := self.queue.reap()) > 0:
                log.info("leases_reaped", jobs=n)
        claim = self.queue.claim(self.name)
        if claim is None:
            return False
        try:
            self.process(claim)
        except Exception as exc:  # a failed job is retried, then dead-lettered; the worker carries on
            dead = self.queue.fail(claim, f"{type(exc).__name__}: {exc}")
            log.exception("job_failed", job=claim.job_id, tries=claim.tries, dead=dead)
        return True

    def process(self, claim: Claim) -> None:
        with self.sessions() as s:
            photo = s.get(PhotoRow, claim.photo_sha256)
            if photo is None:
                raise LookupError(f"photo {claim.photo_sha256} has no row")
            photo.status = PhotoStatus.READING.value
            s.commit()
        t0 = time.perf_counter()
        reading = None
        if self.reader is not None:
            data = upright(self.store.read(photo.sha256), photo.orientation)  # EXIF applied here, once
            reading = self.reader.read(data, tps=photo.tps_id)
        seconds = time.perf_counter() - t0
        applied = self._apply(claim, photo, reading, seconds)
        self.queue.release(claim)
        log.info(
            "job_done",
            job=claim.job_id,
            photo=photo.sha256[:12],
            tps=photo.tps_id,
            page=photo.page,
            seconds=round(seconds, 3),
            applied=applied,
            tries=claim.tries,
            timings_ms=reading.timings_ms if reading is not None else None,
        )

    def _apply(self, claim: Claim, photo: PhotoRow, reading: Reading | None, seconds: float) -> bool:
        """Apply the reading, trying again when the database failed under it (restarted, a connection cut,
        a deadlock): the photo was read fine, and a try of the job is for reading it, not for the database."""
        for attempt in range(APPLY_TRIES):
            try:
                return apply_reading(
                    self.sessions, claim, photo, reading, self.reader_name, seconds, self.contest
                )
            except OperationalError as exc:
                if attempt == APPLY_TRIES - 1:
                    raise
                log.warning(
                    "apply_retried", job=claim.job_id, attempt=attempt + 1, error=type(exc.orig).__name__
                )
                time.sleep(APPLY_BACKOFF_S * 2**attempt)
        raise AssertionError("unreachable")

    def run(self, stop: threading.Event, idle_s: float = 0.5) -> None:
        log.info("worker_started", worker=self.name, reader=self.reader_name)
        while not stop.is_set():
            try:
                busy = self.step()
            except Exception:  # database or queue away for a moment: wait, then go on
                log.exception("worker_step_failed", worker=self.name)
                busy = False
            if not busy:
                stop.wait(idle_s)
