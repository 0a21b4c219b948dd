"""Latihan page: any logged-in officer uploads a sample form and sees what was read; nothing is counted."""

from __future__ import annotations

import json

from anyio import to_thread
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from ocr.reading import Reading
from tally.errors import Unprocessable
from tally.review.practice import MAX_BYTES, attempts
from tally.web.officer_common import Officer, SessionForm, UploadForm, page, see_other, services_of
from tally.web.pages import OFFICER_PAGES, web_state

router = APIRouter(tags=[OFFICER_PAGES])


@router.get("/petugas/latihan", response_class=HTMLResponse)
def practice_page(request: Request, who: Officer) -> Response:
    services = services_of(request)
    with services.sessions() as s:
        rows = attempts(s, who.subject)
    tries = [(r, Reading.from_json(json.loads(r.body)) if r.body != "{}" else None) for r in rows]
    return page(request, "officer/latihan.html", who=who, tries=tries, contest=services.contest)


@router.post("/petugas/latihan", dependencies=[SessionForm])
async def practice_post(request: Request, who: Officer, form: UploadForm) -> Response:
    """Like the KPPS upload: no body parameters, so the body is read only after `SessionForm`."""
    foto = form.get("foto")
    if not isinstance(foto, UploadFile):
        raise Unprocessable("bad_form", "Pilih foto contoh halaman C.Hasil, lalu kirim ulang.")
    data = await foto.read(MAX_BYTES + 1)
    sessions, practice = services_of(request).sessions, web_state(request).practice
    row = await to_thread.run_sync(practice.attempt, sessions, who.subject, data)
    return see_other(f"/petugas/latihan#percobaan-{row.id}")
