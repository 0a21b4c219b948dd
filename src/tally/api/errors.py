"""Maps the error tree of `tally.errors` (documented there) to HTTP answers, in this one place: JSON for the
API, exports and files; a page for a route tagged as a page (`tally.web.errors`: the officer or public error
page, a trip to the login page for `Unauthorized`), handed in by the composition root (`tally.bootstrap`)
so the API never imports the pages."""

from __future__ import annotations

from collections.abc import Callable

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from tally.errors import PayloadTooLarge, TallyError, TooManyRequests, Unauthorized, Unprocessable

_HTTP_MESSAGES = {
    400: ("unreadable_body", "Isi permintaan tidak dapat dibaca (JSON rusak). Periksa lalu kirim ulang."),
    404: ("not_found", "Alamat tidak ditemukan."),
    405: ("method_not_allowed", "Cara pengiriman ini tidak didukung untuk alamat ini."),
    413: ("too_large", "Kiriman terlalu besar. Kirim satu foto saja, paling besar sesuai batas unggahan."),
}

INVALID = "Data yang dikirim tidak lengkap atau salah bentuk. Periksa isian lalu kirim ulang."
DATABASE_DOWN = "Basis data sedang tidak dapat dihubungi; kiriman Anda belum tersimpan. Coba lagi sebentar."


Surface = Callable[[Request], str | None]  # which pages a request is for; None: it wants JSON
ErrorPage = Callable[[Request, TallyError], Response | None]  # the page for an error (None: answer JSON)


def install(
    app: FastAPI,
    *,
    surface: Surface = lambda _: None,
    error_page: ErrorPage = lambda _request, _exc: None,
) -> None:
    """Map the tree (and FastAPI's own validation and routing errors) to JSON answers, or to `error_page`
    for a request `surface` names as a page."""

    @app.exception_handler(TallyError)
    async def _tally(request: Request, exc: TallyError) -> Response:
        if surface(request) is not None:
            shown = await to_thread.run_sync(error_page, request, exc)
            if shown is not None:
                return shown
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
        if isinstance(exc, TooManyRequests):
            headers = {"Retry-After": str(exc.detail.get("retry_after", 1))}
        return JSONResponse(exc.body(), status_code=exc.status, headers=headers)

    @app.exception_handler(OperationalError)
    async def _database_down(_: Request, exc: OperationalError) -> JSONResponse:
        # The database restarting or unreachable: a phone should retry, not report a server bug.
        body = {"code": "database_down", "message": DATABASE_DOWN}
        return JSONResponse(body, status_code=503, headers={"Retry-After": "2"})

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if surface(request) is not None:  # a page's form: the officer reads a page, not JSON
            return await _tally(request, Unprocessable("invalid_request", INVALID))
        where = [".".join(str(p) for p in e.get("loc", ())) for e in exc.errors()]
        body = {"code": "invalid_request", "message": INVALID, "detail": {"fields": where}}
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code, message = _HTTP_MESSAGES.get(
            exc.status_code, ("http_error", "Permintaan tidak dapat diproses.")
        )
        if exc.status_code == 413 and surface(request) is not None:  # a page's body over the limit
            return await _tally(request, PayloadTooLarge(code, message))
        return JSONResponse({"code": code, "message": message}, status_code=exc.status_code)
