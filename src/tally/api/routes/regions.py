"""A region: its roll-up and the work still pending per kelurahan/desa."""

from __future__ import annotations

from fastapi import APIRouter

from tally.api.deps import PrincipalDep, ServicesDep, SessionDep
from tally.api.routes.common import ERRORS
from tally.api.schemas import PendingDesa, PendingOut, RegionRecap
from tally.auth.service import require_region
from tally.election.recap import recap
from tally.photos.views import pending

router = APIRouter(tags=["regions"], responses=ERRORS)


@router.get("/regions/{region}/recap", response_model=RegionRecap)
def get_recap(region: str, who: PrincipalDep, session: SessionDep, services: ServicesDep) -> RegionRecap:
    """Totals of the TPS counted so far inside the region (use "nasional" for the nation)."""
    code = require_region(who, "" if region == "nasional" else region)
    total = recap(session.connection(), services.contest, code).total
    return RegionRecap(
        region=code,
        contest=services.contest.id,
        tps_expected=total.tps_expected,
        tps_counted=total.tps_counted,
        totals={
            "dpt": total.dpt,
            "pengguna": total.pengguna,
            "suara_sah": total.suara_sah,
            "suara_tidak_sah": total.suara_tidak_sah,
            # A counted TPS passed the contest's check sah + tidak sah = total (an error otherwise).
            "suara_total": total.suara_sah + total.suara_tidak_sah,
        },
        # Votes are summed over counted TPS: no paslon line before the first TPS counts.
        paslon={str(i): v for i, v in enumerate(total.votes, start=1)} if total.tps_counted else {},
    )


@router.get("/regions/{region}/pending", response_model=PendingOut)
def get_pending(region: str, who: PrincipalDep, session: SessionDep) -> PendingOut:
    """Per kelurahan/desa: TPS expected, TPS with photos, photos waiting, in review, refused, failed."""
    code = require_region(who, "" if region == "nasional" else region)
    rows = [PendingDesa.model_validate(r) for r in pending(session, code)]
    return PendingOut(data=rows, count=len(rows))
