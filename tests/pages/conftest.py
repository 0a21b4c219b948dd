"""The site every page test opens (`support.site`): one per module, on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.site import Site, site


@pytest.fixture(scope="module")
def served(_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with site(_sqlite_template, tmp_path_factory.mktemp("site")) as s:
        yield s
