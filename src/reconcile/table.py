"""Sheets as columns: one row per TPS, one int32 column per contest field, for national-scale work.

A `TallySheet` per TPS is the right shape for one upload; 820,000 of them are not (a dict each). `SheetTable`
holds the same numbers as arrays — `PENDING` (-1) where a field is unread, a page bitmask per row — so rules,
outliers and the roll-up run vectorised, and any row turns back into the `TallySheet` it stands for.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reconcile.contest import Contest
from reconcile.ids import SheetId, TpsId
from reconcile.sheet import Source, TallySheet

PENDING = -1

Int32s = npt.NDArray[np.int32]
Int64s = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


def all_pages(contest: Contest) -> int:
    return (1 << contest.pages) - 1


def page_bits(pages: Iterable[int]) -> int:
    return sum(1 << (p - 1) for p in set(pages))


@dataclass(frozen=True, slots=True, eq=False)
class SheetTable:
    """`tps` are 13-digit TPS ids as int64, sorted ascending (so rows of one desa are contiguous)."""

    contest: Contest
    tps: Int64s
    values: Int32s  # shape (rows, len(contest.fields)); PENDING where unread
    pages: npt.NDArray[np.uint8]  # bit p-1 set when page p was uploaded
    source: Source = Source.SYNTH
    # Rows with a field still in doubt (TallySheet.doubtful): judged, but never complete. None = no doubts.
    doubtful: Bools | None = None

    def __post_init__(self) -> None:
        n = len(self.tps)
        if self.doubtful is None:
            object.__setattr__(self, "doubtful", np.zeros(n, dtype=bool))
        if self.values.shape != (n, len(self.contest.fields)) or self.pages.shape != (n,):
            raise ValueError("tabel lembar: ukuran kolom tidak cocok")
        if n > 1 and not bool(np.all(self.tps[1:] > self.tps[:-1])):
            raise ValueError("tabel lembar: TPS harus urut dan unik")

    def __len__(self) -> int:
        return len(self.tps)

    def column(self, name: str) -> Int32s:
        return self.values[:, self.position(name)]

    def position(self, name: str) -> int:
        for i, f in enumerate(self.contest.fields):
            if f.name == name:
                return i
        raise KeyError(name)

    def sheet(self, row: int) -> TallySheet:
        tps = TpsId(f"{int(self.tps[row]):013d}")
        numbers = self.values[row].tolist()
        fields = self.contest.fields
        values = {f.name: (None if v == PENDING else v) for f, v in zip(fields, numbers, strict=True)}
        bits = int(self.pages[row])
        pages = frozenset(p for p in range(1, self.contest.pages + 1) if bits >> (p - 1) & 1)
        sheet_id = SheetId(f"{self.source.value}-{tps}")
        # Which fields were in doubt is not kept per row; a doubtful row comes back with every read field.
        doubt = frozenset(n for n, v in values.items() if v is not None) if self.doubt[row] else frozenset()
        return TallySheet(sheet_id, tps, self.contest.id, values, pages, self.source, doubtful=doubt)

    def sheets(self) -> Iterator[TallySheet]:
        return (self.sheet(i) for i in range(len(self)))

    def take(self, rows: Int64s | Bools) -> SheetTable:
        return SheetTable(
            self.contest, self.tps[rows], self.values[rows], self.pages[rows], self.source, self.doubt[rows]
        )

    @property
    def doubt(self) -> Bools:
        assert self.doubtful is not None  # set in __post_init__
        return self.doubtful

    @classmethod
    def from_sheets(cls, contest: Contest, sheets: Iterable[TallySheet]) -> SheetTable:
        """One row per sheet (one sheet per TPS: settle several uploads with `reconcile.compare` first)."""
        ordered = sorted(sheets, key=lambda s: s.tps)
        names = [f.name for f in contest.fields]
        values = np.full((len(ordered), len(names)), PENDING, dtype=np.int32)
        for i, s in enumerate(ordered):
            row = [s.values.get(n) for n in names]
            values[i] = [PENDING if v is None else v for v in row]
        tps = np.array([int(s.tps) for s in ordered], dtype=np.int64)
        pages = np.array([page_bits(s.pages) for s in ordered], dtype=np.uint8)
        doubt = np.array([bool(s.doubtful) for s in ordered], dtype=bool)
        return cls(contest, tps, values, pages, ordered[0].source if ordered else Source.SYNTH, doubt)

    @classmethod
    def concat(cls, contest: Contest, parts: Sequence[SheetTable]) -> SheetTable:
        if not parts:
            return cls.empty(contest)
        order = np.argsort(np.concatenate([p.tps for p in parts]), kind="stable")
        return cls(
            contest,
            np.concatenate([p.tps for p in parts])[order],
            np.concatenate([p.values for p in parts])[order],
            np.concatenate([p.pages for p in parts])[order],
            parts[0].source,
            np.concatenate([p.doubt for p in parts])[order],
        )

    @classmethod
    def empty(cls, contest: Contest) -> SheetTable:
        return cls(
            contest,
            np.zeros(0, np.int64),
            np.zeros((0, len(contest.fields)), np.int32),
            np.zeros(0, np.uint8),
        )
