"""The KPPS page as an installable, offline-first app: its photo PUT, thumbnails, manifest, service worker.

The page (`tally.web.kpps`, script `static/kpps/kpps.js`) keeps every photo in the phone's IndexedDB first,
then sends it with an idempotent `PUT /petugas/kpps/tps/{tps}/halaman/{page}/foto/{sha256}` (body: the JPEG,
its SHA-256 computed on the phone). The PUT is received by the API's own code (`tally.api.routes.photos
.receive`: one way to check, spool, file and enqueue a photo); only the credentials differ: the session
cookie, the page's origin and its CSRF token (`SessionForm`) instead of a bearer token. The TPS is in the URL
so a photo queued on a phone that has since been activated for another TPS is refused (403), never filed
under the wrong TPS.

These routes answer JSON errors (no `OFFICER_PAGES` tag): the script shows the error's Bahasa `message`.
The service worker is served from `/petugas/kpps/sw.js` with `Service-Worker-Allowed: /petugas/kpps` so its
scope covers the page itself (`/petugas/kpps`, no trailing slash) and everything under it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response

from tally.api.deps import client_of
from tally.api.routes.photos import answer, receive
from tally.auth.scope import Principal
from tally.db.intake import PhotoRow
from tally.errors import Forbidden, NotFound
from tally.photos.intake import SHA256, Upload
from tally.photos.thumbs import thumbnail
from tally.web.kpps import Kpps
from tally.web.officer_common import SessionForm, services_of

KPPS_STATIC = Path(__file__).parent / "static" / "kpps"
SCOPE = "/petugas/kpps"
THUMB_PX = 240
TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
Sha = Annotated[str, PathParam(min_length=64, max_length=64)]

router = APIRouter(include_in_schema=False)

MANIFEST = {
    "name": "Tally KPPS: foto C.Hasil",
    "short_name": "Tally KPPS",
    "description": "Foto tiga halaman C.Hasil TPS Anda; terkirim sendiri saat ada sinyal.",
    "lang": "id",
    "start_url": SCOPE,
    "scope": SCOPE,
    "id": SCOPE,
    "display": "standalone",
    "orientation": "portrait",
    "background_color": "#ffffff",
    "theme_color": "#14532d",
    "icons": [
        {"src": "/static/kpps/ikon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
        {"src": "/static/kpps/ikon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
        {"src": "/static/kpps/ikon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
        {"src": "/static/kpps/ikon.svg", "sizes": "any", "type": "image/svg+xml"},
    ],
}


@router.put("/petugas/kpps/tps/{tps_id}/halaman/{page}/foto/{sha256}", dependencies=[SessionForm])
async def put_photo(request: Request, who: Kpps, tps_id: str, page: int, sha256: Sha) -> JSONResponse:
    """One page's photo from the KPPS page's queue: 202 new, 200 already received, 4xx with a message."""
    services = services_of(request)
    upload = Upload(tps_id, page, sha256.lower(), who.subject, role=who.role.value, origin=client_of(request))
    headers = request.headers
    row, new = await receive(
        services, who, upload, request.stream(), headers.get("content-type"), headers.get("content-length")
    )
    return answer(row, new)


def _own_thumbnail(request: Request, who: Principal, sha256: str) -> bytes:
    services = services_of(request)
    sha = sha256.lower()
    with services.sessions() as s:
        row = s.get(PhotoRow, sha) if SHA256.match(sha) else None
    if row is None:
        raise NotFound("unknown_photo", "Foto ini belum pernah diterima.")
    if row.tps_id != who.scope:
        raise Forbidden("out_of_scope", "Foto ini dari TPS lain: Anda tidak berwenang melihatnya.")
    small = thumbnail(services.store, sha, THUMB_PX)
    if small is None:
        raise NotFound("unknown_photo", "Foto ini belum pernah diterima.")
    return small


@router.get("/petugas/kpps/foto/{sha256}/kecil.jpg")
async def photo_thumbnail(request: Request, who: Kpps, sha256: Sha) -> Response:
    """A small upright copy of one of this TPS's photos (made once, `tally.photos.thumbs`)."""
    small = await to_thread.run_sync(_own_thumbnail, request, who, sha256)
    # The name is the content's hash: the phone may keep it (never a shared cache: it is an officer's).
    headers = {"Cache-Control": "private, max-age=604800, immutable"}
    return Response(small, media_type="image/jpeg", headers=headers)


@router.get("/petugas/kpps/manifest.webmanifest")
def manifest() -> Response:
    body = json.dumps(MANIFEST, ensure_ascii=False, separators=(",", ":"))
    return Response(body, media_type="application/manifest+json", headers={"Cache-Control": "no-cache"})


@router.get("/petugas/kpps/sw.js")
def service_worker() -> Response:
    """The service worker, revalidated on every check (a new version must reach the phones)."""
    headers = {"Cache-Control": "no-cache", "Service-Worker-Allowed": SCOPE}
    return Response((KPPS_STATIC / "sw.js").read_bytes(), media_type=TYPES[".js"], headers=headers)


@router.get("/static/kpps/{name}")
def kpps_static(name: str) -> Response:
    path = KPPS_STATIC / name
    if "/" in name or "\x00" in name or name == "sw.js" or path.suffix not in TYPES or not path.is_file():
        raise NotFound("unknown_file", "berkas tidak ditemukan")
    # no-cache, not a day: the service worker keeps its own copy for offline use, and a fix must reach it.
    return Response(path.read_bytes(), media_type=TYPES[path.suffix], headers={"Cache-Control": "no-cache"})
