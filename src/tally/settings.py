"""One settings object, read from `TALLY_*` environment variables and passed in; no import-time globals."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-not-secret"


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
    photo_store: str = ""  # local directory by default (data_dir/photos); s3://bucket/prefix at scale
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

    @model_validator(mode="after")
    def _defaults_and_secrets(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'tally.sqlite3'}"
        if not self.photo_store:
            self.photo_store = str(self.data_dir / "photos")
        if self.environment == "production" and self.secret_key == DEV_SECRET:
            raise ValueError("TALLY_SECRET_KEY must be set to a real secret in production")
        return self
