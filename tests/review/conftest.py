"""Fixtures of the officer-page tests (SQLite and PostgreSQL through `settings` from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.officers import Office, Sample, office, sample_tps
from tally.settings import Settings


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> list[Sample]:
    return sample_tps(tmp_path_factory.mktemp("samples"))


@pytest.fixture
def officers(settings: Settings) -> Iterator[Office]:
    with office(settings) as o:
        yield o


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path
