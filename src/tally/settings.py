"""One settings object, read from `TALLY_*` environment variables and passed in; no import-time globals."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-not-secret"
MIN_SECRET_CHARS = 24
MIN_SECRET_BITS = 80.0  # Shannon estimate over the secret's own characters, times its length


def secret_bits(secret: str) -> float:
    """A conservative entropy estimate: per-character Shannon entropy of the secret itself × its length.
    "aaaa…" scores 0, a 43-character `secrets.token_urlsafe(32)` about 200."""
    if not secret:
        return 0.0
    counts, n = Counter(secret), len(secret)
    return -n * sum(c / n * math.log2(c / n) for c in counts.values())


def weak_secret(secret: str) -> str | None:
    """Why `secret` is too weak to sign and key anything in production, or None when it will do."""
    if secret == DEV_SECRET:
        return "it is the development default"
    if len(secret) < MIN_SECRET_CHARS:
        return f"it has {len(secret)} characters; at least {MIN_SECRET_CHARS} are needed"
    period = next(
        (k for k in range(1, len(secret) // 2 + 1) if secret == (secret[:k] * len(secret))[: len(secret)]), 0
    )
    if period:
        return f"it repeats {secret[:period]!r}"
    if secret_bits(secret) < MIN_SECRET_BITS:
        return f"it has about {secret_bits(secret):.0f} bits of entropy; at least {MIN_SECRET_BITS:.0f}"
    return None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TALLY_", extra="forbid")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("var")
    # SQLite file in data_dir by default; `postgresql+psycopg://…` at scale.
    database_url: str = ""
    # `memory`/`sqlite` run OCR in-process (embedded default); `redis://…` hands jobs to `tally worker`.
    queue_url: str = "sqlite"
    # Kepmendagri region CSVs; `../shared/data/wilayah` beside the repository when unset (tally.regions).
    wilayah_dir: Path | None = None
    photo_store: str = ""  # a directory: data_dir/photos by default; one shared filesystem at scale
    secret_key: str = DEV_SECRET
    max_upload_bytes: int = 15 * 1024 * 1024
    max_photo_pixels: int = 50_000_000
    host: str = "127.0.0.1"
    port: int = 8000
    # SQLite only. FULL: a commit (the row behind a 202) is on disk before the answer, even across a power
    # cut; ~3 ms per commit under SQLite's one write lock. NORMAL (WAL): survives a crash of the process but
    # a power cut may roll back the last commits while their photos, fsynced, remain: a 202 could be lost.
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL"
    # API processes sharing the port (`tally serve`): one Python process uses one core for the requests.
    api_workers: int = Field(default=1, ge=1)
    # Intake (issue 6): the contest uploads are read for, per-token rate limit, OCR jobs.
    contest: str = "ppwp-2024"
    rate_per_s: float = 5.0
    rate_burst: int = 30
    ocr_reader: str = "ocr.reader:PhotoReader"  # "module:factory"; "none" stores photos and reads nothing
    ocr_lease_s: float = 120.0  # a job's lease; a worker silent for longer is presumed dead
    ocr_max_tries: int = 3  # then the job is dead-lettered and the photo marked failed
    embedded_workers: int = 1  # OCR threads inside `tally serve` (0 when `tally worker` runs apart)
    # Officers (issue 14, docs/security.md). Who issues KPPS activation codes: the KPU kab/kota by default
    # ("kpu" means a KPU account at kab/kota level); "ppk" or "pps" hand it down, never to the reviewer of
    # the same TPS (the rule of two refuses the issuer as the second person for that TPS either way).
    code_issuer_role: Literal["kpu", "ppk", "pps"] = "kpu"
    device_token_days: float = Field(default=14.0, gt=0)  # a KPPS phone: counting night to the end of recap
    staff_session_hours: float = Field(default=12.0, gt=0)  # a PPS/PPK/KPU login
    idempotency_ttl_hours: float = Field(default=24.0, gt=0)  # an Idempotency-Key is remembered this long
    # Guessing and floods: wrong passwords per account before it is locked (1 min, doubling, at most 1 h),
    # failed logins/activations per client address, failed activations per code prefix (two characters),
    # and Argon2 verifications running at once in one API process (the rest answer 429 at once).
    login_lock_after: int = Field(default=5, ge=1)
    client_failures_burst: int = Field(default=20, ge=1)
    client_failures_per_min: float = Field(default=6.0, gt=0)
    code_prefix_failures_burst: int = Field(default=10, ge=1)
    code_prefix_failures_per_min: float = Field(default=1.0, gt=0)
    login_concurrency: int = Field(default=1, ge=1)
    # Addresses of the reverse proxies whose X-Forwarded-For is believed (the audit origin, per-client
    # limits); empty: the connecting address is the client, whatever the header says.
    trusted_proxies: list[str] = Field(default_factory=list)
    # The address browsers use, e.g. https://tally.kpu.go.id: the one origin state-changing pages accept
    # (docs/security.md) and the address printed on the salinan PDF. Empty (development): each request's Host.
    public_url: str = ""
    # /metrics answers a scrape with `Authorization: Bearer <token>`; empty: only a direct loopback client.
    metrics_token: str = ""
    # The operator's Ed25519 public key (64 hex), published beside the heads: `tally audit verify` checks
    # every head against it, never against the key file beside the database (docs/audit.md).
    audit_public_key: str = ""

    @model_validator(mode="after")
    def _defaults_and_secrets(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'tally.sqlite3'}"
        if not self.photo_store:
            self.photo_store = str(self.data_dir / "photos")
        if self.environment == "production" and (why := weak_secret(self.secret_key)) is not None:
            raise ValueError(
                f"TALLY_SECRET_KEY is too weak for production: {why} "
                "(make one with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
            )
        return self
