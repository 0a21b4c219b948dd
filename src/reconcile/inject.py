"""The 2024 error kinds, injected into consistent sheets with a truth record of each.

- TRAILING_DIGIT: an extra digit read after a one- or two-digit number (74 → 748);
- LEADING_DIGIT: the hundreds digit misread (125 → 725, 214 → 713 keeps the tens and units here);
- X_AS_DIGIT: the crossed-out blank leading box read as 1, 7 or 4 (16 → 716);
- SAH_TIDAK_SAH: suara tidak sah miscounted, so sah + tidak sah ≠ pengguna;
- MISSING_PAGE: one page never uploaded (its fields stay pending).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from reconcile.ids import TpsId
from reconcile.table import PENDING, SheetTable


class ErrorKind(StrEnum):
    TRAILING_DIGIT = "trailing_digit"
    LEADING_DIGIT = "leading_digit"
    X_AS_DIGIT = "x_as_digit"
    SAH_TIDAK_SAH = "sah_tidak_sah"
    MISSING_PAGE = "missing_page"


ALL_KINDS = tuple(ErrorKind)


@dataclass(frozen=True, slots=True)
class Injected:
    """One injected error: what the KPPS wrote (`true`) and what the phone read (`shown`)."""

    tps: TpsId
    kind: ErrorKind
    field: str | None  # None for a missing page
    true: int | None
    shown: int | None
    page: int | None = None  # the missing page


def _misread(kind: ErrorKind, value: int, rng: np.random.Generator) -> int | None:
    if kind is ErrorKind.TRAILING_DIGIT and 1 <= value <= 99:
        return value * 10 + int(rng.integers(0, 10))
    if kind is ErrorKind.X_AS_DIGIT and value <= 99:
        return int(rng.choice([1, 7, 4])) * 100 + value
    if kind is ErrorKind.LEADING_DIGIT and value >= 100:
        wrong = [d for d in range(1, 10) if d != value // 100]
        return int(rng.choice(wrong)) * 100 + value % 100
    return None


def inject(
    table: SheetTable, share: float, kinds: Sequence[ErrorKind], rng: np.random.Generator
) -> tuple[SheetTable, tuple[Injected, ...]]:
    """A copy of `table` where about `share` of the rows carry one error kind each, and the records."""
    values, pages = table.values.copy(), table.pages.copy()
    contest = table.contest
    rows = np.flatnonzero(rng.random(len(table)) < share) if kinds else np.zeros(0, np.int64)
    records: list[Injected] = []
    for row in rows.tolist():
        kind = ErrorKind(rng.choice(list(kinds)))
        tps = TpsId(f"{int(table.tps[row]):013d}")
        if kind is ErrorKind.MISSING_PAGE:
            page = int(rng.integers(1, contest.pages + 1))
            values[row, [i for i, f in enumerate(contest.fields) if f.page == page]] = PENDING
            pages[row] &= ~np.uint8(1 << (page - 1))
            records.append(Injected(tps, kind, None, None, None, page))
            continue
        if kind is ErrorKind.SAH_TIDAK_SAH:
            at = table.position("suara_tidak_sah")
            true = int(values[row, at])
            shown = true + int(rng.integers(1, 10))
        else:
            order = rng.permutation(len(contest.fields)).tolist()
            candidates = ((i, _misread(kind, int(values[row, i]), rng)) for i in order)
            found = next(((i, s) for i, s in candidates if s is not None), None)
            if found is None:
                continue
            at, shown = found
            true = int(values[row, at])
        values[row, at] = shown
        records.append(Injected(tps, kind, contest.fields[at].name, true, shown))
    return SheetTable(contest, table.tps, values, pages, table.source), tuple(records)
