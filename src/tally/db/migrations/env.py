"""Alembic environment: the URL comes from the caller (`tally.db.base.migrate`) or TALLY_DATABASE_URL."""

from __future__ import annotations

from alembic import context

from tally.db import models
from tally.db.base import make_engine
from tally.settings import Settings

config = context.config
url = config.get_main_option("sqlalchemy.url") or Settings().database_url
target_metadata = models.Base.metadata


def run() -> None:
    engine = make_engine(url)
    with engine.connect() as conn:
        context.configure(
            connection=conn,
            target_metadata=target_metadata,
            render_as_batch=conn.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
