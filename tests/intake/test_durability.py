"""What a 202 promises on SQLite: the row is committed to disk (synchronous=FULL) unless the operator chose
NORMAL, which a power cut can roll back (docs/operations.md, "Durability")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tally.api.app import build_services
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
