"""`Idempotency-Key` on POSTs that carry no credential: the first answer is kept and replayed to a retry with
the same key and request; the same key with another request is refused (422).

Nothing kept here can be replayed into access or guessed offline: the key and the request's fingerprint are
HMAC-SHA-256 under the server secret (an unsalted hash of a login body fell to a dictionary), and routes whose
answer is a credential — a login or activation token, fresh activation codes — do not use this at all (a
retried login logs in again; a retried activation is told the code is used; a retried issuance reissues).
Records expire after `idempotency_ttl_hours`; expired ones are ignored and purged as new ones are written.

The action and its record commit in one transaction, so a crash between them cannot leave an effect that a
retry would repeat.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from tally.db.base import aware
from tally.db.intake import IdempotencyRow
from tally.errors import Unprocessable

Action = Callable[[Session], tuple[int, dict[str, Any]]]
REUSED = Unprocessable(
    "idempotency_key_reused",
    "Kunci Idempotency-Key ini sudah dipakai untuk permintaan lain. Buat kunci baru untuk permintaan baru.",
)
PURGE_EVERY = 100  # writes between two purges of expired records


class Idempotency:
    def __init__(self, sessions: sessionmaker[Session], secret_key: str, ttl: timedelta) -> None:
        self.sessions = sessions
        self._key = hmac.new(secret_key.encode(), b"tally idempotency v2", hashlib.sha256).digest()
        self.ttl = ttl
        self._writes = 0

    def mac(self, text: str) -> str:
        return hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()

    def run(self, header: str | None, who: str, request: str, action: Action) -> tuple[int, dict[str, Any]]:
        """Run `action` once per (who, header). `request` names what is asked (never a credential)."""
        if not header:
            with self.sessions() as s, s.begin():
                return action(s)
        key, fingerprint = self.mac(f"{who}|{header}"), self.mac(request)
        for _ in range(2):
            with self.sessions() as s, s.begin():
                seen = s.get(IdempotencyRow, key)
                if seen is not None and aware(seen.created_at) + self.ttl < datetime.now(UTC):
                    s.delete(seen)  # expired: forget it and act afresh
                    seen = None
                if seen is not None:
                    if not hmac.compare_digest(seen.fingerprint, fingerprint):
                        raise REUSED
                    return seen.status_code, json.loads(seen.body)
            try:
                with self.sessions() as s, s.begin():
                    status, body = action(s)
                    s.add(
                        IdempotencyRow(
                            key=key,
                            fingerprint=fingerprint,
                            status_code=status,
                            body=json.dumps(body, default=str).encode(),
                            created_at=datetime.now(UTC),
                        )
                    )
                self._purge_now_and_then()
                return status, body
            except IntegrityError:
                continue  # a concurrent retry with the same key committed first: replay its answer
        raise REUSED

    def purge(self) -> int:
        """Delete every expired record; returns how many."""
        with self.sessions() as s, s.begin():
            gone = s.execute(
                delete(IdempotencyRow).where(IdempotencyRow.created_at < datetime.now(UTC) - self.ttl)
            )
            return int(gone.rowcount)  # type: ignore[attr-defined]

    def _purge_now_and_then(self) -> None:
        self._writes += 1
        if self._writes % PURGE_EVERY == 0:
            self.purge()
