"""Fixtures of the web tests: the small election of `web_election` in a fresh database, and a client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests_web_helpers import AsgiClient
from web_election import load_election, web_app

from reconcile.contest import Contest
from tally.settings import Settings


@pytest.fixture
def election(session: Session) -> Contest:
    return load_election(session)


@pytest.fixture
def client(election: Contest, settings: Settings, engine: Engine) -> Iterator[AsgiClient]:
    app = web_app(settings, engine)
    yield AsgiClient(app)
    app.state.services.engine.dispose()
