"""Roll-up TPS → kelurahan/desa → kecamatan → kab/kota → provinsi → nasional, vectorised.

Every TPS is one row of a contribution matrix: its votes per paslon, suara sah / tidak sah, DPT and
voters (zero unless the TPS is *counted*: every page in, every field read, no error flag), then its status
— expected, counted, pending (a sheet, but incomplete), flagged (complete but held back by an error), error
flags and outlier flags. A level's totals are sums of its TPS rows: TPS ids sort by desa, and Kepmendagri
codes sort by parent, so each level is one `np.add.reduceat` over contiguous runs of the level below.

`Rollup` is the one mutable value of the engine: an accumulator. `update(sheet)` re-judges one TPS and adds
the difference of its row to its five ancestors (microseconds), so the totals of a running election never
need a full recompute; a property test holds the two to the same answer.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

import numpy as np

from reconcile.contest import Contest
from reconcile.flags import Severity
from reconcile.ids import NASIONAL, Level, RegionCode, TpsId, parent, undotted
from reconcile.ids import level as code_level
from reconcile.judge import TableVerdict
from reconcile.outliers import sheet_outliers
from reconcile.regions import RegionTree
from reconcile.rules import check_sheet
from reconcile.sheet import TallySheet
from reconcile.table import Int64s, SheetTable, all_pages, page_bits

MEASURES = ("suara_sah", "suara_tidak_sah", "pemilih_dpt_j", "pengguna_total_j")
STATUS = ("tps_expected", "tps_counted", "tps_pending", "tps_flagged", "flags", "outliers")
_LEVELS = (Level.NASIONAL, Level.PROVINSI, Level.KABKOTA, Level.KECAMATAN, Level.DESA)


@dataclass(frozen=True, slots=True)
class RegionTotals:
    code: RegionCode | TpsId
    level: Level
    votes: tuple[int, ...]  # per paslon, in the contest's order
    suara_sah: int
    suara_tidak_sah: int
    pemilih_dpt_j: int
    pengguna_total_j: int
    tps_expected: int
    tps_counted: int
    tps_pending: int
    tps_flagged: int
    flags: int  # error flags of the TPS below
    outliers: int

    @property
    def coverage(self) -> float:
        """Share of expected TPS whose numbers are in the totals."""
        return self.tps_counted / self.tps_expected if self.tps_expected else 0.0

    def value(self, name: str) -> int:
        if name.startswith("suara_paslon_"):
            return self.votes[int(name.removeprefix("suara_paslon_")) - 1]
        got: int = getattr(self, name)
        return got


@dataclass(frozen=True, slots=True, eq=False)
class RegionIndex:
    """Positions of every region per level, and for each desa its ancestor's position at every level."""

    codes: tuple[tuple[RegionCode, ...], ...]  # per level 0..4, sorted
    position: tuple[dict[RegionCode, int], ...]
    desa_keys: Int64s  # undotted desa codes as ints, in `codes[DESA]` order (dotted order = numeric order)
    up: tuple[Int64s, ...]  # up[L][desa position] = position of its level-L ancestor; up[DESA] = arange
    parent_of: tuple[Int64s, ...]  # parent_of[L][i] = position at level L-1 of region i's parent

    @classmethod
    def from_tree(cls, tree: RegionTree) -> RegionIndex:
        codes = tuple(tree.at_level(lvl) for lvl in _LEVELS)
        position = tuple({c: i for i, c in enumerate(level_codes)} for level_codes in codes)
        # parent_of[L][i]: position at level L-1 of the parent of region i at level L.
        parent_of = [np.zeros(0, np.int64)] + [
            np.array([position[lvl - 1][_parent(c)] for c in codes[lvl]], np.int64) for lvl in range(1, 5)
        ]
        up: list[Int64s] = [np.zeros(0, np.int64)] * 5
        up[Level.DESA] = np.arange(len(codes[Level.DESA]), dtype=np.int64)
        for lvl in (3, 2, 1, 0):
            up[lvl] = parent_of[lvl + 1][up[lvl + 1]]
        keys = np.array([int(undotted(c)) for c in codes[Level.DESA]], np.int64)
        return cls(codes, position, keys, tuple(up), tuple(parent_of))

    def desa_of(self, tps: Int64s) -> Int64s:
        """Desa position of each TPS id (13-digit ints); ValueError for a TPS outside the tree."""
        keys = tps // 1000
        at = np.searchsorted(self.desa_keys, keys)
        at_clipped = np.minimum(at, len(self.desa_keys) - 1)
        if len(self.desa_keys) == 0 or not bool(np.all(self.desa_keys[at_clipped] == keys)):
            raise ValueError("TPS di luar pohon wilayah")
        return at_clipped.astype(np.int64)


def _parent(code: RegionCode) -> RegionCode:
    up = parent(code)
    return NASIONAL if up is None else up


def _group_sum(cols: Int64s, groups: Int64s, n_groups: int) -> Int64s:
    """Sum the columns of `cols` (shape (k, n)) per group; `groups` never decreases (codes sort by parent)."""
    out = np.zeros((cols.shape[0], n_groups), np.int64)
    if cols.shape[1] == 0:
        return out
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    out[:, groups[starts]] = np.add.reduceat(cols, starts, axis=1)
    return out


class Rollup:
    """Totals at every level; `totals(code)` reads one, `update(sheet)` applies one TPS's new sheet.

    Storage is column-major — `rows[c, i]` is column c of TPS i, `levels[L][c, j]` of region j at level L —
    so a level is one contiguous `reduceat` per column block.
    """

    def __init__(self, index: RegionIndex, contest: Contest, tps: Int64s, rows: Int64s) -> None:
        self.index = index
        self.contest = contest
        self.columns = (*contest.paslon_fields, *MEASURES, *STATUS)
        self.tps = tps
        self.rows = rows
        self.desa = index.desa_of(tps)
        levels: list[Int64s] = [np.zeros(0, np.int64)] * 5
        levels[Level.DESA] = _group_sum(rows, self.desa, len(index.codes[Level.DESA]))
        for lvl in (3, 2, 1, 0):
            levels[lvl] = _group_sum(levels[lvl + 1], index.parent_of[lvl + 1], len(index.codes[lvl]))
        self.levels = levels

    @classmethod
    def build(
        cls, index: RegionIndex, table: SheetTable, verdict: TableVerdict, expected: Int64s | None = None
    ) -> Rollup:
        """The roll-up of judged sheets; `expected` adds TPS that have no sheet yet (for coverage)."""
        contest = table.contest
        measures = (*contest.paslon_fields, *MEASURES)
        nm = len(measures)
        counted = verdict.counted
        given = np.empty((nm + len(STATUS), len(table)), np.int64)
        for c, name in enumerate(measures):
            np.multiply(table.column(name), counted, out=given[c])
        given[nm] = 1
        given[nm + 1] = counted
        given[nm + 2] = ~verdict.complete
        given[nm + 3] = verdict.complete & (verdict.errors > 0)
        given[nm + 4] = verdict.errors
        given[nm + 5] = verdict.outliers
        if expected is None:
            return cls(index, contest, table.tps, given)
        tps = np.union1d(expected, table.tps).astype(np.int64)
        rows = np.zeros((len(given), len(tps)), np.int64)
        rows[nm] = 1
        rows[:, np.searchsorted(tps, table.tps)] = given
        return cls(index, contest, tps, rows)

    def _read(self, code: RegionCode | TpsId, row: Int64s) -> RegionTotals:
        v = row.tolist()
        n = len(self.contest.paslon_fields)
        return RegionTotals(code, code_level(code), tuple(v[:n]), *v[n:])

    def totals(self, code: RegionCode | TpsId) -> RegionTotals:
        lvl = code_level(code)
        if lvl is Level.TPS:
            return self._read(code, self.rows[:, self._tps_row(TpsId(code))])
        at = self.index.position[lvl].get(RegionCode(code))
        if at is None:
            raise KeyError(f"wilayah tidak dikenal: {code!r}")
        return self._read(code, self.levels[lvl][:, at])

    def children(self, code: RegionCode) -> list[RegionTotals]:
        """Totals of each region directly below `code` (a desa's children are its TPS)."""
        lvl = code_level(code)
        if lvl is Level.DESA:
            key = int(undotted(code))
            lo, hi = (int(i) for i in np.searchsorted(self.tps, [key * 1000, key * 1000 + 1000]))
            ids = self.tps[lo:hi].tolist()
            return [self._read(TpsId(f"{t:013d}"), self.rows[:, lo + i]) for i, t in enumerate(ids)]
        below = self.index.codes[lvl + 1]
        prefix = "" if code == NASIONAL else code + "."
        lo, hi = bisect_left(below, prefix), bisect_right(below, prefix + "\uffff") if prefix else len(below)
        return [self._read(c, self.levels[lvl + 1][:, lo + i]) for i, c in enumerate(below[lo:hi])]

    def _tps_row(self, tps: TpsId) -> int:
        at = int(np.searchsorted(self.tps, int(tps)))
        if at >= len(self.tps) or int(self.tps[at]) != int(tps):
            raise KeyError(f"TPS tidak dikenal: {tps}")
        return at

    def row_of(self, sheet: TallySheet) -> Int64s:
        """The contribution of one sheet, judged by the same rules as `judge_table`."""
        c = self.contest
        flags = check_sheet(sheet, c) + sheet_outliers(sheet, c)
        errors = sum(f.severity is Severity.ERROR for f in flags)
        complete = (
            page_bits(sheet.pages) & all_pages(c) == all_pages(c)
            and all(sheet.values.get(f.name) is not None for f in c.fields)
            and not sheet.doubtful
        )
        counted = complete and errors == 0
        measures = [(sheet.values.get(n) or 0) if counted else 0 for n in (*c.paslon_fields, *MEASURES)]
        status = [1, counted, not complete, complete and errors > 0, errors, len(flags) - errors]
        return np.array(measures + [int(s) for s in status], np.int64)

    def update(self, sheet: TallySheet) -> None:
        """Replace one TPS's sheet: add the change of its row to the desa and every level above."""
        at = self._tps_row(sheet.tps)
        new = self.row_of(sheet)
        delta = new - self.rows[:, at]
        self.rows[:, at] = new
        d = int(self.desa[at])
        for lvl in _LEVELS:
            self.levels[lvl][:, int(self.index.up[lvl][d])] += delta
