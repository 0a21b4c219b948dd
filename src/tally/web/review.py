"""The PPS review pages: the kelurahan's queue (worst first, with its progress) and one TPS, read blind: the
crop of a doubted field's boxes and bubbles and "Tulis angka yang tertulis di foto" — the machine's number
only after the answer. Typed = the reader's own decoded value with every check holding settles the field
(two independent readings, one officer); otherwise a second officer decides with both readings side by
side. Keyboard only: type the number, Enter, and the next field comes with its crop; at the end, "TPS ini
selesai" and the next TPS one key away. The whole photo is a tap away (`/petugas/foto/{sha256}`)."""

from __future__ import annotations

import json
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ocr.reading import Reading
from tally.api.deps import RowId
from tally.auth.scope import Principal, Role
from tally.auth.service import require_tps
from tally.db.blind import BlindReadingRow
from tally.db.intake import PhotoRow, ReadingRow
from tally.db.regions import RegionRow, TpsRow
from tally.db.review import ReviewChangeRow
from tally.errors import Forbidden, Unprocessable
from tally.photos.jpeg import upright
from tally.review.blind import message, request_retake
from tally.review.changes import decide
from tally.review.crops import crop_of, photo_in_scope
from tally.review.queue import SETTLED, Progress, live_flags, next_tps, queue
from tally.review.sheets import current
from tally.review.worklist import check_message, type_in, work
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
        lists = []
        for d in desas:
            items = queue(s, services.contest, d)
            lists.append((d, names.get(d, d), items, Progress.of(items)))
    return page(request, "officer/pps_queue.html", who=who, lists=lists)


@router.get("/petugas/pps/tps/{tps}", response_class=HTMLResponse)
def tps_page(request: Request, who: Reviewer, tps: str, kolom: str = "") -> Response:
    """Blind first: one field at a time, its crop and "Tulis angka yang tertulis di foto" (the machine's
    number and the KPPS's appear only after the answer); then the changes waiting for this officer's
    approval, both readings side by side; then "TPS ini selesai" with the next TPS one key away."""
    services = services_of(request)
    contest = services.contest
    with services.sessions() as s:
        require_tps(s, who, tps)
        row = s.get(TpsRow, tps)
        todo = work(s, contest, who, tps)
        flags = live_flags(s, contest.id, tps)
        items = queue(s, contest, row.desa) if row else []
        desa = s.get(RegionRow, row.desa) if row else None
        photos = list(
            s.scalars(select(PhotoRow).where(PhotoRow.tps_id == tps).order_by(PhotoRow.uploaded_at))
        )
        outcome = _outcome(s, who, tps, kolom) if kolom else None
        now = current(s, contest, tps)
    read_pages = {p.page for p in photos if p.status in ("read", "review")}
    fields = [f for f in contest.fields if f.page in read_pages]
    settled = sum(now.statuses.get(f.name) in SETTLED for f in fields)
    latest = {p.page: p for p in photos}  # each page's newest photo, for the whole-photo viewer
    return page(
        request,
        "officer/pps_tps.html",
        who=who,
        tps=row,
        tps_id=tps,
        desa=desa,
        current=todo.todo[0] if todo.todo else None,
        left=len(todo.todo),
        approvals=todo.approvals,
        mine=todo.mine,
        flags=flags,
        outcome=outcome,
        settled=settled,
        total=len(fields),
        latest=latest,
        next_tps=next_tps(items, tps),
        progress=Progress.of(items),
        contest=contest,
    )


def _outcome(s: Session, who: Principal, tps: str, field: str) -> str | None:
    """What this officer's last answer for `field` became (said after it: the machine's number may show)."""
    blind = s.scalar(
        select(BlindReadingRow)
        .where(
            BlindReadingRow.tps_id == tps,
            BlindReadingRow.field == field,
            BlindReadingRow.entered_by == who.subject,
        )
        .order_by(BlindReadingRow.id.desc())
        .limit(1)
    )
    change = s.scalar(
        select(ReviewChangeRow)
        .where(ReviewChangeRow.tps_id == tps, ReviewChangeRow.field == field)
        .where((ReviewChangeRow.proposed_by == who.subject) | (ReviewChangeRow.decided_by == who.subject))
        .order_by(ReviewChangeRow.id.desc())
        .limit(1)
    )
    if blind is not None:
        return message(blind, change if change is not None and change.proposed_by == who.subject else None)
    if change is None:
        return None
    return check_message(change)


@router.post("/petugas/pps/tps/{tps}/periksa", dependencies=[SessionForm])
def check_post(
    request: Request, who: Reviewer, tps: str, kolom: Annotated[str, Form()], angka: Annotated[str, Form()]
) -> Response:
    """A number typed from the crop: a blind reading when the reader doubted the field, else a check."""
    services = services_of(request)
    with services.sessions() as s, s.begin():
        require_tps(s, who, tps)
        type_in(s, services.contest, who, actor(request, who), tps, kolom, number(angka, 3))
    return see_other(f"/petugas/pps/tps/{tps}?kolom={quote(kolom)}")


@router.post("/petugas/pps/tps/{tps}/foto-ulang", dependencies=[SessionForm])
def retake_post(
    request: Request,
    who: Reviewer,
    tps: str,
    halaman: Annotated[str, Form()],
    alasan: Annotated[str, Form()] = "",
) -> Response:
    services = services_of(request)
    with services.sessions() as s, s.begin():
        require_tps(s, who, tps)
        request_retake(s, services.contest, who, actor(request, who), tps, number(halaman, 1), alasan)
    return see_other(f"/petugas/pps/tps/{tps}?foto_ulang=1")


DECISIONS = {"setujui": True, "tolak": False}  # the two buttons of a proposed change


@router.post("/petugas/pps/perubahan/{change_id}", dependencies=[SessionForm])
def decide_post(
    request: Request,
    who: Reviewer,
    change_id: RowId,
    keputusan: Annotated[str, Form()],
    alasan: Annotated[str, Form()] = "",
) -> Response:
    services = services_of(request)
    if keputusan not in DECISIONS:  # a typo must not reject a change for good
        raise Unprocessable("bad_decision", "Keputusan tidak dikenal: pilih Setujui atau Tolak.")
    with services.sessions() as s, s.begin():
        row = decide(
            s,
            services.contest,
            who,
            actor(request, who),
            change_id,
            approve=DECISIONS[keputusan],
            reason=alasan,
        )
        tps, field = row.tps_id, row.field
    return see_other(f"/petugas/pps/tps/{tps}?kolom={quote(field)}")


# The file route first: `{sha256}` alone would also match "<sha>.jpg".
@router.get("/petugas/foto/{sha256}.jpg")
def photo_file(request: Request, who: UnmeteredOfficer, sha256: str) -> Response:
    """The stored photo turned upright (the boxes the viewer outlines are in upright pixels)."""
    services = services_of(request)
    with services.sessions() as s:
        photo = photo_in_scope(s, who, sha256)
    data = upright(services.store.read(sha256), photo.orientation)
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400"})


@router.get("/petugas/foto/{sha256}", response_class=HTMLResponse)
def photo_page(request: Request, who: Officer, sha256: str, kolom: str = "") -> Response:
    """The whole photo, zoom and pan by touch and keyboard, the field's boxes outlined (`static/foto.js`)."""
    services = services_of(request)
    with services.sessions() as s:
        photo = photo_in_scope(s, who, sha256)
        body = s.scalar(
            select(ReadingRow.body)
            .where(ReadingRow.photo_sha256 == sha256, ReadingRow.page.is_not(None))
            .order_by(ReadingRow.id.desc())
            .limit(1)
        )
    reading = Reading.from_json(json.loads(body)) if body else None
    quads = []
    label = ""
    if reading is not None and kolom in reading.fields:
        quads = [d.quad for d in reading.fields[kolom].digits]
        label = services.contest.field(kolom).label
    width, height = (
        (photo.height, photo.width) if photo.orientation in (5, 6, 7, 8) else (photo.width, photo.height)
    )
    back = f"/petugas/pps/tps/{photo.tps_id}" if who.role in REVIEWERS else "/petugas/kpps"
    return page(
        request,
        "officer/foto.html",
        who=who,
        photo=photo,
        quads=quads,
        label=label,
        width=width,
        height=height,
        back=back,
    )


@router.get("/petugas/potongan/{sha256}/{field}.png")
def crop(request: Request, who: UnmeteredOfficer, sha256: str, field: str) -> Response:
    services = services_of(request)
    with services.sessions() as s:
        photo_in_scope(s, who, sha256)
        png = crop_of(s, services.store, web_state(request).photos, services.contest.id, sha256, field)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})
