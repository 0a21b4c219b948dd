"""A region as a key range in SQL: every TPS id and flag area inside `32.04` lies in `['3204', '3205')`.

TPS ids and flag areas are undotted codes that begin with their region's undotted code, and stored region
codes are dotted codes that begin with it (`reconcile.ids.key_range`, `code_range`), so "everything in this
region" is one primary-key or index range on either database — never a walk up the tree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, true

from reconcile.ids import RegionCode, code_range, key_range


def in_region(column: Any, code: RegionCode) -> ColumnElement[bool]:
    """`column` (a TPS id or flag area: undotted) lies inside region `code`: an index range predicate."""
    return _between(column, *key_range(code))


def codes_in(column: Any, code: RegionCode) -> ColumnElement[bool]:
    """`column` (a dotted region code) is `code` or a region inside it: an index range predicate."""
    return _between(column, *code_range(code))


def _between(column: Any, low: str, high: str | None) -> ColumnElement[bool]:
    if low == "":
        return true()
    cond: ColumnElement[bool] = column >= low
    return cond & (column < high) if high is not None else cond
