"""What a 202 promises on SQLite: the row is committed to disk (synchronous=FULL) unless the operator chose
NORMAL, which a power cut can roll back (docs/operations.md, "Durability")."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from support.intake import TPS_A, Intake, jpeg, running, seed_regions, sha
from tally.bootstrap import build_services
from tally.settings import Settings


@pytest.mark.parametrize(("chosen", "pragma"), [({}, 2), ({"sqlite_synchronous": "NORMAL"}, 1)])
def test_sqlite_commits_are_synced_unless_the_operator_chose_normal(
    sqlite_url: str, tmp_path: Path, chosen: dict[str, Any], pragma: int
) -> None:
    settings = Settings(environment="test", database_url=sqlite_url, data_dir=tmp_path, **chosen)
    services = build_services(settings)
    try:
        with services.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == pragma  # 2 = FULL, 1 = NORMAL
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        services.engine.dispose()


class _RecordingLock:
    """The process's SQLite write lock, recording the photo rows seen on entering and on leaving it."""

    def __init__(self, it: Intake) -> None:
        self.it, self.lock, self.seen = it, threading.Lock(), []  # type: list[tuple[int, int]]
        self._entered = 0

    def __enter__(self) -> None:
        self.lock.acquire()
        self._entered = self.it.photo_rows()

    def __exit__(self, *exc: object) -> None:
        self.seen.append((self._entered, self.it.photo_rows()))
        self.lock.release()


def test_on_sqlite_the_commit_happens_inside_the_process_write_lock(settings: Settings) -> None:
    seed_regions(settings.database_url)
    with running(settings.model_copy(update={"ocr_reader": "none"})) as it:
        services = it.client.app.state.services  # type: ignore[attr-defined]
        if settings.database_url.startswith("postgresql"):
            assert services.sqlite_writes is None  # PostgreSQL takes concurrent writers as they come
            return
        probe = _RecordingLock(it)
        services.sqlite_writes = probe
        who = it.kpps(TPS_A)
        for data in (jpeg(seed=31), jpeg(seed=32)[:-5000]):  # one accepted, one truncated (refused)
            url = f"/api/v1/tps/{TPS_A}/pages/1/photos/{sha(data)}"
            it.client.put(url, content=data, headers={**who, "Content-Type": "image/jpeg"})
        assert probe.seen == [(0, 1)]  # the accepted row committed while held; the refused one never took it


def test_every_engine_syncs_sqlite_commits_by_default(sqlite_url: str) -> None:
    # The CLI and the separate worker build their engines with make_engine alone: they promise the same.
    from tally.db.base import make_engine

    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
    finally:
        engine.dispose()
