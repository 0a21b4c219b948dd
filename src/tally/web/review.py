"""The PPS review pages: the kelurahan's queue (worst first) and one TPS's fields in doubt, each with the
crop of its digit boxes and bubble column beside the number read. Keyboard only: type the number, Enter, and
the page comes back with the next field in focus."""

from __future__ import annotations

import json
import re
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from ocr.reading import Reading
from reconcile.ids import RegionCode
from tally.auth.scope import Principal, Role
from tally.auth.service import require_tps
from tally.db.intake import PhotoRow, ReadingRow
from tally.db.regions import RegionRow, TpsRow
from tally.errors import Forbidden, NotFound, Unprocessable
from tally.review.changes import check, decide
from tally.review.crops import field_crop
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

HEX_SHA256 = re.compile(r"[0-9a-f]{64}")


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
        # A photo is named by its hex SHA-256; anything else (a NUL PostgreSQL refuses) is unknown.
        photo = s.get(PhotoRow, sha256) if HEX_SHA256.fullmatch(sha256) else None
        if photo is None:
            raise NotFound("unknown_photo", "Foto tidak ditemukan.")
        require_tps(s, who, photo.tps_id)
        body = s.scalar(
            select(ReadingRow.body)
            .where(ReadingRow.photo_sha256 == sha256, ReadingRow.page.is_not(None))
            .order_by(ReadingRow.id.desc())
            .limit(1)
        )
    reading = Reading.from_json(json.loads(body)) if body else None
    if reading is None or reading.page is None or field not in reading.fields:
        raise NotFound("no_crop", "Kolom ini tidak terbaca dari foto ini.")
    pixels = web_state(request).photos.get(sha256, services.store.read(sha256), photo.orientation)
    png = field_crop(pixels, reading.fields[field], services.contest.id, reading.page)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})
