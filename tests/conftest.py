"""Shared fixtures: a migrated, empty database on SQLite AND on PostgreSQL, for every storage test.

Fixtures (use these; names are stable):

- ``db_url`` — parametrised ``[sqlite]`` / ``[postgresql]``: the URL of a freshly migrated (alembic head),
  empty database private to this test. The ``postgresql`` param carries the ``postgres`` marker and FAILS
  (never skips) when the server is unreachable: CI must not silently drop half the matrix.
- ``engine`` — a SQLAlchemy ``Engine`` on ``db_url`` (``tally.db.base.make_engine``), disposed afterwards.
- ``session`` — an ORM ``Session`` on ``engine``, closed afterwards.
- ``settings`` — ``tally.settings.Settings(environment="test", database_url=db_url, data_dir=tmp_path)``.
- ``sqlite_url`` / ``postgres_url`` — the same database for one backend only, unparametrised.

How it stays fast and ``pytest -n N``-safe: each process (xdist worker) migrates one template per backend
once per session — a SQLite file, and a PostgreSQL database ``tally_t_<pid>_<worker>_tmpl`` — and each test
gets a copy (a file copy; ``CREATE DATABASE … TEMPLATE``, ~70 ms). Names carry the pid, so several pytest
runs on one machine never collide; databases left by a crashed run (dead pid) are dropped at start.
The server is ``TALLY_TEST_POSTGRES`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``).
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from tally.db.base import make_engine, migrate
from tally.settings import Settings

PG_SERVER = os.environ.get("TALLY_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
_PREFIX = "tally_t_"
_counter = itertools.count()


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _pg_admin() -> psycopg.Connection[tuple[object, ...]]:
    url = make_url(PG_SERVER)
    try:
        return psycopg.connect(
            host=url.host, port=url.port or 5432, user=url.username, dbname=url.database, autocommit=True
        )
    except psycopg.OperationalError as exc:  # fail, don't skip: see the module docstring
        pytest.fail(f"PostgreSQL at {PG_SERVER} is unreachable ({exc}); start it (DOMAIN.md, Services)")


def _drop_orphans(admin: psycopg.Connection[tuple[object, ...]]) -> None:
    rows = admin.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (_PREFIX + "%",)).fetchall()
    for (name,) in rows:
        match = re.match(rf"{_PREFIX}(\d+)_", str(name))
        if match and not Path(f"/proc/{match.group(1)}").exists():
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg_url(dbname: str) -> str:
    return make_url(PG_SERVER).set(database=dbname).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "template.sqlite3"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str]:
    admin = _pg_admin()
    _drop_orphans(admin)
    name = f"{_PREFIX}{os.getpid()}_{_worker()}_tmpl"
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{name}"')
    migrate(_pg_url(name))
    yield name
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture
def sqlite_url(_sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "tally.sqlite3"
    shutil.copyfile(_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def postgres_url(_pg_template: str) -> Iterator[str]:
    admin = _pg_admin()
    name = f"{_PREFIX}{os.getpid()}_{_worker()}_{next(_counter)}"
    admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{_pg_template}"')
    try:
        yield _pg_url(name)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as s:
        yield s


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(environment="test", database_url=db_url, data_dir=tmp_path)


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where browser tests save screenshots: `docs/img` with TALLY_DOCS_SCREENSHOTS=1 (to refresh the docs),
    otherwise a temp dir, so a test run leaves the work tree clean."""
    if os.environ.get("TALLY_DOCS_SCREENSHOTS") == "1":
        return Path(__file__).resolve().parents[1] / "docs" / "img"
    return tmp_path / "shots"
