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
from reconcile.table import PENDING, Bools, Int32s, Int64s, SheetTable, all_pages


@dataclass(frozen=True, slots=True, eq=False)
class TableVerdict:
    errors: Int32s  # ERROR flags per row
    outliers: Int32s  # OUTLIER flags per row
    complete: Bools  # every page uploaded and every field read

    @property
    def counted(self) -> Bools:
        """Rows that enter the totals: complete and without an error."""
        counted: Bools = self.complete & (self.errors == 0)
        return counted


def _side(table: SheetTable, names: tuple[str, ...]) -> tuple[Int64s, Bools]:
    cols = table.values[:, [table.position(n) for n in names]].astype(np.int64)
    return cols.sum(axis=1), np.any(cols == PENDING, axis=1)


def broken(table: SheetTable, check: Check) -> Bools:
    """Rows where `check` fails (pending rows never fail)."""
    left, pending = _side(table, check.left)
    if check.right:
        right, right_pending = _side(table, check.right)
        pending = pending | right_pending
        reserve = -(-right * check.reserve_percent // 100)  # rounded up, as `Check.bound`
        bound = right if check.relation is Relation.EQUAL else right + reserve
    else:
        bound = np.full(len(table), check.limit if check.limit is not None else np.iinfo(np.int64).max)
    bad = left != bound if check.relation is Relation.EQUAL else left > bound
    result: Bools = bad & ~pending
    return result


def judge_table(table: SheetTable) -> TableVerdict:
    errors = np.zeros(len(table), np.int32)
    full = all_pages(table.contest)
    missing_page = (table.pages & full) != full
    errors += missing_page
    for check in table.contest.checks:
        errors += broken(table, check)
    complete = ~missing_page & np.all(table.values != PENDING, axis=1)
    return TableVerdict(errors, outlier_counts(table), complete)


def table_flags(table: SheetTable, verdict: TableVerdict) -> list[Flag]:
    """Every flag of every row that has one, errors then outliers per TPS, in TPS order."""
    flags: list[Flag] = []
    for row in np.flatnonzero((verdict.errors > 0) | (verdict.outliers > 0)).tolist():
        sheet = table.sheet(row)
        flags += check_sheet(sheet, table.contest)
        flags += sheet_outliers(sheet, table.contest)
    return flags
