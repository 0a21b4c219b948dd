"""One judge at a time per kelurahan/desa.

Every event that changes what counts for a TPS — a reading applied, a blind answer, an approval — decodes
the TPS from what is stored and judges its whole kelurahan again (`tally.election.rejudge`), rewriting the
kelurahan's `tps_result` rows. Two such transactions at once each read the state before the other's write:
page 2 and page 3 applied together each produce a sheet missing the other page, and both rewrite the same
result rows (a unique violation or a deadlock on PostgreSQL). So each takes its kelurahan's lock as its
FIRST statement, before it reads anything it decides on, and holds it to commit.

- PostgreSQL: a transaction-scoped advisory lock keyed by the desa code, under a SHARED lock on its
  kab/kota; `tally reconcile` (which rewrites a whole kab/kota) takes that kab/kota lock exclusively. Locks
  are always taken kab/kota first, then desa, before any row lock, so they cannot deadlock each other. Under
  READ COMMITTED each later statement sees what the previous holder committed.
- SQLite: one writer at a time already; a write as the first statement takes the database's write lock
  now (waiting up to the busy timeout), so the reads that follow see the last commit instead of failing
  later with a stale snapshot.
"""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from reconcile.ids import Level, RegionCode, TpsId, key_length, undotted

_DESA = key_length(Level.DESA)
_KABKOTA = key_length(Level.KABKOTA)
_SQLITE_WRITE = text("UPDATE tps SET id = id WHERE 0")  # changes nothing, takes the write lock


def _conn(on: Session | Connection) -> Connection:
    return on.connection() if isinstance(on, Session) else on


def lock_kelurahan(on: Session | Connection, tps: TpsId | str) -> None:
    """Serialise the judging of `tps`'s kelurahan/desa (call first in the transaction)."""
    conn = _conn(on)
    if conn.dialect.name == "postgresql":
        key = undotted(RegionCode(tps))[:_DESA]
        conn.execute(
            text("SELECT pg_advisory_xact_lock_shared(:kab), pg_advisory_xact_lock(:desa)"),
            {"kab": int(key[:_KABKOTA]), "desa": int(key)},
        )
    else:
        conn.execute(_SQLITE_WRITE)


def lock_kabkota(conn: Connection, kabkota: RegionCode) -> None:
    """Serialise a whole kab/kota's judging against every kelurahan inside it (`tally reconcile`)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:kab)"), {"kab": int(undotted(kabkota)[:_KABKOTA])})
    else:
        conn.execute(_SQLITE_WRITE)
