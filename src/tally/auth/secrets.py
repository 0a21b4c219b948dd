"""Opaque tokens and one-time codes: random, shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets

# No 0/O/1/I/L: an activation code is read off paper and typed on a phone at night.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10  # 31^10 ≈ 8e14 guesses; with the rate limit, out of reach


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
