"""One-time and one-decision under concurrency (issue 14, #4), on SQLite and PostgreSQL: 16 threads released
together by a barrier activate one code, or decide one change. On SQLite (the default) this gave 2–3 tokens
for one code, and 15 approvals with 15 correction sheets for one change (one of them ending "rejected" with
its value applied)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest
from sqlalchemy import func, select

from support.world import TPS_A, World, read_tps_a_with_a_doubt, world
from tally.audit import Actor
from tally.auth.scope import Principal, Role
from tally.auth.service import activate
from tally.db.audit import AuditEntry
from tally.db.intake import AccessTokenRow
from tally.db.review import ReviewChangeRow
from tally.db.sheets import SheetRow
from tally.errors import TallyError
from tally.review.changes import decide, propose
from tally.settings import Settings

THREADS = 16
T = TypeVar("T")


@pytest.fixture
def w(settings: Settings) -> Iterator[World]:
    with world(settings) as it:
        yield it


def together(work: Callable[[int], T]) -> tuple[list[T], list[TallyError]]:
    """Run `work(i)` in 16 threads released at once; the results and the refusals."""
    barrier = threading.Barrier(THREADS)
    done: list[T] = []
    refused: list[TallyError] = []
    failed: list[BaseException] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        barrier.wait()
        try:
            out = work(i)
        except TallyError as exc:
            with lock:
                refused.append(exc)
        except BaseException as exc:  # noqa: BLE001  (reported below: a race must not crash)
            with lock:
                failed.append(exc)
        else:
            with lock:
                done.append(out)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not failed, failed
    return done, refused


def test_sixteen_concurrent_activations_of_one_code_give_one_token(w: World) -> None:
    code = w.new_code(TPS_A)

    def go(_: int) -> str:
        with w.sessions() as s, s.begin():
            return activate(s, code)[0]

    tokens, refused = together(go)
    assert len(tokens) == 1, f"{len(tokens)} tokens for one code"
    assert {e.code for e in refused} == {"code_used"} and len(refused) == THREADS - 1
    with w.sessions() as s:
        live = s.scalar(
            select(func.count())
            .select_from(AccessTokenRow)
            .where(AccessTokenRow.scope == TPS_A, AccessTokenRow.revoked_at.is_(None))
        )
        activations = s.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "device_activated")
        )
    assert live == 1 and activations == 1  # this one (issuing the code revoked the world's own KPPS token)


@pytest.mark.parametrize("mixed", [False, True], ids=["all-approve", "approve-and-reject"])
def test_sixteen_concurrent_decisions_on_one_change_make_one_decision(w: World, mixed: bool) -> None:
    field = read_tps_a_with_a_doubt(w)
    contest = w.app.state.services.contest
    kpps = Principal(Role.KPPS, TPS_A, f"kpps:{TPS_A}", "")
    with w.sessions() as s, s.begin():
        change = propose(s, contest, kpps, Actor(kpps.subject, "kpps"), TPS_A, field, 8).id
    with w.sessions() as s:
        sheets_before = s.scalar(select(func.count()).select_from(SheetRow)) or 0

    def go(i: int) -> str:
        who = Principal(Role.PPS, "31.73.04.1007", f"pps.{i}", "")
        with w.sessions() as s, s.begin():
            return decide(
                s,
                contest,
                who,
                Actor(who.subject, "pps"),
                change,
                approve=not (mixed and i % 2),
                reason="uji",
            ).state

    states, refused = together(go)
    assert len(states) == 1, f"{len(states)} decisions on one change: {states}"
    assert {e.code for e in refused} == {"already_decided"}
    with w.sessions() as s:
        row = s.get(ReviewChangeRow, change)
        assert row is not None and row.state == states[0]
        sheets = (s.scalar(select(func.count()).select_from(SheetRow)) or 0) - sheets_before
        approvals = s.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "approval")
        )
    if row.state == "applied":
        assert sheets == 1 and approvals == 1 and row.sheet_id is not None
    else:
        assert row.state == "rejected" and sheets == 0 and approvals == 0 and row.sheet_id is None
