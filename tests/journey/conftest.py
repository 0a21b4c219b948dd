"""Fixtures of the journey; the service it drives is `support.journey`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.journey import Service, seed_for
from support.live import serve
from support.officers import sample_tps
from tally.bootstrap import create_app
from tally.settings import Settings


@pytest.fixture
def service(sqlite_url: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    samples = sample_tps(tmp_path_factory.mktemp("journey-samples"))
    settings = Settings(environment="test", database_url=sqlite_url, data_dir=tmp_path, embedded_workers=1)
    app = create_app(settings)
    seed_for(app, samples[0].truth)
    with serve(app) as url:  # the lifespan loads the reader before serving
        yield Service(url, app, samples, settings)
