"""Server-rendered pages (Jinja2 + htmx, no SPA): the public recap, the audit head, exports, and the officers'
pages. `install(app, settings)` adds their routers and the per-app state they share."""

from __future__ import annotations

from fastapi import FastAPI

from tally.review.crops import PhotoCache
from tally.review.practice import Practice
from tally.settings import Settings
from tally.web.kpps_upload import router as kpps_upload
from tally.web.officer_common import UPLOAD_SLACK
from tally.web.officer_routes import router as officer_routes
from tally.web.pages import PageCache, WebState
from tally.web.routes import PUBLIC_CACHE_S, files, pages

__all__ = ["UPLOAD_SLACK", "install"]


def install(app: FastAPI, settings: Settings, cache_seconds: int = PUBLIC_CACHE_S) -> None:
    """The officers' pages (/petugas, /salinan), the public pages and their files, on `app`."""
    practice = Practice(settings.data_dir, settings.ocr_reader, settings.max_photo_pixels)
    app.state.web = WebState(PageCache(cache_seconds), PhotoCache(), practice)
    app.include_router(officer_routes)
    app.include_router(kpps_upload)  # JSON errors: the KPPS page's script reads them
    app.include_router(pages)
    app.include_router(files)
