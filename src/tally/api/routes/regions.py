"""A region: its roll-up, its D.Hasil (keyed by its PPK/KPU, against Tally's sums) and the work still pending
per kelurahan/desa."""

from __future__ import annotations

from fastapi import APIRouter, Request

from reconcile.ids import RegionCode
from tally.api.deps import PrincipalDep, ServicesDep, SessionDep, client_of
from tally.api.routes.common import ERRORS
from tally.api.schemas import (
    DHasilCell,
    DHasilIn,
    DHasilMismatch,
    DHasilOut,
    DHasilRow,
    DHasilSaved,
    PendingDesa,
    PendingOut,
    RegionRecap,
)
from tally.audit import Actor
from tally.auth.service import require_region
from tally.election.dhasil import DHasil, Row, dhasil
from tally.election.recap import recap
from tally.photos.views import pending
from tally.review.keying import key_in, require_keyer

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


def _region(region: str) -> RegionCode:
    return RegionCode("" if region == "nasional" else region)


def _row(row: Row) -> DHasilRow:
    cells = {c.field: DHasilCell(keyed=c.keyed, computed=c.computed) for c in row.cells}
    return DHasilRow(
        region=row.code,
        name=row.name,
        tps_counted=row.tps_counted,
        tps_expected=row.tps_expected,
        cells=cells,
    )


def _dhasil(result: DHasil) -> DHasilOut:
    return DHasilOut(
        region=result.region, name=result.name, rows=[_row(r) for r in result.rows], total=_row(result.total)
    )


@router.get("/regions/{region}/dhasil", response_model=DHasilOut)
def get_dhasil(region: str, who: PrincipalDep, session: SessionDep, services: ServicesDep) -> DHasilOut:
    """The region's D.Hasil: per child region every summed number, as keyed and as Tally sums its counted
    TPS (for the PPK of a kecamatan, the KPU of a kab/kota or provinsi)."""
    code = _region(region)
    require_keyer(who, code)
    return _dhasil(dhasil(session.connection(), services.contest, code))


@router.put("/regions/{region}/dhasil", response_model=DHasilSaved)
def put_dhasil(
    region: str, body: DHasilIn, request: Request, who: PrincipalDep, services: ServicesDep
) -> DHasilSaved:
    """Key the D.Hasil's numbers in (all or some rows; sending the same numbers again changes nothing). Every
    number that differs from Tally's sum comes back as a mismatch naming where the difference lies."""
    code = _region(region)
    rows = {RegionCode(c): values for c, values in body.rows.items()}
    with services.sessions() as s, s.begin():
        saved = key_in(
            s, services.contest, who, Actor(who.subject, who.role.value, client_of(request)), code, rows
        )
    mismatches = [
        DHasilMismatch(region=r, field=m.field, keyed=m.keyed, computed=m.computed, message=m.flag_hint)
        for r, found in sorted(saved.mismatches.items())
        for m in found
    ]
    return DHasilSaved(changed=saved.changed, mismatches=mismatches, dhasil=_dhasil(saved.result))
