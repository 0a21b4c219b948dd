"""The public recap pages: thin routes that read page values (queries.py) and render them (templates/).

Two module-level routers: `pages` (HTML; an error is the public error page) and `files` (exports, the audit
head as JSON, static files; an error is JSON). Both read the app's services (`tally.api.deps`) and its page
cache (`tally.web.install`), so an app on SQLite and one on PostgreSQL can live in
one test run. Every page is read-only and carries Cache-Control; region pages are also kept in-process for as
long as the header lets a proxy keep them, because a national page sums every TPS.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from reconcile.ids import InvalidCode, Level, RegionCode, TpsId, parse_tps_id, region_code
from tally.api.deps import SessionDep
from tally.audit.log import entries_for, latest_head
from tally.errors import NotFound
from tally.web import queries
from tally.web.exports import region_csv, region_json, tps_csv, tps_json
from tally.web.model import history_lines
from tally.web.pages import PUBLIC_PAGES, PageCache, render, web_state
from tally.web.salinan_pdf import counted_photos

Kontes = Annotated[str | None, Query(max_length=40)]  # which contest; the first stored one by default

PUBLIC_CACHE_S = 15
HISTORY_ENTRIES = 500  # a TPS's newest log entries, shown grouped (one line per run of one kind)
STATIC = Path(__file__).parent / "static"
STATIC_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
LEVEL_NAMES = {
    Level.NASIONAL: "Nasional",
    Level.PROVINSI: "Provinsi",
    Level.KABKOTA: "Kabupaten/Kota",
    Level.KECAMATAN: "Kecamatan",
    Level.DESA: "Kelurahan/Desa",
    Level.TPS: "TPS",
}

pages = APIRouter(include_in_schema=False, tags=[PUBLIC_PAGES])
files = APIRouter(include_in_schema=False)


def page_cache(request: Request) -> PageCache:
    return web_state(request).page_cache


Cache = Annotated[PageCache, Depends(page_cache)]


def public(cache: PageCache) -> str:
    return f"public, max-age={cache.seconds}"


def parse_region(text: str) -> RegionCode:
    if text in ("", "nasional"):
        return queries.NASIONAL
    try:
        return region_code(text)
    except InvalidCode as exc:
        raise NotFound("invalid_region_code", str(exc)) from exc


def parse_tps(text: str) -> TpsId:
    try:
        return parse_tps_id(text)
    except InvalidCode as exc:
        raise NotFound("invalid_tps_id", str(exc)) from exc


def region_view(
    session: Session, cache: PageCache, kontes: str | None, code: RegionCode
) -> queries.RegionPage:
    contest = queries.load_contest(session, kontes)
    return cache.get((contest.id, code), lambda: queries.region_page(session, contest, code))


def public_page(request: Request, session: Session, cache: PageCache, name: str, **ctx: Any) -> HTMLResponse:
    ctx.setdefault("head", latest_head(session))
    ctx.setdefault("levels", LEVEL_NAMES)
    html = render(name, request=request, **ctx)
    return HTMLResponse(html, headers={"Cache-Control": public(cache)})


@pages.get("/", response_class=HTMLResponse)
def nasional(request: Request, session: SessionDep, cache: Cache, kontes: Kontes = None) -> HTMLResponse:
    return wilayah(request, session, cache, "nasional", kontes)


@pages.get("/wilayah/{code}", response_class=HTMLResponse)
def wilayah(
    request: Request, session: SessionDep, cache: Cache, code: str, kontes: Kontes = None
) -> HTMLResponse:
    view = region_view(session, cache, kontes, parse_region(code))
    return public_page(request, session, cache, "region.html", p=view, kontes=kontes)


@pages.get("/tps/{tps}", response_class=HTMLResponse)
def tps(request: Request, session: SessionDep, cache: Cache, tps: str, kontes: Kontes = None) -> HTMLResponse:
    view = queries.tps_page(session, queries.load_contest(session, kontes), parse_tps(tps))
    history = history_lines(entries_for(session, view.tps_id, limit=HISTORY_ENTRIES))
    photos = counted_photos(session, TpsId(view.tps_id))
    return public_page(
        request, session, cache, "tps.html", p=view, history=history, photos=photos, kontes=kontes
    )


@pages.get("/outlier", response_class=HTMLResponse)
def outliers(
    request: Request, session: SessionDep, cache: Cache, wilayah: str = "", kontes: Kontes = None
) -> HTMLResponse:
    code = parse_region(wilayah)
    contest = queries.load_contest(session, kontes)
    found = queries.flags_in(session, contest.id, code, severity="outlier")
    crumbs = queries.crumbs_for(session, code)
    return public_page(
        request, session, cache, "outliers.html", flags=found, crumbs=crumbs, code=code, kontes=kontes
    )


@pages.get("/audit", response_class=HTMLResponse)
def audit(request: Request, session: SessionDep, cache: Cache) -> HTMLResponse:
    return public_page(request, session, cache, "audit.html", recent=queries.recent_audit(session, 50))


@pages.get("/fragmen/kepala", response_class=HTMLResponse)
def head_fragment(request: Request, session: SessionDep, cache: Cache) -> HTMLResponse:
    return public_page(request, session, cache, "_head.html")


@pages.get("/wilayah")
def wilayah_root() -> RedirectResponse:
    return RedirectResponse("/", status_code=308)


@files.get("/audit/kepala.json")
def audit_head_json(session: SessionDep, cache: Cache) -> Response:
    head = latest_head(session)
    body = head.as_dict() if head is not None else None
    return JSONResponse(body, headers={"Cache-Control": public(cache)})


@files.get("/ekspor/tps/{tps}.{fmt}")
def export_tps(session: SessionDep, cache: Cache, tps: str, fmt: str, kontes: Kontes = None) -> Response:
    view = queries.tps_page(session, queries.load_contest(session, kontes), parse_tps(tps))
    if fmt == "csv":
        return _csv(tps_csv(view), f"tps-{view.tps_id}.csv", public(cache))
    if fmt == "json":
        return _json(tps_json(view, []), public(cache))
    raise NotFound("unknown_format", f"format tidak dikenal: {fmt}")


@files.get("/ekspor/{code}.{fmt}")
def export_region(session: SessionDep, cache: Cache, code: str, fmt: str, kontes: Kontes = None) -> Response:
    region = parse_region(code)
    view = region_view(session, cache, kontes, region)
    if fmt == "csv":  # the file is named from the parsed code, never the raw path (a CR LF in a header)
        return _csv(region_csv(view), f"rekap-{region or 'nasional'}.csv", public(cache))
    if fmt == "json":
        return _json(region_json(view), public(cache))
    raise NotFound("unknown_format", f"format tidak dikenal: {fmt}")


@files.get("/static/{name}")
def static(name: str) -> Response:
    return _static(STATIC, name)


@files.get("/static/vendor/{name}")
def vendored(name: str) -> Response:
    """Third-party files served from here, not a CDN (the Swagger UI of /docs; licences beside them)."""
    return _static(STATIC / "vendor", name)


def _static(folder: Path, name: str) -> Response:
    path = folder / name
    if "/" in name or "\x00" in name or path.suffix not in STATIC_TYPES or not path.is_file():
        raise NotFound("unknown_file", "berkas tidak ditemukan")
    headers = {"Cache-Control": "public, max-age=86400"}
    return Response(path.read_bytes(), media_type=STATIC_TYPES[path.suffix], headers=headers)


def _csv(body: str, filename: str, cache: str) -> Response:
    headers = {"Cache-Control": cache, "Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)


def _json(body: dict[str, Any], cache: str) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(text, media_type="application/json", headers={"Cache-Control": cache})
