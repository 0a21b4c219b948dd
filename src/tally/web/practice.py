"""Latihan page: open to anyone (the login page offers it before an account exists), and nothing here is
counted. Questions with a known answer, then an upload of one's own practice form; either way the trainee
types first and sees the machine's number and the answer key only after.

A trainee without a session is told apart by a random practice cookie (their uploads are listed to that
browser only). Every form post passes `EntryForm` (size, Origin, and the pre-session or session token); an
upload without a session is also metered per client address, as a reading costs a second of CPU.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import secrets
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from ocr.reading import Reading
from tally import words
from tally.api.deps import client_of
from tally.auth.scope import Principal
from tally.errors import NotFound, TallyError, TooManyRequests, Unauthorized, Unprocessable
from tally.review.numbers import parse_count
from tally.review.practice import MAX_BYTES, attempt_of, attempts
from tally.review.practice_key import SOAL, Answer, check_soal, check_upload, image_uri, soal
from tally.web import csrf
from tally.web.officer_common import COOKIE, EntryForm, UploadForm, page, see_other, services_of
from tally.web.pages import OFFICER_PAGES, web_state

router = APIRouter(tags=[OFFICER_PAGES])
TRAINEE = "tally_latihan"  # a practice browser's random id (no session needed)
PATH = "/petugas/latihan"
ATTEMPT_ID = re.compile(r"[0-9]{1,15}", re.ASCII)


def _officer(request: Request) -> Principal | None:
    token = request.cookies.get(COOKIE, "")
    if not token:
        return None
    try:
        return services_of(request).principal(token)
    except TallyError:
        return None


def _trainee(request: Request) -> tuple[str, str | None]:
    """(whose attempts these are, a new practice cookie to set or None)."""
    who = _officer(request)
    if who is not None:
        return who.subject, None
    raw = request.cookies.get(TRAINEE, "")
    fresh = None
    if len(raw) != 43:  # secrets.token_urlsafe(32)
        raw = fresh = secrets.token_urlsafe(32)
    return "latihan:" + hashlib.sha256(raw.encode()).hexdigest()[:32], fresh


def _page(request: Request, status: int = 200, **ctx: Any) -> Response:
    services = services_of(request)
    owner, fresh = _trainee(request)
    with services.sessions() as s:
        rows = attempts(s, owner)
    tries = [(r, _reading(r.body)) for r in rows]
    response = page(
        request,
        "officer/latihan.html",
        status,
        who=_officer(request),
        soal=SOAL,
        image_uri=image_uri,
        photo_status=words.PHOTO_STATUS,
        tries=tries,
        contest=services.contest,
        **({"key": [], "key_for": "", "answered": None} | ctx),
    )
    if fresh is not None:
        secure = request.url.scheme == "https" or services.settings.environment == "production"
        response.set_cookie(TRAINEE, fresh, httponly=True, secure=secure, samesite="strict", path=PATH)
    return response


def _reading(body: str) -> Reading | None:
    return Reading.from_json(json.loads(body)) if body != "{}" else None


def _typed(raw: object) -> int | None:
    text = str(raw or "").strip()
    if not text:
        return None
    try:
        return parse_count(text)
    except Unprocessable:
        return None


async def known_browser(request: Request) -> None:
    """Before `EntryForm` reads a byte of the body: a browser that has opened the page (its pre-session
    token cookie) or holds a valid session. Anything else is refused unread, as an upload without a
    session always was."""
    if request.cookies.get(COOKIE, ""):
        if _officer(request) is None:
            raise Unauthorized(
                "no_session", "Sesi Anda sudah berakhir. Masuk lagi, atau keluar lalu buka latihan."
            )
        return
    if len(request.cookies.get(csrf.PRE_COOKIE, "")) < 32:
        raise csrf.STALE_FORM


KnownBrowser = Depends(known_browser)


@router.get(PATH, response_class=HTMLResponse)
def practice_page(request: Request) -> Response:
    return _page(request)


@router.post(PATH, dependencies=[KnownBrowser, EntryForm])
async def practice_post(request: Request, form: UploadForm) -> Response:
    """Like the KPPS upload: no body parameters, so the body is read only after `EntryForm`."""
    services = services_of(request)
    owner, _ = _trainee(request)
    if owner.startswith("latihan:"):
        wait = services.limiter.take(f"latihan:{client_of(request)}")
        if wait > 0:
            raise TooManyRequests(
                "rate_limited",
                "Terlalu banyak percobaan. Tunggu sebentar lalu coba lagi.",
                retry_after=math.ceil(wait),
            )
    foto = form.get("foto")
    if not isinstance(foto, UploadFile):
        raise Unprocessable("bad_form", "Pilih foto contoh halaman C.Hasil, lalu kirim ulang.")
    data = await foto.read(MAX_BYTES + 1)
    practice = web_state(request).practice
    row = await to_thread.run_sync(practice.attempt, services.sessions, owner, data)
    return see_other(f"{PATH}#percobaan-{row.id}")


@router.post(PATH + "/jawab", response_class=HTMLResponse, dependencies=[KnownBrowser, EntryForm])
async def practice_answer(request: Request) -> Response:
    """The answer key of one question (`soal`) or of one's own upload (`percobaan`), after typing."""
    form = await request.form(max_files=0, max_fields=80)
    services = services_of(request)
    key: list[Answer]
    if "soal" in form:
        q = soal(str(form["soal"]))
        if q is None:
            raise NotFound("unknown_question", "Soal latihan tidak ditemukan.")
        key = [check_soal(q, _typed(form.get("angka")))]
        return _page(request, key=key, key_for=f"soal-{q.id}", answered=q)
    owner, _ = _trainee(request)
    wanted = str(form.get("percobaan", ""))
    with services.sessions() as s:
        row = attempt_of(s, owner, int(wanted)) if ATTEMPT_ID.fullmatch(wanted) else None
    reading = _reading(row.body) if row is not None else None
    if row is None or reading is None:
        raise NotFound("unknown_attempt", "Percobaan latihan ini tidak ditemukan di peramban ini.")
    read = {name: f.value for name, f in reading.fields.items()}
    key = check_upload(read, {name: _typed(form.get(name)) for name in read})
    return _page(request, key=key, key_for=f"percobaan-{row.id}", answered=None)
