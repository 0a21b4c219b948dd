"""The counted tables against the chain's projection: every TPS result, then every region total.

`tps_result` / `tps_vote` must hold exactly the last result the chain gives each TPS, and `region_total` /
`region_vote` exactly the sums of those results (every column but `tps_expected`, the count of `tps` rows:
the list of polling stations is reference data, not a count; `tally.election.totals.check` covers it).
Each returns the FIRST row that differs — the lowest (contest, TPS id); for regions the most specific region
(a desa before its kecamatan … before the nation), so an attacker who moved a desa and every level above it
is pointed at the desa.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from reconcile.ids import region_code
from tally.audit.replay import MEASURES, NUMBERS, Projection, TpsResult

_LEVEL = ("nasional", "provinsi", "kab/kota", "kecamatan", "kelurahan/desa")


@dataclass(frozen=True, slots=True)
class Difference:
    subject: str  # TPS id, or dotted region code ("" for the nation)
    seq: int  # the entry that set the TPS's result (0: none); 0 for a region
    message: str  # Bahasa Indonesia
    count: int  # how many TPS (or region rows) differ in all


def first_tps_difference(conn: Connection, projection: Projection) -> Difference | None:
    """The lowest (contest, TPS) whose stored result differs from the chain's."""
    chain: dict[tuple[str, str], tuple[int, TpsResult | None]] = {
        key: (seq, result) for key, seq, result in projection.current()
    }
    worst: tuple[tuple[str, str], int, TpsResult | None, TpsResult | None] | None = None
    count = 0
    for key, stored in _stored_results(conn):
        seq, chained = chain.pop(key, (0, None))
        if stored != chained:
            count += 1
            if worst is None or key < worst[0]:
                worst = (key, seq, stored, chained)
    for key, (seq, chained) in chain.items():  # in the chain, gone from the table
        count += 1
        if worst is None or key < worst[0]:
            worst = (key, seq, None, chained)
    for contest, tps in conn.execute(_ORPHAN_VOTES):  # votes without a result row still move the recap
        count += 1
        key = (str(contest), str(tps))
        if worst is None or key < worst[0]:
            seq, chained = projection.results.get(key, (0, None))
            worst = (key, seq, None, chained)
    if worst is None:
        return None
    (contest, tps), seq, table_has, chain_has = worst
    where = f"entri #{seq}" if seq else "tidak ada entri"
    return Difference(
        tps,
        seq,
        f"TPS {tps} ({contest}) berbeda dari rantai audit: tabel {_describe(table_has)}; "
        f"rantai ({where}) {_describe(chain_has)}. {count} TPS berbeda",
        count,
    )


def first_region_difference(conn: Connection, projection: Projection) -> Difference | None:
    """The most specific region whose stored total (or votes) differs from the sums of the chain's results."""
    totals, votes = projection.region_totals()
    contests = {c for (c, _, _) in totals} | {str(c) for c in conn.scalars(text("SELECT id FROM contest"))}
    found: list[tuple[tuple[str, int, str], str]] = []
    zero = (0,) * len(MEASURES)
    for contest in sorted(contests):
        want = {(lvl, area): tuple(row) for (c, lvl, area), row in totals.items() if c == contest}
        stored = {
            (int(lvl), str(area)): tuple(int(x) for x in rest)
            for lvl, area, *rest in conn.execute(_STORED_TOTALS, {"c": contest})
        }
        for key in set(want) | set(stored):
            a, b = stored.get(key, zero), want.get(key, zero)
            if a != b:
                diff = ", ".join(f"{n} {x} ≠ {y}" for n, x, y in zip(MEASURES, a, b, strict=True) if x != y)
                found.append(((contest, -key[0], key[1]), f"tabel ≠ rantai: {diff}"))
        want_votes = {(lvl, area, p): v for (c, lvl, area, p), v in votes.items() if c == contest and v}
        stored_votes = {
            (int(lvl), str(area), int(p)): int(v)
            for lvl, area, p, v in conn.execute(_STORED_VOTES, {"c": contest})
            if v
        }
        for lvl, area, p in set(want_votes) | set(stored_votes):
            a2, b2 = stored_votes.get((lvl, area, p), 0), want_votes.get((lvl, area, p), 0)
            if a2 != b2:
                found.append(((contest, -lvl, area), f"suara paslon {p}: tabel {a2} ≠ rantai {b2}"))
    if not found:
        return None
    (contest, neg_level, area), detail = min(found)
    shown = region_code(area) if area else "nasional"
    return Difference(
        shown,
        0,
        f"total {_LEVEL[-neg_level]} {shown} ({contest}) berbeda dari jumlah hasil TPS di rantai audit: "
        f"{detail}. {len(found)} baris total wilayah berbeda",
        len(found),
    )


def _stored_results(conn: Connection) -> Iterator[tuple[tuple[str, str], TpsResult]]:
    """Each stored TPS result with its votes, grouped from one ordered join (streamed)."""
    key: tuple[str, str] | None = None
    head: tuple[Any, ...] = ()
    votes: list[tuple[int, int | None]] = []
    rows = conn.execution_options(yield_per=20_000).execute(_STORED_RESULTS)
    for contest, tps, sheet, *nums, paslon, n in rows:
        k = (str(contest), str(tps))
        if k != key:
            if key is not None:
                yield key, _result(head, votes)
            key, head, votes = k, (sheet, *nums), []
        if paslon is not None:
            votes.append((int(paslon), None if n is None else int(n)))
    if key is not None:
        yield key, _result(head, votes)


def _result(head: tuple[Any, ...], votes: list[tuple[int, int | None]]) -> TpsResult:
    sheet, counted, complete, flags, *numbers = head
    return TpsResult.of(str(sheet), (counted, complete, flags), numbers, votes)


def _describe(result: TpsResult | None) -> str:
    if result is None:
        return "tidak ada hasil"
    votes = ", ".join(f"paslon {p} = {v}" for p, v in result.votes)
    nums = ", ".join(f"{n} = {getattr(result, n)}" for n in NUMBERS)
    state = "terhitung" if result.counted else "tidak terhitung"
    return f"{state}, {nums}" + (f", {votes}" if votes else "") + f", lembar {result.sheet[:12]}…"


_STORED_RESULTS = text(
    "SELECT r.contest_id, r.tps_id, r.sheet_id, r.counted, r.complete, r.flags, "
    + ", ".join(f"r.{n}" for n in NUMBERS)
    + ", v.paslon, v.votes FROM tps_result r"
    " LEFT JOIN tps_vote v ON v.contest_id = r.contest_id AND v.tps_id = r.tps_id"
    " ORDER BY r.contest_id, r.tps_id, v.paslon"
)
_ORPHAN_VOTES = text(
    "SELECT DISTINCT v.contest_id, v.tps_id FROM tps_vote v WHERE NOT EXISTS"
    " (SELECT 1 FROM tps_result r WHERE r.contest_id = v.contest_id AND r.tps_id = v.tps_id)"
)
_STORED_TOTALS = text(f"SELECT level, area, {', '.join(MEASURES)} FROM region_total WHERE contest_id = :c")
_STORED_VOTES = text("SELECT level, area, paslon, votes FROM region_vote WHERE contest_id = :c")
