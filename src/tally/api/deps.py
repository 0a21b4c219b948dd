"""What a route can ask for: the app's services, a database session, the caller (authenticated, scoped,
rate-limited). Everything hangs off `app.state.services`, built by `create_app`; nothing is global."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from reconcile.contest import Contest
from tally.api.idempotency import Idempotency
from tally.api.metrics import Metrics
from tally.auth.ratelimit import TokenBucket
from tally.auth.scope import Principal
from tally.auth.secrets import digest
from tally.auth.service import resolve
from tally.errors import TooManyRequests, Unauthorized
from tally.photos.store import PhotoStore
from tally.queue.base import Queue
from tally.settings import Settings

PRINCIPAL_TTL_S = 5.0  # a revoked token stops working on other API nodes within this time


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    store: PhotoStore
    queue: Queue
    limiter: TokenBucket
    metrics: Metrics
    idempotency: Idempotency
    contest: Contest
    _principals: dict[str, tuple[Principal, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def principal(self, token: str) -> Principal:
        key, now = digest(token), time.monotonic()
        with self._lock:
            hit = self._principals.get(key)
        if hit is not None and hit[1] > now:
            return hit[0]
        with self.sessions() as s:
            who = resolve(s, token)
        with self._lock:
            if len(self._principals) > 100_000:
                self._principals.clear()
            self._principals[key] = (who, now + PRINCIPAL_TTL_S)
        return who

    def forget(self, token_hash: str) -> None:
        with self._lock:
            self._principals.pop(token_hash, None)


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    with services.sessions() as s:
        yield s


SessionDep = Annotated[Session, Depends(get_session)]

NO_TOKEN = Unauthorized(
    "no_token", "Anda belum masuk. Aktifkan perangkat dengan kode dari PPS, atau masuk dulu."
)


def current_principal(request: Request, services: ServicesDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NO_TOKEN
    who = services.principal(token.strip())
    wait = services.limiter.take(who.token_hash)
    if wait > 0:
        raise TooManyRequests(
            "rate_limited",
            "Terlalu banyak permintaan dari perangkat ini. Tunggu sebentar lalu coba lagi.",
            retry_after=math.ceil(wait),
        )
    return who


PrincipalDep = Annotated[Principal, Depends(current_principal)]
