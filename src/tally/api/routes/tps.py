"""One TPS: its photos, readings, flags and overall status."""

from __future__ import annotations

from fastapi import APIRouter

from tally.api.deps import PrincipalDep, ServicesDep, SessionDep
from tally.api.routes.common import ERRORS
from tally.api.schemas import TpsStatus
from tally.auth.service import require_tps
from tally.photos.views import tps_status

router = APIRouter(tags=["tps"], responses=ERRORS)


@router.get("/tps/{tps_id}", response_model=TpsStatus)
def get_tps(tps_id: str, who: PrincipalDep, session: SessionDep, services: ServicesDep) -> TpsStatus:
    require_tps(session, who, tps_id)
    return TpsStatus.model_validate(tps_status(session, tps_id, services.contest.pages), from_attributes=True)
