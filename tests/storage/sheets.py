"""A consistent sheet for storage tests, with chosen values overridden."""

from __future__ import annotations

import random

from reconcile.contest import Contest
from reconcile.ids import SheetId, TpsId
from reconcile.sheet import Source, TallySheet
from tally.election.engine import consistent_values


def sheet(contest: Contest, tps: str, dpt: int, rng: random.Random, **changes: int | None) -> TallySheet:
    values: dict[str, int | None] = dict(consistent_values(contest, dpt, rng))
    values.update(changes)
    return TallySheet(
        id=SheetId(f"t-{tps}"), tps=TpsId(tps), contest=contest.id, values=values,
        pages=frozenset(range(1, contest.pages + 1)), source=Source.SYNTH,
    )  # fmt: skip
