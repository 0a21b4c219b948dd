"""The composition root: `create_app(settings)` builds the services once (`build_services`), mounts the API
and the web pages on one FastAPI app, maps the error tree in one place, and (by default) runs OCR workers in
threads.

Only this module (and the CLI that calls it) sees every layer; below it dependencies point one way —
web → api → review → worker → election / photos → auth / audit / queue → db (`tests/test_layering.py`).
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import structlog
from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from reconcile.contest import builtin_contest
from tally import web
from tally.api import errors
from tally.api.deps import Services
from tally.api.docs import DOCS_URL, docs_page, docs_router
from tally.api.idempotency import Idempotency
from tally.api.logs import configure_logging
from tally.api.metrics import Metrics
from tally.api.middleware import PageBodyLimit, QuietDisconnects, SecurityHeaders, docs_csp
from tally.api.routes.audit import router as audit_routes
from tally.api.routes.auth import router as auth_routes
from tally.api.routes.doubts import router as doubt_routes
from tally.api.routes.health import router as health_routes
from tally.api.routes.photos import router as photo_routes
from tally.api.routes.regions import router as region_routes
from tally.api.routes.tps import router as tps_routes
from tally.auth.guard import EntryGuard
from tally.auth.policy import Policy
from tally.auth.ratelimit import TokenBucket
from tally.db.base import make_engine, session_factory
from tally.photos.store import PhotoStore
from tally.queue import make_queue
from tally.settings import Settings
from tally.web import errors as web_errors
from tally.worker import OcrWorker, load_reader, reader_name

log = structlog.get_logger("tally.bootstrap")

DESCRIPTION = """\
Intake of C.Hasil photos from KPPS phones, and what was read from them.

Every error answer is `{"code": …, "message": …}`: `code` is stable for programs, `message` is Bahasa
Indonesia for the officer. Authenticate with `Authorization: Bearer <token>` from `/api/v1/auth/activate`
(KPPS, one-time code) or `/api/v1/auth/login` (PPS, PPK, KPU).
"""


def build_services(settings: Settings) -> Services:
    engine = make_engine(settings.database_url, settings.sqlite_synchronous)
    sessions = session_factory(engine)
    queue = make_queue(settings, sessions)
    store = PhotoStore(Path(settings.photo_store))
    store.sweep_tmp()
    return Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        store=store,
        queue=queue,
        limiter=TokenBucket(settings.rate_per_s, settings.rate_burst),
        metrics=Metrics(queue, sessions),
        idempotency=Idempotency(
            sessions, settings.secret_key, timedelta(hours=settings.idempotency_ttl_hours)
        ),
        contest=builtin_contest(settings.contest),
        guard=EntryGuard(settings),
        policy=Policy.of(settings),
        sqlite_writes=threading.Lock() if engine.dialect.name == "sqlite" else None,
    )


def start_workers(services: Services, count: int, stop: threading.Event) -> list[threading.Thread]:
    """OCR workers as threads of this process: the embedded default. The reader loads once, shared."""
    if count <= 0:
        return []
    spec = services.settings.ocr_reader
    reader = load_reader(spec)
    threads = []
    for i in range(count):
        worker = OcrWorker(
            f"embedded-{i}",
            services.sessions,
            services.queue,
            services.store,
            reader,
            reader_name(spec) if reader is not None else "none",
            services.contest,
        )
        t = threading.Thread(target=worker.run, args=(stop,), name=f"ocr-{i}", daemon=True)
        t.start()
        threads.append(t)
    return threads


def app_from_environment() -> FastAPI:
    """uvicorn's factory for `tally serve`: each API process builds its own app from `TALLY_*` variables."""
    configure_logging()
    return create_app(Settings())


def create_app(settings: Settings, *, workers: int | None = None) -> FastAPI:
    services = build_services(settings)
    count = settings.embedded_workers if workers is None else workers

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        threads = start_workers(services, count, stop)
        yield
        stop.set()
        for t in threads:
            t.join(timeout=30)
        services.engine.dispose()

    app = FastAPI(
        title="Tally intake",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served below from our own static files, not a CDN
        redoc_url=None,
    )
    app.state.services = services
    errors.install(app, surface=web_errors.surface, error_page=web_errors.error_page)
    # X-Forwarded-For is believed only from the configured proxies (the audit origin and the per-client
    # limits read `request.client`); `tally serve` runs uvicorn with its own proxy handling off.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies or [])
    app.include_router(health_routes)
    for routes in (auth_routes, photo_routes, tps_routes, doubt_routes, region_routes, audit_routes):
        app.include_router(routes, prefix="/api/v1")
    app.include_router(docs_router)
    web.install(app, settings)  # officers' pages (/petugas, /salinan), public recap pages and files
    # Innermost first: a page body over the limit is cut off before the app reads it (the slack covers the
    # multipart framing around a photo of the largest size); every answer carries the security headers.
    app.add_middleware(PageBodyLimit, max_body_size=settings.max_upload_bytes + web.UPLOAD_SLACK)
    app.add_middleware(SecurityHeaders, special={DOCS_URL: docs_csp(bytes(docs_page(app).body).decode())})
    app.add_middleware(QuietDisconnects)
    return app
