"""Liveness, readiness (database and queue reachable) and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from sqlalchemy import text

from tally.api.deps import ServicesDep
from tally.api.metrics import require_scraper
from tally.errors import Unavailable

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(services: ServicesDep) -> dict[str, str]:
    try:
        with services.sessions() as s:
            s.execute(text("SELECT 1"))
    except Exception as exc:
        raise Unavailable("database_down", "Basis data tidak dapat dihubungi. Coba lagi sebentar.") from exc
    try:
        services.queue.ping()
    except Exception as exc:
        raise Unavailable(
            "queue_down", "Antrean baca foto tidak dapat dihubungi. Coba lagi sebentar."
        ) from exc
    return {"status": "ready"}


@router.get("/metrics", response_class=Response, dependencies=[Depends(require_scraper)])
def metrics(services: ServicesDep) -> Response:
    return Response(services.metrics.render(), media_type="text/plain; version=0.0.4")
