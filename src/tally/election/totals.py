"""The per-region totals (`region_total`, `region_vote`): incremental deltas, bulk rebuild, consistency check.

Every change of a TPS result is a *delta* — its new contribution minus its old one — added to its desa and
the four levels above it (kecamatan, kab/kota, provinsi, nasional) in the same transaction, with
`INSERT … ON CONFLICT DO UPDATE SET x = region_total.x + excluded.x`: atomic per row on both databases, so
concurrent writers never lose a delta. Rows are touched in one global order — (level, area), the nation
first — so two writers never wait on each other in opposite orders (no deadlock among totals rows).

`rebuild` recomputes a contest from the TPS tables with one GROUP BY per level (after a bulk load);
`check` recomputes each level straight from the TPS tables and names every row that differs (tests).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, case, delete, func, select, text

from tally.audit.replay import KEY_LEN
from tally.db.regions import TpsRow
from tally.db.results import TpsResultRow, TpsVoteRow
from tally.db.sheets import ContestRow
from tally.db.totals import MEASURES, RegionTotalRow, RegionVoteRow

Key = tuple[int, str]  # (level, area)


@dataclass
class Deltas:
    """Changes to apply to the totals of one contest, accumulated per region."""

    totals: dict[Key, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0] * len(MEASURES)))
    votes: dict[tuple[int, str, int], int] = field(default_factory=lambda: defaultdict(int))

    def add_tps(
        self, tps: str, sign: int, row: Sequence[int] = (), votes: Iterable[tuple[int, int | None]] = (),
        *, expected: int = 0,
    ) -> None:  # fmt: skip
        """Add (`sign` = 1) or take away (-1) one TPS's contribution `row` and `votes` (paslon, votes)."""
        vector = [expected * sign, *(sign * x for x in row)]
        vector += [0] * (len(MEASURES) - len(vector))
        pairs = [(p, sign * (v or 0)) for p, v in votes]
        for lvl, n in enumerate(KEY_LEN):
            area = tps[:n]
            if any(vector):
                acc = self.totals[(lvl, area)]
                for i, x in enumerate(vector):
                    acc[i] += x
            for paslon, v in pairs:
                self.votes[(lvl, area, paslon)] += v

    def apply(self, conn: Connection, contest_id: str) -> int:
        """Upsert-add every non-zero delta, nation first; returns the totals rows touched."""
        rows = [
            {"c": contest_id, "l": lvl, "a": area, **dict(zip(MEASURES, d, strict=True))}
            for (lvl, area), d in sorted(self.totals.items())
            if any(d)
        ]
        votes = [
            {"c": contest_id, "l": lvl, "a": area, "p": p, "v": v}
            for (lvl, area, p), v in sorted(self.votes.items())
            if v
        ]
        if rows:
            conn.execute(_UPSERT_TOTAL, rows)
        if votes:
            conn.execute(_UPSERT_VOTE, votes)
        self.totals.clear()
        self.votes.clear()
        return len(rows)


_UPSERT_TOTAL = text(
    f"INSERT INTO region_total (contest_id, level, area, {', '.join(MEASURES)})"
    f" VALUES (:c, :l, :a, {', '.join(':' + m for m in MEASURES)})"
    " ON CONFLICT (contest_id, level, area) DO UPDATE SET "
    + ", ".join(f"{m} = region_total.{m} + excluded.{m}" for m in MEASURES)
)
_UPSERT_VOTE = text(
    "INSERT INTO region_vote (contest_id, level, area, paslon, votes) VALUES (:c, :l, :a, :p, :v)"
    " ON CONFLICT (contest_id, level, area, paslon) DO UPDATE SET votes = region_vote.votes + excluded.votes"
)


def add_expected(conn: Connection, tps_ids: Sequence[str]) -> None:
    """New TPS rows: each adds one expected TPS to its regions, in every stored contest."""
    if not tps_ids:
        return
    for contest_id in conn.scalars(select(ContestRow.id).order_by(ContestRow.id)):
        deltas = Deltas()
        for tps in tps_ids:
            deltas.add_tps(tps, 1, expected=1)
        deltas.apply(conn, contest_id)


def rebuild(conn: Connection, contest_id: str) -> None:
    """Recompute the totals of `contest_id` from the TPS tables: desa rows, then one GROUP BY per level."""
    for row in (RegionVoteRow, RegionTotalRow):
        conn.execute(delete(row).where(row.contest_id == contest_id))
    conn.execute(_DESA_TOTALS, {"c": contest_id})
    conn.execute(_DESA_VOTES, {"c": contest_id})
    cols = ", ".join(MEASURES)
    sums = ", ".join(f"sum({m})" for m in MEASURES)
    for lvl in (3, 2, 1, 0):
        key = f"substr(area, 1, {KEY_LEN[lvl]})" if lvl else "''"
        group = f", {key}" if lvl else ""
        conn.execute(
            text(
                f"INSERT INTO region_total (contest_id, level, area, {cols}) SELECT contest_id, {lvl}, {key},"
                f" {sums} FROM region_total WHERE contest_id = :c AND level = {lvl + 1}"
                f" GROUP BY contest_id{group}"
            ),
            {"c": contest_id},
        )
        conn.execute(
            text(
                f"INSERT INTO region_vote (contest_id, level, area, paslon, votes) SELECT contest_id, {lvl},"
                f" {key}, paslon, sum(votes) FROM region_vote WHERE contest_id = :c AND level = {lvl + 1}"
                f" GROUP BY contest_id{group}, paslon"
            ),
            {"c": contest_id},
        )


_SUMS = MEASURES[4:]
_DESA_TOTALS = text(
    f"INSERT INTO region_total (contest_id, level, area, {', '.join(MEASURES)})"
    " SELECT :c, 4, substr(t.id, 1, 10), count(*), coalesce(sum(r.counted), 0),"
    " coalesce(sum(CASE WHEN r.counted = 0 AND r.complete = 0 THEN 1 ELSE 0 END), 0),"
    " coalesce(sum(CASE WHEN r.counted = 0 AND r.complete = 1 AND r.flags > 0 THEN 1 ELSE 0 END), 0), "
    + ", ".join(f"coalesce(sum(CASE WHEN r.counted = 1 THEN r.{s} ELSE 0 END), 0)" for s in _SUMS)
    + " FROM tps t LEFT JOIN tps_result r ON r.contest_id = :c AND r.tps_id = t.id"
    " GROUP BY substr(t.id, 1, 10)"
)
_DESA_VOTES = text(
    "INSERT INTO region_vote (contest_id, level, area, paslon, votes)"
    " SELECT contest_id, 4, substr(tps_id, 1, 10), paslon, coalesce(sum(votes), 0) FROM tps_vote"
    " WHERE contest_id = :c GROUP BY contest_id, substr(tps_id, 1, 10), paslon"
)


def _level_rows(conn: Connection, contest_id: str, lvl: int) -> dict[str, tuple[int, ...]]:
    """Each region of level `lvl` recomputed from `tps` and `tps_result` (one GROUP BY each)."""
    n = KEY_LEN[lvl]
    tps_key = func.substr(TpsRow.id, 1, n)
    expected: dict[str, int] = dict(conn.execute(select(tps_key, func.count()).group_by(tps_key)).all())
    r = TpsResultRow
    key = func.substr(r.tps_id, 1, n)
    stmt = (
        select(
            key,
            func.sum(r.counted),
            func.sum(case(((r.counted == 0) & (r.complete == 0), 1), else_=0)),
            func.sum(case(((r.counted == 0) & (r.complete == 1) & (r.flags > 0), 1), else_=0)),
            *(func.sum(case((r.counted == 1, func.coalesce(getattr(r, s), 0)), else_=0)) for s in _SUMS),
        )
        .where(r.contest_id == contest_id)
        .group_by(key)
    )
    results = {k: tuple(int(x or 0) for x in rest) for k, *rest in conn.execute(stmt)}
    return {
        k: (int(expected.get(k, 0)), *results.get(k, (0,) * (len(MEASURES) - 1)))
        for k in set(expected) | set(results)
    }


def _level_votes(conn: Connection, contest_id: str, lvl: int) -> dict[tuple[str, int], int]:
    v = TpsVoteRow
    key = func.substr(v.tps_id, 1, KEY_LEN[lvl])
    stmt = (
        select(key, v.paslon, func.sum(func.coalesce(v.votes, 0)))
        .where(v.contest_id == contest_id)
        .group_by(key, v.paslon)
    )
    return {(k, int(p)): int(s or 0) for k, p, s in conn.execute(stmt)}


def check(conn: Connection, contest_id: str) -> list[str]:
    """Every stored totals row that differs from a recompute over the TPS tables (empty when consistent)."""
    problems: list[str] = []
    zero = (0,) * len(MEASURES)
    for lvl in range(5):
        want = {a: v for a, v in _level_rows(conn, contest_id, lvl).items() if any(v)}
        t = RegionTotalRow
        stored = {
            a: tuple(int(x) for x in rest)
            for a, *rest in conn.execute(
                select(t.area, *(getattr(t, m) for m in MEASURES)).where(
                    t.contest_id == contest_id, t.level == lvl
                )
            )
            if any(rest)
        }
        for area in sorted(set(want) | set(stored)):
            if want.get(area, zero) != stored.get(area, zero):
                problems.append(f"level {lvl} area {area!r}: stored {stored.get(area)} != {want.get(area)}")
        want_votes = {k: x for k, x in _level_votes(conn, contest_id, lvl).items() if x}
        rv = RegionVoteRow
        got_votes = {
            (a, int(p)): int(x)
            for a, p, x in conn.execute(
                select(rv.area, rv.paslon, rv.votes).where(rv.contest_id == contest_id, rv.level == lvl)
            )
            if x
        }
        for k in sorted(set(want_votes) | set(got_votes)):
            if want_votes.get(k, 0) != got_votes.get(k, 0):
                problems.append(f"level {lvl} votes {k}: stored {got_votes.get(k)} != {want_votes.get(k)}")
    return problems
