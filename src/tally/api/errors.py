"""Maps the error tree of `tally.errors` (documented there) to HTTP answers, in this one place."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from tally.errors import TallyError, TooManyRequests, Unauthorized

_HTTP_MESSAGES = {
    400: ("unreadable_body", "Isi permintaan tidak dapat dibaca (JSON rusak). Periksa lalu kirim ulang."),
    404: ("not_found", "Alamat tidak ditemukan."),
    405: ("method_not_allowed", "Cara pengiriman ini tidak didukung untuk alamat ini."),
}

DATABASE_DOWN = "Basis data sedang tidak dapat dihubungi; kiriman Anda belum tersimpan. Coba lagi sebentar."


def install(app: FastAPI) -> None:
    """Map the tree (and FastAPI's own validation and routing errors) to JSON answers."""

    @app.exception_handler(TallyError)
    async def _tally(_: Request, exc: TallyError) -> JSONResponse:
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
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        where = [".".join(str(p) for p in e.get("loc", ())) for e in exc.errors()]
        body = {
            "code": "invalid_request",
            "message": "Data yang dikirim tidak lengkap atau salah bentuk. Periksa isian lalu kirim ulang.",
            "detail": {"fields": where},
        }
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, message = _HTTP_MESSAGES.get(
            exc.status_code, ("http_error", "Permintaan tidak dapat diproses.")
        )
        return JSONResponse({"code": code, "message": message}, status_code=exc.status_code)
