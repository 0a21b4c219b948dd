"""The KPPS pages (phone-sized): their TPS's pages and photos; the doubts they settle blind, paper in hand
(`/petugas/kpps/ragu`: the crop, never the machine's number); and "Periksa & kirim" (`/petugas/kpps/periksa`),
every number of the TPS with the photos, where they confirm or propose a correction for their PPS.

Without JavaScript the upload form posts a plain multipart body to a thin route that files it through the
same service the API's PUT uses (`tally.api.routes.photos.file_spooled`): spooled under the size limit,
checked, stored by SHA-256, its row committed, its OCR job enqueued. A retry of the same photo finds the same
record. With JavaScript the page's queue sends each photo by PUT (`tally.web.kpps_upload`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

import structlog
from anyio import to_thread
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from starlette.datastructures import UploadFile

from ocr.reading import Reading
from tally import words
from tally.api.deps import Services
from tally.api.routes.photos import file_spooled
from tally.auth.scope import Principal, Role
from tally.auth.service import require_tps
from tally.db.blind import BlindReadingRow, TpsConfirmationRow, open_retakes
from tally.db.intake import PhotoRow
from tally.db.regions import RegionRow, TpsRow
from tally.db.review import ReviewChangeRow
from tally.errors import Forbidden, Unprocessable
from tally.photos.intake import Upload, same_place, spool
from tally.review.blind import answer, confirm, message, newest, open_doubts
from tally.review.changes import propose
from tally.review.queue import latest_readings
from tally.review.sheets import current
from tally.web.officer_common import (
    Officer,
    SessionForm,
    UploadForm,
    actor,
    number,
    page,
    see_other,
    services_of,
)
from tally.web.pages import OFFICER_PAGES

log = structlog.get_logger("tally.web")
CHUNK = 64 * 1024
WAITING = {"queued", "reading"}

router = APIRouter(tags=[OFFICER_PAGES])


@dataclass(frozen=True, slots=True)
class PageView:
    page: int
    photos: list[PhotoRow]
    reading: Reading | None


def kpps_officer(who: Officer) -> Principal:
    if who.role is not Role.KPPS:
        raise Forbidden("role", "Halaman ini untuk KPPS. PPS memeriksa di halaman PPS.")
    return who


Kpps = Annotated[Principal, Depends(kpps_officer)]


def _view(services: Services, who: Principal) -> dict[str, Any]:
    tps_id = who.scope
    with services.sessions() as s:
        tps = s.get(TpsRow, tps_id)
        desa = s.get(RegionRow, tps.desa) if tps is not None else None
        photos = list(
            s.scalars(select(PhotoRow).where(PhotoRow.tps_id == tps_id).order_by(PhotoRow.uploaded_at))
        )
        readings = latest_readings(s, tps_id)
        proposals = list(
            s.scalars(
                select(ReviewChangeRow)
                .where(ReviewChangeRow.tps_id == tps_id, ReviewChangeRow.proposed_by == who.subject)
                .order_by(ReviewChangeRow.id.desc())
            )
        )
        doubts = len(open_doubts(s, services.contest, who, tps_id))
        retakes = open_retakes(s, tps_id)
        confirmed = s.scalar(
            select(TpsConfirmationRow.created_at)
            .where(TpsConfirmationRow.tps_id == tps_id)
            .order_by(TpsConfirmationRow.id.desc())
            .limit(1)
        )
    pages = [
        PageView(p, [x for x in photos if x.page == p], readings.get(p, (None, None))[1])
        for p in range(1, services.contest.pages + 1)
    ]
    return {
        "who": who,
        "tps_id": tps_id,
        "tps": tps,
        "desa": desa,
        "pages": pages,
        "proposals": proposals,
        "contest": services.contest,
        "status_text": words.PHOTO_STATUS,
        "waiting": any(x.status in WAITING for x in photos),
        "doubts": doubts,
        "retakes": retakes,
        "confirmed": confirmed,
    }


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(CHUNK):
        yield chunk


@router.get("/petugas/kpps", response_class=HTMLResponse)
def kpps_page(request: Request, who: Kpps, fragmen: int = 0) -> Response:
    view = _view(services_of(request), who)
    name = "officer/_kpps_pages.html" if fragmen else "officer/kpps.html"
    return page(request, name, **view)


@router.post("/petugas/kpps/unggah", dependencies=[SessionForm])
async def upload(request: Request, who: Kpps, form: UploadForm) -> Response:
    """No body parameters: FastAPI would read (and spool) the body before any check. `SessionForm` checks
    size, origin and session first; only then `UploadForm` reads the multipart body, under the size cap."""
    halaman, foto = str(form.get("halaman", "")).strip(), form.get("foto")
    if not halaman.isascii() or not halaman.isdigit() or not isinstance(foto, UploadFile):
        raise Unprocessable("bad_form", "Pilih halaman dan foto C.Hasil, lalu kirim ulang.")
    await _file(services_of(request), who, int(halaman), foto, actor(request, who).origin)
    return see_other(f"/petugas/kpps#halaman-{int(halaman)}")


@router.get("/petugas/kpps/ragu", response_class=HTMLResponse)
def doubts_page(request: Request, who: Kpps, hasil: int = 0) -> Response:
    """One doubt at a time: its crop and "Tulis angka yang tertulis di formulir". After an answer, what it
    became (the machine's number may be shown now) above the next doubt."""
    services = services_of(request)
    with services.sessions() as s:
        left = open_doubts(s, services.contest, who, who.scope)
        answered = s.get(BlindReadingRow, hasil) if hasil else None
    if answered is not None and answered.tps_id != who.scope:
        answered = None
    outcome = None
    if answered is not None:
        outcome = {
            "label": services.contest.field(answered.field).label,
            "agreed": answered.agreed,
            "message": message(answered, None),
        }
    return page(
        request,
        "officer/kpps_ragu.html",
        who=who,
        tps_id=who.scope,
        doubt=left[0] if left else None,
        left=len(left),
        outcome=outcome,
        contest=services.contest,
    )


@router.post("/petugas/kpps/ragu", dependencies=[SessionForm])
def doubt_post(
    request: Request, who: Kpps, kolom: Annotated[str, Form()], angka: Annotated[str, Form()]
) -> Response:
    services = services_of(request)
    with services.sessions() as s, s.begin():
        require_tps(s, who, who.scope)
        answer(s, services.contest, who, actor(request, who), who.scope, kolom, number(angka, 3))
        row_id = s.scalar(
            select(BlindReadingRow.id)
            .where(BlindReadingRow.tps_id == who.scope, BlindReadingRow.field == kolom)
            .order_by(BlindReadingRow.id.desc())
            .limit(1)
        )
    return see_other(f"/petugas/kpps/ragu?hasil={row_id}")


@router.get("/petugas/kpps/periksa", response_class=HTMLResponse)
def review_page(request: Request, who: Kpps, terkirim: int = 0) -> Response:
    """Every number of the TPS as it counts now, beside the photos: what the KPPS confirms and sends."""
    services = services_of(request)
    view = _view(services, who)
    with services.sessions() as s:
        now = current(s, services.contest, who.scope)
        decoded = newest(s, services.contest, who.scope)
    rows = []
    for f in services.contest.fields:
        value = now.values.get(f.name)
        status = now.statuses.get(f.name) or decoded.values.get(f.name, (None, "pending"))[1]
        rows.append({"page": f.page, "label": f.label, "name": f.name, "value": value, "state": status})
    return page(request, "officer/kpps_periksa.html", rows=rows, terkirim=terkirim, **view)


@router.post("/petugas/kpps/periksa", dependencies=[SessionForm])
def confirm_post(request: Request, who: Kpps) -> Response:
    services = services_of(request)
    with services.sessions() as s, s.begin():
        require_tps(s, who, who.scope)
        confirm(s, services.contest, who, actor(request, who), who.scope)
    return see_other("/petugas/kpps/periksa?terkirim=1")


@router.post("/petugas/kpps/usul", dependencies=[SessionForm])
def propose_post(
    request: Request,
    who: Kpps,
    kolom: Annotated[str, Form()],
    angka: Annotated[str, Form()],
    alasan: Annotated[str, Form()] = "",
) -> Response:
    services = services_of(request)
    with services.sessions() as s, s.begin():
        require_tps(s, who, who.scope)
        propose(s, services.contest, who, actor(request, who), who.scope, kolom, number(angka), alasan)
    return see_other("/petugas/kpps/periksa#usulan")


async def _file(services: Services, who: Principal, page_no: int, foto: UploadFile, origin: str) -> None:
    if not 1 <= page_no <= services.contest.pages:
        raise Unprocessable("bad_page", f"Halaman harus 1 sampai {services.contest.pages}.")
    spooled = await spool(_chunks(foto), services.store, services.settings.max_upload_bytes)
    if spooled.size == 0:
        spooled.path.unlink(missing_ok=True)
        raise Unprocessable("empty_photo", "Foto kosong. Pilih foto halaman C.Hasil lalu kirim ulang.")
    upload = Upload(who.scope, page_no, spooled.sha256, who.subject, role=who.role.value, origin=origin)
    with services.sessions() as s:
        existing = s.get(PhotoRow, spooled.sha256)
    if existing is not None:
        spooled.path.unlink(missing_ok=True)
        same_place(existing, upload)
        return
    row, job = await to_thread.run_sync(file_spooled, services, spooled, upload)
    services.metrics.uploads.labels("accepted" if job is not None else "duplicate").inc()
    log.info("web_upload", tps=who.scope, page=page_no, sha=row.sha256[:12], who=who.subject)
