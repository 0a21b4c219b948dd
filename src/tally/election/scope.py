"""A region as a key range: every TPS id and flag area inside region `32.04` lies in `['3204', '3205')`.

TPS ids and flag areas are undotted codes that begin with their region's undotted code, so "everything in
this region" is one primary-key or index range on either database — never a walk up the tree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, true

from reconcile.ids import RegionCode, undotted


def key_range(code: RegionCode) -> tuple[str, str | None]:
    """`[low, high)` of the undotted keys inside `code`; `high` is None for the nation (no bound)."""
    low = undotted(code)
    if low == "":
        return "", None
    high = str(int(low) + 1).zfill(len(low))
    return low, (high if len(high) == len(low) else None)


def in_region(column: Any, code: RegionCode) -> ColumnElement[bool]:
    """`column` (a TPS id or flag area) lies inside region `code`: an index range predicate."""
    low, high = key_range(code)
    if low == "":
        return true()
    cond: ColumnElement[bool] = column >= low
    return cond & (column < high) if high is not None else cond
