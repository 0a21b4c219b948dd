"""Photo upload, addressed by content: `PUT …/photos/{sha256}` is safe to retry as often as a phone likes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import structlog
from anyio import to_thread
from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from tally.api.deps import PrincipalDep, Services, ServicesDep, SessionDep, client_of
from tally.api.routes.common import ERRORS
from tally.api.schemas import ErrorOut, PhotoPublic, ReadingPublic
from tally.auth.scope import Principal, Role
from tally.auth.service import require_tps
from tally.db.intake import PhotoRow, ReadingRow
from tally.errors import BadPhoto, Forbidden, NotFound, TallyError, Unprocessable, UnsupportedMediaType
from tally.photos.intake import SHA256, Spooled, Upload, file_photo, find, same_place, spool, too_large
from tally.photos.views import photo_dict, reading_dict, status_url

log = structlog.get_logger("tally.api")
router = APIRouter(tags=["photos"], responses=ERRORS)
JPEG_TYPES = {"image/jpeg", "image/jpg", "image/pjpeg", "application/octet-stream"}
UPLOAD_ERRORS: dict[int | str, dict[str, object]] = {
    409: {"model": ErrorOut, "description": "Foto ini sudah dikirim untuk TPS/halaman lain"},
    413: {"model": ErrorOut, "description": "Foto melebihi batas ukuran"},
    415: {"model": ErrorOut, "description": "Bukan image/jpeg"},
}
Sha = Annotated[str, Path(min_length=64, max_length=64, examples=["9f86d0…(64 hex)"])]


def _existing(services: Services, upload: Upload) -> PhotoRow | None:
    row = find(services.sessions, upload.sha256)
    return same_place(row, upload) if row is not None else None


def file_spooled(services: Services, spooled: Spooled, upload: Upload) -> tuple[PhotoRow, int | None]:
    """Check, store, commit and enqueue in one trip to a worker thread (each trip costs the event loop); the
    PUT (`receive`) and the KPPS page's multipart fallback both file through it."""
    settings = services.settings
    row, job = file_photo(
        services.sessions,
        services.store,
        spooled,
        upload,
        settings.max_photo_pixels,
        services.sqlite_writes,
    )
    if job is not None:
        try:
            services.queue.enqueued(job)
        except Exception:  # the job row is committed; the queue's resync will deliver it
            log.exception("enqueue_failed", job=job)
    return row, job


async def receive(
    services: Services,
    who: Principal,
    upload: Upload,
    body: AsyncIterator[bytes],
    content_type: str | None,
    declared: str | None,
) -> tuple[PhotoRow, bool]:
    """The one way a photo is received by PUT (the API's and the KPPS page's): hash and page checked, the
    caller's scope and role, a retry answered from the row, the type and size, then spooled and filed.
    Returns the row and whether it is new (202) or was already received (200). Raises the error tree."""
    page, tps_id, sha = upload.page, upload.tps_id, upload.sha256
    if not SHA256.match(sha):
        raise Unprocessable("bad_hash", "Alamat unggah salah: SHA-256 harus 64 huruf heksadesimal.")
    if not 1 <= page <= services.contest.pages:
        raise Unprocessable("bad_page", f"Halaman harus 1 sampai {services.contest.pages}.")
    metrics = services.metrics
    try:
        if not services.tps_allowed(who, tps_id):  # known TPS in scope: no database trip
            await to_thread.run_sync(services.require_tps, who, tps_id)
        if who.role not in (Role.KPPS, Role.PPS):
            raise Forbidden("role", "Foto C.Hasil dikirim oleh KPPS TPS itu atau PPS kelurahan/desanya.")
        existing = await to_thread.run_sync(_existing, services, upload)
        if existing is not None:
            metrics.uploads.labels("duplicate").inc()
            return existing, False
        media = (content_type or "application/octet-stream").split(";")[0].strip().lower()
        if media not in JPEG_TYPES:
            raise UnsupportedMediaType("not_jpeg_type", "Kirim foto sebagai image/jpeg.")
        limit = services.settings.max_upload_bytes
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise too_large(limit)
        with metrics.upload_seconds.time():
            spooled = await spool(body, services.store, limit)
            row, job = await to_thread.run_sync(file_spooled, services, spooled, upload)
    except (BadPhoto, TallyError) as exc:
        if exc.status in (413, 415, 422):
            metrics.uploads.labels("refused").inc()
            log.info("upload_refused", tps=tps_id, page=page, code=exc.code, who=who.subject)
        raise
    if job is None:
        metrics.uploads.labels("duplicate").inc()
        return row, False
    metrics.uploads.labels("accepted").inc()
    log.info("upload_accepted", tps=tps_id, page=page, sha=sha[:12], size=row.size_bytes, who=who.subject)
    return row, True


def answer(row: PhotoRow, new: bool) -> JSONResponse:
    """202 (new) or 200 (already received) with the photo's record and its status URL."""
    body = PhotoPublic.model_validate(photo_dict(row)).model_dump(mode="json")
    status = 202 if new else 200
    return JSONResponse(body, status_code=status, headers={"Location": status_url(row.sha256)})


@router.put(
    "/tps/{tps_id}/pages/{page}/photos/{sha256}",
    status_code=202,
    response_model=PhotoPublic,
    responses={
        200: {"model": PhotoPublic, "description": "Sudah diterima sebelumnya (kiriman ulang)"},
        **UPLOAD_ERRORS,
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def put_photo(
    tps_id: str, page: int, sha256: Sha, request: Request, who: PrincipalDep, services: ServicesDep
) -> JSONResponse:
    """One photo of one page of one TPS; the body is the JPEG, the URL names its SHA-256.

    202 with a status URL once the photo is on disk and its row committed; 200 with the same record when it
    was already received (a retry). Nothing is kept from a refused upload.
    """
    upload = Upload(tps_id, page, sha256.lower(), who.subject, role=who.role.value, origin=client_of(request))
    headers = request.headers
    row, new = await receive(
        services, who, upload, request.stream(), headers.get("content-type"), headers.get("content-length")
    )
    return answer(row, new)


def _photo_in_scope(session: SessionDep, who: Principal, sha256: str) -> PhotoRow:
    row = session.get(PhotoRow, sha256.lower()) if SHA256.match(sha256.lower()) else None
    if row is None:
        raise NotFound("unknown_photo", "Foto ini belum pernah diterima. Kirim ulang fotonya.")
    require_tps(session, who, row.tps_id)
    return row


@router.get("/photos/{sha256}", response_model=PhotoPublic)
def get_photo(sha256: Sha, who: PrincipalDep, session: SessionDep) -> PhotoPublic:
    """The status of one uploaded photo (the URL a 202 points to)."""
    return PhotoPublic.model_validate(photo_dict(_photo_in_scope(session, who, sha256)))


@router.get("/photos/{sha256}/readings", response_model=list[ReadingPublic])
def get_readings(sha256: Sha, who: PrincipalDep, session: SessionDep) -> list[ReadingPublic]:
    """What each reader (model version) made of the photo."""
    row = _photo_in_scope(session, who, sha256)
    readings = session.query(ReadingRow).filter(ReadingRow.photo_sha256 == row.sha256).order_by(ReadingRow.id)
    return [ReadingPublic.model_validate(reading_dict(r)) for r in readings]
