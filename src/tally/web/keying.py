"""PPK / KPU page: key in the level's recap (D.Hasil) and see each mismatch with the roll-up, down to TPS."""

from __future__ import annotations

from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from reconcile.ids import RegionCode, level
from tally.auth.scope import Principal
from tally.election.recap import recap
from tally.review.keying import key_in, keyed_values, line_value, mismatches, recap_fields, require_keyer
from tally.review.numbers import RECAP_DIGITS
from tally.web.officer_common import (
    Officer,
    SessionForm,
    actor,
    number,
    page,
    see_other,
    services_of,
)
from tally.web.pages import OFFICER_PAGES

LEVEL_FORMS = {
    0: "D.Hasil nasional",
    1: "D.Hasil provinsi",
    2: "D.Hasil kabupaten/kota",
    3: "D.Hasil kecamatan",
}


def keyer(who: Officer) -> Principal:
    require_keyer(who, RegionCode(who.scope))
    return who


Keyer = Annotated[Principal, Depends(keyer)]
router = APIRouter(tags=[OFFICER_PAGES])


@router.get("/petugas/rekap", response_class=HTMLResponse)
def keying_page(request: Request, who: Keyer) -> Response:
    region = RegionCode(who.scope)
    services = services_of(request)
    contest = services.contest
    with services.sessions() as s:
        conn = s.connection()
        ours = recap(conn, contest, region)
        keyed = keyed_values(conn, contest.id, region)
        found = mismatches(conn, contest, region)
    rows = [
        (f, contest.field(f).label, line_value(ours.total, contest, f), keyed.get(f))
        for f in recap_fields(contest)
    ]
    return page(
        request,
        "officer/rekap.html",
        who=who,
        region=region,
        form_name=LEVEL_FORMS[int(level(region))],
        region_name=ours.total.name,
        total=ours.total,
        rows=rows,
        mismatches=found,
    )


@router.post("/petugas/rekap", dependencies=[SessionForm])
async def keying_post(request: Request, who: Keyer) -> Response:
    form = await request.form()  # one field per recap line: read by name (already checked by SessionForm)
    services = services_of(request)
    values = {
        f: number(str(form[f]), RECAP_DIGITS)
        for f in recap_fields(services.contest)
        if str(form.get(f, "")).strip()
    }

    def save() -> None:
        with services.sessions() as s, s.begin():
            key_in(s, services.contest, who, actor(request, who), RegionCode(who.scope), values)

    await to_thread.run_sync(save)
    return see_other("/petugas/rekap#selisih")
