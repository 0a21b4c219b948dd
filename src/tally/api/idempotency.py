"""`Idempotency-Key` on POSTs: the first answer is stored (encrypted: it may hold a token) and replayed to a
retry with the same key and body; the same key with another body is refused (422).

The action and its record commit in one transaction, so a crash between them cannot leave an effect that a
retry would repeat.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from tally.db.intake import IdempotencyRow
from tally.errors import Unprocessable

Action = Callable[[Session], tuple[int, dict[str, Any]]]
REUSED = Unprocessable(
    "idempotency_key_reused",
    "Kunci Idempotency-Key ini sudah dipakai untuk permintaan lain. Buat kunci baru untuk permintaan baru.",
)


class Idempotency:
    def __init__(self, sessions: sessionmaker[Session], secret_key: str) -> None:
        self.sessions = sessions
        self.fernet = Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret_key.encode()).digest()))

    def run(self, header: str | None, who: str, request: str, action: Action) -> tuple[int, dict[str, Any]]:
        if not header:
            with self.sessions() as s, s.begin():
                return action(s)
        key = hashlib.sha256(f"{who}|{header}".encode()).hexdigest()
        fingerprint = hashlib.sha256(request.encode()).hexdigest()
        for _ in range(2):
            with self.sessions() as s, s.begin():
                seen = s.get(IdempotencyRow, key)
                if seen is not None:
                    if seen.fingerprint != fingerprint:
                        raise REUSED
                    return seen.status_code, json.loads(self.fernet.decrypt(seen.body))
            try:
                with self.sessions() as s, s.begin():
                    status, body = action(s)
                    sealed = self.fernet.encrypt(json.dumps(body, default=str).encode())
                    s.add(
                        IdempotencyRow(
                            key=key,
                            fingerprint=fingerprint,
                            status_code=status,
                            body=sealed,
                            created_at=datetime.now(UTC),
                        )
                    )
                return status, body
            except IntegrityError:
                continue  # a concurrent retry with the same key committed first: replay its answer
        raise REUSED
