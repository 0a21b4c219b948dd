"""What every route module documents: the error answers any authenticated endpoint can give."""

from __future__ import annotations

from tally.api.schemas import ErrorOut

ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorOut, "description": text}
    for code, text in {
        400: "Isi permintaan tidak dapat dibaca",
        401: "Tidak ada token, atau token tidak berlaku",
        403: "Di luar wewenang pemegang token",
        404: "Tidak ditemukan",
        422: "Isi permintaan tidak sesuai",
        429: "Terlalu banyak permintaan",
        503: "Basis data sedang tidak dapat dihubungi: coba lagi",
    }.items()
}
