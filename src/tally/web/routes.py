"""The public recap pages: thin routes that read page values (queries.py) and render them (templates/).

Built by `build_web_router(settings)` so an app on SQLite and one on PostgreSQL can live in one test run.
Every page is read-only and carries Cache-Control; region pages are also kept in-process for as long as the
header lets a proxy keep them, because a national page sums every TPS. Officers' pages (PPS review, KPPS,
PPK/KPU keying) will be further routers beside this one, sharing `templates/base.html` and `pages.py`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session, sessionmaker

from reconcile.ids import InvalidCode, Level, RegionCode, parse_tps_id, region_code
from tally.audit.log import entries_for, latest_head
from tally.db.base import make_engine, session_factory
from tally.settings import Settings
from tally.web import queries
from tally.web.exports import region_csv, region_json, tps_csv, tps_json
from tally.web.pages import PageCache, render

Kontes = Annotated[str | None, Query(max_length=40)]  # which contest; the first stored one by default

STATIC = Path(__file__).parent / "static"
STATIC_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
LEVEL_NAMES = {
    Level.NASIONAL: "Nasional",
    Level.PROVINSI: "Provinsi",
    Level.KABKOTA: "Kabupaten/Kota",
    Level.KECAMATAN: "Kecamatan",
    Level.DESA: "Kelurahan/Desa",
    Level.TPS: "TPS",
}


def build_web_router(
    settings: Settings, sessions: sessionmaker[Session] | None = None, cache_seconds: int = 15
) -> APIRouter:
    """The public pages. `sessions` lets the app share its engine; otherwise one is made from settings."""
    make = sessions or session_factory(make_engine(settings.database_url))
    cache = PageCache(cache_seconds)
    public = f"public, max-age={cache_seconds}"
    router = APIRouter(include_in_schema=False)

    def db() -> Iterator[Session]:
        with make() as session:
            yield session

    # Route signatures are evaluated in this module's globals (postponed annotations): a closure's
    # dependency goes in as a default, not through a local Annotated alias.
    session_dep = Depends(db)

    def region_view(session: Session, kontes: str | None, code: RegionCode) -> queries.RegionPage:
        contest = queries.load_contest(session, kontes)
        return cache.get((contest.id, code), lambda: queries.region_page(session, contest, code))

    def page(request: Request, session: Session, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        ctx.setdefault("head", latest_head(session))
        ctx.setdefault("levels", LEVEL_NAMES)
        html = render(name, request=request, **ctx)
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": public})

    def not_found(request: Request, session: Session, message: str) -> HTMLResponse:
        response = page(request, session, "error.html", status=404, message=message)
        response.headers["Cache-Control"] = "public, max-age=5"
        return response

    def parse_region(text: str) -> RegionCode:
        return queries.NASIONAL if text in ("", "nasional") else region_code(text)

    @router.get("/", response_class=HTMLResponse)
    def nasional(request: Request, kontes: Kontes = None, session: Session = session_dep) -> HTMLResponse:
        return wilayah(request, "nasional", kontes, session)

    @router.get("/wilayah/{code}", response_class=HTMLResponse)
    def wilayah(
        request: Request, code: str, kontes: Kontes = None, session: Session = session_dep
    ) -> HTMLResponse:
        try:
            view = region_view(session, kontes, parse_region(code))
        except (InvalidCode, queries.NotFound) as exc:
            return not_found(request, session, str(exc))
        return page(request, session, "region.html", p=view, kontes=kontes)

    @router.get("/tps/{tps}", response_class=HTMLResponse)
    def tps(
        request: Request, tps: str, kontes: Kontes = None, session: Session = session_dep
    ) -> HTMLResponse:
        try:
            view = queries.tps_page(session, queries.load_contest(session, kontes), parse_tps_id(tps))
        except (InvalidCode, queries.NotFound) as exc:
            return not_found(request, session, str(exc))
        history = entries_for(session, view.tps_id, limit=20)
        return page(request, session, "tps.html", p=view, history=history, kontes=kontes)

    @router.get("/outlier", response_class=HTMLResponse)
    def outliers(
        request: Request, session: Session = session_dep, wilayah: str = "", kontes: Kontes = None
    ) -> HTMLResponse:
        try:
            code = parse_region(wilayah)
            contest = queries.load_contest(session, kontes)
        except (InvalidCode, queries.NotFound) as exc:
            return not_found(request, session, str(exc))
        found = queries.flags_in(session, contest.id, code, severity="outlier")
        crumbs = queries.crumbs_for(session, code)
        return page(request, session, "outliers.html", flags=found, crumbs=crumbs, code=code, kontes=kontes)

    @router.get("/audit", response_class=HTMLResponse)
    def audit(request: Request, session: Session = session_dep) -> HTMLResponse:
        return page(request, session, "audit.html", recent=queries.recent_audit(session, 50))

    @router.get("/audit/kepala.json")
    def audit_head_json(session: Session = session_dep) -> Response:
        head = latest_head(session)
        body = head.as_dict() if head is not None else None
        return JSONResponse(body, headers={"Cache-Control": public})

    @router.get("/fragmen/kepala", response_class=HTMLResponse)
    def head_fragment(request: Request, session: Session = session_dep) -> HTMLResponse:
        return page(request, session, "_head.html")

    @router.get("/ekspor/tps/{tps}.{fmt}")
    def export_tps(tps: str, fmt: str, kontes: Kontes = None, session: Session = session_dep) -> Response:
        try:
            view = queries.tps_page(session, queries.load_contest(session, kontes), parse_tps_id(tps))
        except (InvalidCode, queries.NotFound) as exc:
            return _missing(str(exc))
        if fmt == "csv":
            return _csv(tps_csv(view), f"tps-{view.tps_id}.csv", public)
        if fmt == "json":
            return _json(tps_json(view, []), public)
        return _missing(f"format tidak dikenal: {fmt}")

    @router.get("/ekspor/{code}.{fmt}")
    def export_region(code: str, fmt: str, kontes: Kontes = None, session: Session = session_dep) -> Response:
        try:
            view = region_view(session, kontes, parse_region(code))
        except (InvalidCode, queries.NotFound) as exc:
            return _missing(str(exc))
        if fmt == "csv":
            return _csv(region_csv(view), f"rekap-{code}.csv", public)
        if fmt == "json":
            return _json(region_json(view), public)
        return _missing(f"format tidak dikenal: {fmt}")

    @router.get("/static/{name}")
    def static(name: str) -> Response:
        path = STATIC / name
        if "/" in name or path.suffix not in STATIC_TYPES or not path.is_file():
            return _missing("berkas tidak ditemukan")
        headers = {"Cache-Control": "public, max-age=86400"}
        return Response(path.read_bytes(), media_type=STATIC_TYPES[path.suffix], headers=headers)

    @router.get("/wilayah", include_in_schema=False)
    def wilayah_root() -> RedirectResponse:
        return RedirectResponse("/", status_code=308)

    return router


def _csv(body: str, filename: str, cache: str) -> Response:
    headers = {"Cache-Control": cache, "Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)


def _json(body: dict[str, Any], cache: str) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(text, media_type="application/json", headers={"Cache-Control": cache})


def _missing(message: str) -> JSONResponse:
    return JSONResponse({"code": "not_found", "message": message}, status_code=404)
