"""The counted values as a projection of the chain: pure values and a pure replay (no database here).

Every event that changes what counts (a reading applied, an approval, a `tally reconcile`, a synth rerun)
writes ONE entry whose `after` carries `"results"`: the new result of every TPS it changed —

    {"results": [{"contest": "ppwp-2024", "tps": "3173041007005",
                  "result": {"sheet": "…", "counted": 1, "complete": 1, "flags": 0, "dpt": 240,
                             "pengguna": 200, "suara_sah": 196, "suara_tidak_sah": 4, "suara_total": 200,
                             "votes": {"1": 90, "2": 60, "3": 46}}}, …]}

(`"result": null` when the TPS no longer has one). Replaying the entries in `seq` order, the last result
of each TPS is what `tps_result` / `tps_vote` must hold, and summing them per region (the same arithmetic
as `tps_contribution`, which the totals apply too) is what `region_total` / `region_vote` must hold.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconcile.ids import Level, key_length

KEY_LEN = tuple(key_length(lvl) for lvl in Level if lvl <= Level.DESA)  # undotted length: nasional … desa
NUMBERS = ("dpt", "pengguna", "suara_sah", "suara_tidak_sah", "suara_total")
SUMMED = ("dpt", "pengguna", "suara_sah", "suara_tidak_sah")  # what region_total sums, in its order
# region_total's measures after tps_expected: counted, pending, flagged, then the SUMMED sums.
MEASURES = ("tps_counted", "tps_pending", "tps_flagged", *SUMMED)


@dataclass(frozen=True, slots=True)
class TpsResult:
    """One TPS's row of `tps_result` and its `tps_vote` rows (votes only while counted, as stored)."""

    sheet: str
    counted: int
    complete: int
    flags: int
    dpt: int | None
    pengguna: int | None
    suara_sah: int | None
    suara_tidak_sah: int | None
    suara_total: int | None
    votes: tuple[tuple[int, int | None], ...] = ()  # (paslon, votes), paslon ascending

    @classmethod
    def of(
        cls,
        sheet: str,
        flags3: tuple[int, int, int],
        numbers: Sequence[int | None],
        votes: Iterable[tuple[int, int | None]] = (),
    ) -> TpsResult:
        """From (counted, complete, flags) and the `NUMBERS` in order, as the tables hold them."""
        n = [None if x is None else int(x) for x in numbers]
        counted, complete, flags = (int(x) for x in flags3)
        return cls(sheet, counted, complete, flags, n[0], n[1], n[2], n[3], n[4], tuple(votes))

    def to_json(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "counted": self.counted,
            "complete": self.complete,
            "flags": self.flags,
            **{n: getattr(self, n) for n in NUMBERS},
            "votes": {str(p): v for p, v in self.votes},
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> TpsResult:
        votes = sorted((int(p), None if v is None else int(v)) for p, v in raw["votes"].items())
        flags3 = (int(raw["counted"]), int(raw["complete"]), int(raw["flags"]))
        return cls.of(str(raw["sheet"]), flags3, [raw.get(n) for n in NUMBERS], votes)

    def contribution(self) -> tuple[int, ...]:
        """What it adds to every region above it, in `MEASURES` order."""
        return tps_contribution(self.counted, self.complete, self.flags, [getattr(self, n) for n in SUMMED])


def tps_contribution(counted: int, complete: int, flags: int, sums: Sequence[int | None]) -> tuple[int, ...]:
    """What one stored TPS result adds to every region above it, in `MEASURES` order minus tps_expected.

    Pending and flagged follow `reconcile.rollup` (pending = not complete, flagged = complete with an error
    flag), among the TPS not counted, so counted / pending / flagged never overlap whatever a caller
    marks counted; the sums (dpt, pengguna, sah, tidak sah) count only when the TPS is counted.
    """
    c = 1 if counted else 0
    waiting = 1 - c
    return (
        c,
        waiting * int(not complete),
        waiting * int(bool(complete) and flags > 0),
        *((v or 0) * c for v in sums),
    )


@dataclass(frozen=True, slots=True)
class ResultChange:
    """A TPS result an event set (`result`), or removed (`None`)."""

    contest: str
    tps: str
    result: TpsResult | None

    def to_json(self) -> dict[str, Any]:
        return {
            "contest": self.contest,
            "tps": self.tps,
            "result": None if self.result is None else self.result.to_json(),
        }


def results_json(changes: Iterable[ResultChange]) -> list[dict[str, Any]]:
    """The `"results"` value of an entry's `after`, in (contest, TPS) order."""
    return [c.to_json() for c in sorted(changes, key=lambda c: (c.contest, c.tps))]


def diff_results(
    contest: str, old: Mapping[str, TpsResult], new: Mapping[str, TpsResult]
) -> list[ResultChange]:
    """The changes that turn `old` into `new` (TPS id → result, one contest); unchanged TPS are left out."""
    return [
        ResultChange(contest, tps, new.get(tps))
        for tps in sorted(set(old) | set(new))
        if old.get(tps) != new.get(tps)
    ]


Key = tuple[str, str]  # (contest, TPS id)


@dataclass
class Projection:
    """What the chain says counts: the last result of each TPS and the entry that set it."""

    results: dict[Key, tuple[int, TpsResult | None]] = field(default_factory=dict)
    entries: int = 0  # entries replayed
    changes: int = 0  # TPS results set or removed by them

    def apply(self, seq: int, after: str | Mapping[str, Any]) -> None:
        """Replay one entry (its `after`, as stored text or parsed)."""
        self.entries += 1
        if isinstance(after, str):
            if '"results"' not in after:  # cheap test before parsing: most entries carry no results
                return
            after = json.loads(after)
        raw = after.get("results") if isinstance(after, Mapping) else None
        if not isinstance(raw, list):
            return
        for item in raw:
            body = item.get("result")
            self.results[(str(item["contest"]), str(item["tps"]))] = (
                seq,
                None if body is None else TpsResult.from_json(body),
            )
            self.changes += 1

    def current(self) -> Iterator[tuple[Key, int, TpsResult]]:
        """Each TPS that has a result now, with the seq of the entry that set it."""
        for key, (seq, result) in self.results.items():
            if result is not None:
                yield key, seq, result

    def region_totals(
        self,
    ) -> tuple[dict[tuple[str, int, str], list[int]], dict[tuple[str, int, str, int], int]]:
        """Per (contest, level, area): the `MEASURES`; per (contest, level, area, paslon): votes."""
        totals: dict[tuple[str, int, str], list[int]] = {}
        votes: dict[tuple[str, int, str, int], int] = {}
        for (contest, tps), _seq, result in self.current():
            row = result.contribution()
            for lvl, n in enumerate(KEY_LEN):
                area = tps[:n]
                acc = totals.get((contest, lvl, area))
                if acc is None:
                    totals[(contest, lvl, area)] = list(row)
                else:
                    for i, x in enumerate(row):
                        acc[i] += x
                for paslon, v in result.votes:
                    k = (contest, lvl, area, paslon)
                    votes[k] = votes.get(k, 0) + (v or 0)
        return totals, votes


def replay(entries: Iterable[tuple[int, str | Mapping[str, Any]]]) -> Projection:
    """Replay (seq, after) pairs in order: the pure heart of `tally audit verify`."""
    projection = Projection()
    for seq, after in entries:
        projection.apply(seq, after)
    return projection
