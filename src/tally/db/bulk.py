"""Bulk writes for loads of 10⁵–10⁷ rows: COPY on PostgreSQL, executemany on SQLite.

Both run on the caller's connection, inside its transaction, so a failed load leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, Table


def table_of(row: type[object]) -> Table:
    """The `Table` behind an ORM row class (what `insert_rows` and Core statements take)."""
    table = row.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


def insert_rows(
    conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[object]]
) -> int:
    """Insert `rows` (tuples in `columns` order) into `table`; returns how many were written."""
    cols = ", ".join(columns)
    count = 0
    if conn.dialect.name == "postgresql":
        dbapi = conn.connection.driver_connection
        assert dbapi is not None
        with dbapi.cursor() as cur, cur.copy(f"COPY {table.name} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    marks = ", ".join("?" for _ in columns)
    batch: list[Sequence[object]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= 50_000:
            conn.exec_driver_sql(f"INSERT INTO {table.name} ({cols}) VALUES ({marks})", batch)
            count += len(batch)
            batch = []
    if batch:
        conn.exec_driver_sql(f"INSERT INTO {table.name} ({cols}) VALUES ({marks})", batch)
        count += len(batch)
    return count
