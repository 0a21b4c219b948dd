"""Fixtures of the web tests: the small election of `web_election` in a fresh database, and a client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from anyio.from_thread import start_blocking_portal
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from reconcile.contest import Contest
from support.client import Client
from support.web_election import load_election, web_app
from tally.settings import Settings


@pytest.fixture
def election(session: Session) -> Contest:
    return load_election(session)


@pytest.fixture
def client(election: Contest, settings: Settings, engine: Engine) -> Iterator[Client]:
    app = web_app(settings, engine)
    with start_blocking_portal() as portal:
        c = Client(app, portal)
        yield c
        portal.call(c.http.aclose)
    app.state.services.engine.dispose()
