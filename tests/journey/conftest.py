"""Fixtures of the journey; the service it drives is `support.journey`."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from support.journey import Service, seed_for
from support.officers import sample_tps
from tally.bootstrap import create_app
from tally.settings import Settings


@pytest.fixture
def service(sqlite_url: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    samples = sample_tps(tmp_path_factory.mktemp("journey-samples"))
    settings = Settings(environment="test", database_url=sqlite_url, data_dir=tmp_path, embedded_workers=1)
    app = create_app(settings)
    seed_for(app, samples[0].truth)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60  # the lifespan loads the reader before serving
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    yield Service(f"http://127.0.0.1:{port}", app, samples, settings)
    srv.should_exit = True
    thread.join(timeout=30)
