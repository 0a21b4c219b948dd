"""The PPS review pages: the kelurahan's queue (worst first) and one TPS's fields in doubt, each with the
crop of its digit boxes and bubble column beside the number read. Keyboard only: type the number, Enter, and
the page comes back with the next field in focus."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from reconcile.ids import RegionCode
from tally.auth.scope import Principal, Role
from tally.auth.service import require_tps
from tally.db.regions import RegionRow, TpsRow
from tally.errors import Forbidden, Unprocessable
from tally.review.changes import check, decide
from tally.review.crops import crop_of, photo_in_scope
from tally.review.queue import doubts, live_flags, queue
from tally.web.officer_common import (
    Officer,
    SessionForm,
    UnmeteredOfficer,
    actor,
    number,
    page,
    see_other,
    services_of,
)
from tally.web.pages import OFFICER_PAGES, web_state

REVIEWERS = (Role.PPS, Role.PPK)


def reviewer(who: Officer) -> Principal:
    if who.role not in REVIEWERS:
        raise Forbidden("role", "Halaman pemeriksaan untuk PPS (dan PPK).")
    return who


Reviewer = Annotated[Principal, Depends(reviewer)]
router = APIRouter(tags=[OFFICER_PAGES])


@router.get("/petugas/pps", response_class=HTMLResponse)
def queue_page(request: Request, who: Reviewer) -> Response:
    services = services_of(request)
    with services.sessions() as s:
        desas = (
            [who.scope]
            if who.role is Role.PPS
            else list(s.scalars(select(RegionRow.code).where(RegionRow.parent == who.scope)))
        )
        names = dict(s.execute(select(RegionRow.code, RegionRow.name).where(RegionRow.code.in_(desas))).all())
        lists = [(d, names.get(d, d), queue(s, services.contest, d)) for d in desas]
    return page(request, "officer/pps_queue.html", who=who, lists=lists)


@router.get("/petugas/pps/tps/{tps}", response_class=HTMLResponse)
def tps_page(request: Request, who: Reviewer, tps: str) -> Response:
    services = services_of(request)
    with services.sessions() as s:
        require_tps(s, who, tps)
        row = s.get(TpsRow, tps)
        found = doubts(s, services.contest, tps)
        flags = live_flags(s, services.contest.id, tps)
    mine = {c.field for d in found for c in d.waiting if c.proposed_by == who.subject}
    focus = next((d.field for d in found if not d.keyed and d.field not in mine), None)
    return page(
        request,
        "officer/pps_tps.html",
        who=who,
        tps=row,
        tps_id=tps,
        doubts=found,
        flags=flags,
        focus=focus,
        mine=mine,
        desa=RegionCode(row.desa) if row else "",
    )


@router.post("/petugas/pps/tps/{tps}/periksa", dependencies=[SessionForm])
def check_post(
    request: Request, who: Reviewer, tps: str, kolom: Annotated[str, Form()], angka: Annotated[str, Form()]
) -> Response:
    services = services_of(request)
    with services.sessions() as s, s.begin():
        require_tps(s, who, tps)
        check(s, services.contest, who, actor(request, who), tps, kolom, number(angka))
    return see_other(f"/petugas/pps/tps/{tps}")


DECISIONS = {"setujui": True, "tolak": False}  # the two buttons of a proposed change


@router.post("/petugas/pps/perubahan/{change_id}", dependencies=[SessionForm])
def decide_post(
    request: Request, who: Reviewer, change_id: int, keputusan: Annotated[str, Form()]
) -> Response:
    services = services_of(request)
    if keputusan not in DECISIONS:  # a typo must not reject a change for good
        raise Unprocessable("bad_decision", "Keputusan tidak dikenal: pilih Setujui atau Tolak.")
    with services.sessions() as s, s.begin():
        row = decide(s, services.contest, who, actor(request, who), change_id, approve=DECISIONS[keputusan])
        tps = row.tps_id
    return see_other(f"/petugas/pps/tps/{tps}")


@router.get("/petugas/potongan/{sha256}/{field}.png")
def crop(request: Request, who: UnmeteredOfficer, sha256: str, field: str) -> Response:
    services = services_of(request)
    with services.sessions() as s:
        photo_in_scope(s, who, sha256)
        png = crop_of(s, services.store, web_state(request).photos, services.contest.id, sha256, field)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})
