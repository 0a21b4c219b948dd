"""Every table, gathered so alembic sees one metadata. Each group of tables lives in its own module."""

from tally.db.base import Base

__all__ = ["Base"]
