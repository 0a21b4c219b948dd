"""The per-sheet rules and outlier tests over a whole `SheetTable` at once.

`judge_table` counts, per row, exactly the flags `check_sheet` and `sheet_outliers` would return for that
row's sheet (a property test holds the two to the same answer), without building 820,000 sheets; `table_flags`
then materialises the `Flag` values for the few rows that have any.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reconcile.contest import Check, Relation
from reconcile.flags import Flag
from reconcile.outliers import outlier_counts, sheet_outliers
from reconcile.rules import check_sheet
from reconcile.table import Bools, Int32s, SheetTable, all_pages


@dataclass(frozen=True, slots=True, eq=False)
class TableVerdict:
    errors: Int32s  # ERROR flags per row
    outliers: Int32s  # OUTLIER flags per row
    complete: Bools  # every page uploaded, every field read, none still in doubt

    @property
    def counted(self) -> Bools:
        """Rows that enter the totals: complete and without an error."""
        counted: Bools = self.complete & (self.errors == 0)
        return counted


class _Columns:
    """The table's fields as contiguous 1-D arrays (a check reads 2–4 of 40 columns, 820,000 rows each)."""

    def __init__(self, table: SheetTable) -> None:
        self.table = table
        self.cols = np.ascontiguousarray(table.values.T)

    def side(self, names: tuple[str, ...]) -> tuple[Int32s, Bools]:
        """Σ of the fields per row, and whether any of them is pending (PENDING is the only negative)."""
        first = self.cols[self.table.position(names[0])]
        total, low = first.copy(), first.copy()
        for name in names[1:]:
            col = self.cols[self.table.position(name)]
            total += col
            np.minimum(low, col, out=low)
        pending: Bools = low < 0
        return total, pending


def broken(columns: _Columns, check: Check) -> Bools:
    """Rows where `check` fails (pending rows never fail)."""
    left, pending = columns.side(check.left)
    if check.right:
        right, right_pending = columns.side(check.right)
        pending |= right_pending
        if check.relation is Relation.EQUAL:
            bad = left != right
        else:
            bad = left > right + -(-right * check.reserve_percent // 100)  # rounded up, as `Check.bound`
    else:
        bad = left > (check.limit if check.limit is not None else np.iinfo(np.int32).max)
    result: Bools = bad & ~pending
    return result


def judge_table(table: SheetTable) -> TableVerdict:
    columns = _Columns(table)
    errors = np.zeros(len(table), np.int32)
    full = all_pages(table.contest)
    missing_page = (table.pages & full) != full
    errors += missing_page
    for check in table.contest.checks:
        errors += broken(columns, check)
    complete = ~missing_page & (columns.cols.min(axis=0, initial=0) >= 0) & ~table.doubt
    return TableVerdict(errors, outlier_counts(table), complete)


def table_flags(table: SheetTable, verdict: TableVerdict) -> list[Flag]:
    """Every flag of every row that has one, errors then outliers per TPS, in TPS order."""
    flags: list[Flag] = []
    for row in np.flatnonzero((verdict.errors > 0) | (verdict.outliers > 0)).tolist():
        sheet = table.sheet(row)
        flags += check_sheet(sheet, table.contest)
        flags += sheet_outliers(sheet, table.contest)
    return flags
