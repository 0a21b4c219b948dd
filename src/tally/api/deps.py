"""What a route can ask for: the app's services, a database session, the caller (authenticated, scoped,
rate-limited). Everything hangs off `app.state.services`, built by `create_app`; nothing is global."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated

from anyio import to_thread
from fastapi import Depends, Path, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from reconcile.contest import Contest
from reconcile.ids import TpsId
from tally.api.idempotency import Idempotency
from tally.api.metrics import Metrics
from tally.auth.guard import EntryGuard
from tally.auth.policy import Policy
from tally.auth.ratelimit import TokenBucket
from tally.auth.scope import Principal
from tally.auth.secrets import digest
from tally.auth.service import require_tps, resolve
from tally.errors import TooManyRequests, Unauthorized
from tally.photos.store import PhotoStore
from tally.queue.base import Queue
from tally.review.crops import PhotoCache
from tally.settings import Settings

PRINCIPAL_TTL_S = 5.0  # a revoked token stops working on other API nodes within this time
TPS_TTL_S = 300.0  # TPS are reference data: a known id is not looked up again for this long


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
    guard: EntryGuard  # failed entries per client and code prefix, Argon2 slots (tally.auth.guard)
    policy: Policy  # officer rules from the settings (tally.auth.policy)
    crops: PhotoCache = field(default_factory=PhotoCache)  # decoded photos the API's crops share
    _principals: dict[str, tuple[Principal, float]] = field(default_factory=dict)
    _tps: dict[str, float] = field(default_factory=dict)
    # SQLite: one writer at a time in this process (tally.photos.intake.file_photo); None on PostgreSQL.
    sqlite_writes: threading.Lock | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def cached_principal(self, token: str) -> Principal | None:
        """The caller if resolved lately, without touching the database (safe on the event loop)."""
        with self._lock:
            hit = self._principals.get(digest(token))
        return hit[0] if hit is not None and hit[1] > time.monotonic() else None

    def principal(self, token: str) -> Principal:
        hit = self.cached_principal(token)
        if hit is not None:
            return hit
        key, now = digest(token), time.monotonic()
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

    def forget_all(self, scope_or_subject: str) -> None:
        """Drop this process's cached callers whose scope or subject is the one given (a TPS's revoked
        devices, a disabled account): refused here at once, on other API nodes within `PRINCIPAL_TTL_S`.
        Dropping one too many only costs a database read."""
        with self._lock:
            gone = [
                k for k, (who, _) in self._principals.items() if scope_or_subject in (who.scope, who.subject)
            ]
            for k in gone:
                del self._principals[k]

    def tps_allowed(self, who: Principal, tps: str) -> bool:
        """True when `tps` is a TPS seen lately and inside `who`'s scope: no database needed. False means
        ask `require_tps` (unknown TPS, out of scope, or not seen lately), which raises the right error."""
        with self._lock:
            until = self._tps.get(tps)
        return until is not None and until > time.monotonic() and who.covers_tps(TpsId(tps))

    def require_tps(self, who: Principal, tps: str) -> None:
        """`tally.auth.service.require_tps` (404 unknown, 403 out of scope), remembering a TPS that exists."""
        with self.sessions() as s:
            require_tps(s, who, tps)
        with self._lock:
            if len(self._tps) > 1_000_000:
                self._tps.clear()
            self._tps[tps] = time.monotonic() + TPS_TTL_S


async def get_services(request: Request) -> Services:  # async: FastAPI runs a plain def in a thread
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    with services.sessions() as s:
        yield s


SessionDep = Annotated[Session, Depends(get_session)]
# A row id in a URL: a BIGINT, so a number beyond it is a 422, never the database's overflow (a 500).
RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]

NO_TOKEN = Unauthorized(
    "no_token", "Anda belum masuk. Aktifkan perangkat dengan kode dari PPS, atau masuk dulu."
)


async def current_principal(request: Request, services: ServicesDep) -> Principal:
    """The caller; the database is asked (in a thread) only when the token was not resolved lately."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NO_TOKEN
    token = token.strip()
    who = services.cached_principal(token)
    if who is None:
        who = await to_thread.run_sync(services.principal, token)
    wait = services.limiter.take(who.token_hash)
    if wait > 0:
        raise TooManyRequests(
            "rate_limited",
            "Terlalu banyak permintaan dari perangkat ini. Tunggu sebentar lalu coba lagi.",
            retry_after=math.ceil(wait),
        )
    return who


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def client_of(request: Request) -> str:
    """The caller's address: the connecting one, or X-Forwarded-For's from a trusted proxy only (the
    ProxyHeadersMiddleware in `tally.bootstrap` has already put it in `request.client`)."""
    return request.client.host if request.client is not None else ""
