"""PPK / KPU page: key in the level's recap (D.Hasil) and see each mismatch with the roll-up, down to TPS."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from reconcile.ids import RegionCode, level
from tally.auth.scope import Principal
from tally.election.recap import recap
from tally.review.keying import key_in, keyed_values, line_value, mismatches, recap_fields, require_keyer
from tally.web.officer_common import actor, guarded, number, page, principal, see_other, services_of

LEVEL_FORMS = {
    0: "D.Hasil nasional",
    1: "D.Hasil provinsi",
    2: "D.Hasil kabupaten/kota",
    3: "D.Hasil kecamatan",
}


def _keyer(request: Request) -> tuple[Principal, RegionCode]:
    who = principal(request)
    region = RegionCode(who.scope)
    require_keyer(who, region)
    return who, region


def register(router: APIRouter) -> None:
    @router.get("/petugas/rekap", response_class=HTMLResponse)
    def keying_page(request: Request) -> Response:
        def go() -> Response:
            who, region = _keyer(request)
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

        return guarded(request, go)

    @router.post("/petugas/rekap")
    async def keying_post(request: Request) -> Response:
        form = await request.form()

        def go() -> Response:
            who, region = _keyer(request)
            services = services_of(request)
            values = {
                f: number(str(form[f]))
                for f in recap_fields(services.contest)
                if str(form.get(f, "")).strip()
            }
            with services.sessions() as s, s.begin():
                key_in(s, services.contest, who, actor(request, who), region, values)
            return see_other("/petugas/rekap#selisih")

        return guarded(request, go)
