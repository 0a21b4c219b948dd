"""The one error tree of the service; `tally.api.errors.install` maps it to HTTP in one place.

    TallyError                      500  (never raised directly)
    ├── BadRequest                  400
    ├── Unauthorized                401  no token, an unknown or revoked token, a wrong password
    ├── Forbidden                   403  a valid token acting outside its TPS or region
    ├── NotFound                    404  unknown TPS, region, photo
    ├── Conflict                    409  a photo already filed under another TPS/page, a used code
    ├── PayloadTooLarge             413  a body beyond the size limit
    ├── UnsupportedMediaType        415  a photo sent as something other than image/jpeg
    ├── Unprocessable               422  a body that is not what it claims (hash, JPEG, page, key reuse)
    │   └── BadPhoto                422  not a JPEG, truncated, too many pixels, empty
    ├── TooManyRequests             429  a token over its rate limit
    └── Unavailable                 503  database or queue unreachable (readiness)

Every error carries a machine `code` (stable, English, snake_case) and a `message` in Bahasa Indonesia that a
tired officer at night understands and can act on. Domain modules raise these; routes never build responses
for errors themselves.
"""

from __future__ import annotations

from typing import Any, ClassVar


class TallyError(Exception):
    status: ClassVar[int] = 500

    def __init__(self, code: str, message: str, **detail: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.detail:
            out["detail"] = self.detail
        return out


class BadRequest(TallyError):
    status = 400


class Unauthorized(TallyError):
    status = 401


class Forbidden(TallyError):
    status = 403


class NotFound(TallyError):
    status = 404


class Conflict(TallyError):
    status = 409


class PayloadTooLarge(TallyError):
    status = 413


class UnsupportedMediaType(TallyError):
    status = 415


class Unprocessable(TallyError):
    status = 422


class BadPhoto(Unprocessable):
    pass


class TooManyRequests(TallyError):
    status = 429


class Unavailable(TallyError):
    status = 503
