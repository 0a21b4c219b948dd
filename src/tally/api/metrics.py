"""Prometheus metrics on a registry of the app's own (no module globals, so two apps never collide).

Upload counters live in the API process. Queue depth, oldest job age and OCR time are read from the database
at scrape time, so they are right whichever process (or machine) ran the workers.

With several API processes on one port (`tally serve --api-workers N`) a scrape reaches one of them at random:
`tally serve` then sets `PROMETHEUS_MULTIPROC_DIR` before any process imports prometheus_client, each
process writes its counters to a file there, and a scrape sums them all.

`/metrics` is not public (queue depth and upload counts are an operator's view, and a scrape costs database
queries): it answers a scrape carrying `Authorization: Bearer <TALLY_METRICS_TOKEN>`, or, with no token
configured, a client on loopback that did not come through a proxy (no forwarding header). Anyone else: 403.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Iterator

from fastapi import Request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tally.db.intake import ReadingRow
from tally.errors import Forbidden
from tally.queue.base import Queue

FORWARDED = ("forwarded", "x-forwarded-for", "x-real-ip")
PRIVATE = Forbidden(
    "metrics_private",
    "Metrik hanya untuk pemantauan: minta dari mesin ini sendiri, atau dengan token metrik dari operator.",
)


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def may_scrape(request: Request, token: str) -> bool:
    if token:
        sent = request.headers.get("authorization", "")
        return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())
    host = request.client.host if request.client is not None else ""
    return _loopback(host) and not any(h in request.headers for h in FORWARDED)


def require_scraper(request: Request) -> None:
    """The `/metrics` route's dependency: Forbidden unless `may_scrape` (read from the app's settings)."""
    if not may_scrape(request, request.app.state.services.settings.metrics_token):
        raise PRIVATE


class _FromDatabase(Collector):
    def __init__(self, queue: Queue, sessions: sessionmaker[Session]) -> None:
        self.queue, self.sessions = queue, sessions

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        depth = self.queue.depth()
        jobs = GaugeMetricFamily("tally_queue_jobs", "OCR jobs not yet done, by state", labels=["state"])
        for state, n in (("queued", depth.queued), ("leased", depth.leased), ("dead", depth.dead)):
            jobs.add_metric([state], n)
        yield jobs
        yield GaugeMetricFamily(
            "tally_queue_oldest_age_seconds", "Age of the oldest unfinished OCR job", value=depth.oldest_age_s
        )
        with self.sessions() as s:
            rows = s.execute(
                select(
                    ReadingRow.status, func.count(), func.coalesce(func.sum(ReadingRow.seconds), 0.0)
                ).group_by(ReadingRow.status)
            ).all()
        count = CounterMetricFamily("tally_ocr_readings", "Photos read, by outcome", labels=["status"])
        secs = CounterMetricFamily("tally_ocr_seconds", "Seconds spent reading photos", labels=["status"])
        for status, n, total in rows:
            count.add_metric([status], n)
            secs.add_metric([status], float(total))
        yield count
        yield secs


class Metrics:
    def __init__(self, queue: Queue, sessions: sessionmaker[Session]) -> None:
        self.registry = CollectorRegistry()
        self.uploads = Counter(
            "tally_uploads",
            "Photo uploads by outcome (accepted, duplicate, refused)",
            ["result"],
            registry=self.registry,
        )
        self.upload_seconds = Histogram(
            "tally_upload_seconds",
            "Time to file an accepted upload",
            registry=self.registry,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0),
        )
        self.from_database = _FromDatabase(queue, sessions)
        self.registry.register(self.from_database)

    def render(self) -> bytes:
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            return generate_latest(self.registry)
        every_process = CollectorRegistry()
        multiprocess.MultiProcessCollector(every_process)  # type: ignore[no-untyped-call]  # untyped upstream
        every_process.register(self.from_database)
        return generate_latest(every_process)
