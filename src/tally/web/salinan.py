"""What the public may download of a TPS beside its page: the salinan PDF (`/salinan/{tps}.pdf`) and the
C.Hasil photos its numbers count from (`/foto/{sha256}`: the viewer; `.jpg` upright; `/kecil.jpg` a
thumbnail made once). A photo that counts for nothing here (refused, another TPS's form) is not published."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from reconcile.ids import TpsId
from tally.db.intake import PhotoRow
from tally.errors import NotFound
from tally.photos.jpeg import upright
from tally.photos.thumbs import thumbnail
from tally.review.crops import HEX_SHA256
from tally.web.officer_common import services_of
from tally.web.pages import PUBLIC_PAGES, render
from tally.web.routes import parse_tps
from tally.web.salinan_pdf import counted_photos, salinan_pdf

THUMB_PX = 360
PUBLIC_FILE = {"Cache-Control": "public, max-age=86400, immutable"}  # named by content: never changes

router = APIRouter(tags=[PUBLIC_PAGES])  # public, like the TPS page it mirrors: public error pages


@router.get("/salinan/{tps}.pdf")
def salinan(request: Request, tps: str) -> Response:
    """The public address printed on the copy is the configured one (`TALLY_PUBLIC_URL`), never the request's
    Host header (anyone can send any Host); without it the copy names the path alone."""
    services = services_of(request)
    tps_id = parse_tps(tps)
    with services.sessions() as s:
        body = salinan_pdf(
            s, services.contest, tps_id, services.store, services.settings.public_url.rstrip("/")
        )
    headers = {
        "Cache-Control": "public, max-age=15",
        "Content-Disposition": f'inline; filename="salinan-{tps_id}.pdf"',
    }
    return Response(body, media_type="application/pdf", headers=headers)


def _published(session: Session, sha256: str) -> PhotoRow:
    """The photo, if its TPS counts from it; anything else is unknown to the public."""
    photo = session.get(PhotoRow, sha256) if HEX_SHA256.fullmatch(sha256) else None
    if photo is None or photo.sha256 not in {p.sha256 for p in counted_photos(session, TpsId(photo.tps_id))}:
        raise NotFound("unknown_photo", "Foto ini tidak ada atau tidak dipakai untuk hasil TPS.")
    return photo


# The file routes first: `{sha256}` alone would also match "<sha>.jpg".
@router.get("/foto/{sha256}.jpg")
def photo_file(request: Request, sha256: str) -> Response:
    services = services_of(request)
    with services.sessions() as s:
        photo = _published(s, sha256)
    data = upright(services.store.read(sha256), photo.orientation)
    return Response(data, media_type="image/jpeg", headers=PUBLIC_FILE)


@router.get("/foto/{sha256}/kecil.jpg")
def photo_thumbnail(request: Request, sha256: str) -> Response:
    services = services_of(request)
    with services.sessions() as s:
        _published(s, sha256)
    small = thumbnail(services.store, sha256, THUMB_PX)
    if small is None:
        raise NotFound("unknown_photo", "Foto ini tidak ada atau tidak dipakai untuk hasil TPS.")
    return Response(small, media_type="image/jpeg", headers=PUBLIC_FILE)


@router.get("/foto/{sha256}", response_class=HTMLResponse)
def photo_page(request: Request, sha256: str) -> HTMLResponse:
    """The whole photo, zoom and pan by touch and keyboard (`static/foto.js`)."""
    services = services_of(request)
    with services.sessions() as s:
        photo = _published(s, sha256)
    turned = photo.orientation in (5, 6, 7, 8)
    width, height = (photo.height, photo.width) if turned else (photo.width, photo.height)
    html = render("foto.html", request=request, photo=photo, width=width, height=height)
    return HTMLResponse(html, headers={"Cache-Control": "public, max-age=3600"})
