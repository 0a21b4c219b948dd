"""Latihan page: any logged-in officer uploads a sample form and sees what was read; nothing is counted."""

from __future__ import annotations

import json
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from ocr.reading import Reading
from tally.review.practice import MAX_BYTES, Practice, attempts
from tally.web.officer_common import guarded, page, principal, see_other, services_of


def register(router: APIRouter) -> None:
    holder: dict[int, Practice] = {}  # one per app (tests build several apps in one process)

    def practice(request: Request) -> Practice:
        services = services_of(request)
        key = id(services)
        if key not in holder:
            holder[key] = Practice(services.settings.data_dir, services.settings.ocr_reader)
        return holder[key]

    @router.get("/petugas/latihan", response_class=HTMLResponse)
    def practice_page(request: Request) -> Response:
        def go() -> Response:
            who = principal(request)
            with services_of(request).sessions() as s:
                rows = attempts(s, who.subject)
            tries = [(r, Reading.from_json(json.loads(r.body)) if r.body != "{}" else None) for r in rows]
            return page(
                request, "officer/latihan.html", who=who, tries=tries, contest=services_of(request).contest
            )

        return guarded(request, go)

    @router.post("/petugas/latihan")
    async def practice_post(request: Request, foto: Annotated[UploadFile, File()]) -> Response:
        data = await foto.read(MAX_BYTES + 1)

        def go() -> Response:
            who = principal(request)
            row = practice(request).attempt(services_of(request).sessions, who.subject, data)
            return see_other(f"/petugas/latihan#percobaan-{row.id}")

        return await to_thread.run_sync(guarded, request, go)
