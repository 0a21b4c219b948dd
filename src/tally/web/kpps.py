"""The KPPS page (phone-sized): their TPS's pages, upload a photo, what was read, and propose a correction.

The upload form posts a plain multipart body to a thin route that files it through the same service the
API's PUT uses (`tally.photos.file_photo`): spooled under the size limit, checked, stored by SHA-256, its
row committed, its OCR job enqueued. A retry of the same photo finds the same record.
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
from tally.api.deps import Services
from tally.auth.scope import Principal, Role
from tally.auth.service import require_tps
from tally.db.intake import PhotoRow
from tally.db.regions import RegionRow, TpsRow
from tally.db.review import ReviewChangeRow
from tally.errors import Forbidden, Unprocessable
from tally.photos.intake import Upload, file_photo, same_place, spool
from tally.review.changes import propose
from tally.review.queue import latest_readings
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
STATUS_TEXT = {
    "queued": "menunggu dibaca",
    "reading": "sedang dibaca",
    "read": "terbaca",
    "review": "terbaca, perlu diperiksa PPS",
    "rejected": "ditolak: foto ulang",
    "ocr_unavailable": "tersimpan, belum dibaca",
    "failed": "gagal dibaca",
}

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
    pages = [
        PageView(p, [x for x in photos if x.page == p], readings.get(p, (None, None))[1])
        for p in range(1, services.contest.pages + 1)
    ]
    return {
        "tps_id": tps_id,
        "tps": tps,
        "desa": desa,
        "pages": pages,
        "proposals": proposals,
        "contest": services.contest,
        "status_text": STATUS_TEXT,
        "waiting": any(x.status in WAITING for x in photos),
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
    return see_other("/petugas/kpps#usulan")


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
    row, job = await to_thread.run_sync(
        file_photo,
        services.sessions,
        services.store,
        spooled,
        upload,
        services.settings.max_photo_pixels,
        services.sqlite_writes,
    )
    if job is not None:
        try:
            await to_thread.run_sync(services.queue.enqueued, job)
        except Exception:  # the job row is committed; the queue's resync delivers it
            log.exception("enqueue_failed", job=job)
    services.metrics.uploads.labels("accepted" if job is not None else "duplicate").inc()
    log.info("web_upload", tps=who.scope, page=page_no, sha=row.sha256[:12], who=who.subject)
