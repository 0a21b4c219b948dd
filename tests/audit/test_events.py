"""Every event that changes what counts is ONE audit entry, in its transaction, carrying the values it set
(issue 14 #2): a reading applied by the worker, a correction approved, a keyed recap, results superseded by
a synth rerun and set by `tally reconcile`. After each, the chain's replay equals the tables; a failure after
the entry (or of the entry) rolls both back. On SQLite and PostgreSQL (the `engine` fixture).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError

from ocr.reading import FieldReading, Reading
from reconcile.ids import RegionCode
from support.audit_events import (
    DESA,
    POPULATION,
    PPWP,
    REGIONS,
    counted_state,
    entries,
    last_seq,
    refuse,
    stored_election,
)
from tally.audit import Action, Actor, verify_chain
from tally.auth.scope import Principal, Role
from tally.db.base import session_factory
from tally.db.intake import OcrJobRow, PhotoRow
from tally.db.regions import RegionRow
from tally.db.results import TpsResultRow, TpsVoteRow
from tally.election.run import reconcile_scope, synth_election
from tally.queue.base import Claim
from tally.review.changes import check, decide
from tally.review.keying import key_in
from tally.worker.apply import apply_reading

PPS_A = Principal(Role.PPS, DESA, "pps.a", "h-a")
PPS_B = Principal(Role.PPS, DESA, "pps.b", "h-b")
PPK = Principal(Role.PPK, RegionCode("32.77.01"), "ppk.1", "h-p")
FIELD = "suara_paslon_1"


def _verified(engine: Engine) -> None:
    with session_factory(engine)() as s:
        report = verify_chain(s)
    assert report.ok, report.problems


def _counted_tps(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(
            conn.scalar(
                select(TpsResultRow.tps_id).where(TpsResultRow.counted == 1).order_by(TpsResultRow.tps_id)
            )
        )


def _votes(engine: Engine, tps: str) -> dict[int, int | None]:
    with engine.connect() as conn:
        rows = conn.execute(select(TpsVoteRow.paslon, TpsVoteRow.votes).where(TpsVoteRow.tps_id == tps))
        return {int(p): v for p, v in rows}


def test_reconcile_writes_one_entry_per_tps_result_and_the_chain_replays_to_the_tables(
    engine: Engine,
) -> None:
    stored_election(engine)
    with engine.connect() as conn:
        found = entries(conn)
        results = conn.execute(select(TpsResultRow.tps_id, TpsResultRow.counted)).all()
    assert results and len(found) == len(results)
    assert {e.action for e in found} == {Action.RECONCILE}
    by_tps = {e.subject: e.after["results"] for e in found}
    assert sorted(by_tps) == sorted(t for t, _ in results)
    tps, counted = results[0]
    assert by_tps[tps][0]["result"]["counted"] == counted
    _verified(engine)


def test_synth_rerun_supersedes_the_results_in_one_entry_per_tps(engine: Engine) -> None:
    stored_election(engine)
    with engine.connect() as conn:
        before = last_seq(conn)
        n = len(conn.execute(select(TpsResultRow.tps_id)).all())
    stored_election(engine)  # synth again: its sheets and their results go, reconcile sets them again
    with engine.connect() as conn:
        new = entries(conn, before)
    gone = [e for e in new if e.action == Action.SUPERSEDE]
    assert len(gone) == n and all(e.after["results"][0]["result"] is None for e in gone)
    _verified(engine)


def test_a_failed_entry_leaves_the_reconcile_unapplied(engine: Engine) -> None:
    synth_election(engine, REGIONS, POPULATION, PPWP, DESA, error_share=0.2, seed=7)
    with engine.connect() as conn:
        state = counted_state(conn)
    refuse(engine, "audit_entry", "INSERT")
    with pytest.raises(DBAPIError):
        reconcile_scope(engine, REGIONS, PPWP, DESA)
    with engine.connect() as conn:
        assert counted_state(conn) == state  # no result without its entry


def _photo(engine: Engine, tps: str, page: int) -> tuple[PhotoRow, Claim]:
    sha = hashlib.sha256(f"{tps}:{page}".encode()).hexdigest()
    now = datetime.now(UTC)
    with session_factory(engine)() as s, s.begin():
        s.add(
            PhotoRow(
                sha256=sha, tps_id=tps, page=page, size_bytes=1, width=1, height=1, orientation=1,
                uploaded_by=f"kpps:{tps}", uploaded_at=now, status="queued", detail=None,
            )
        )  # fmt: skip
        s.flush()
        job = OcrJobRow(photo_sha256=sha, state="leased", tries=1, enqueued_at=now, available_at=now)
        s.add(job)
        s.flush()
        claim = Claim(job.id, sha, 1)
        photo = s.get(PhotoRow, sha)
        assert photo is not None
        s.expunge(photo)
    return photo, claim


def _page2(votes: int) -> Reading:
    """A KPPS upload of page 2 whose first paslon total breaks the sum: the TPS stops counting."""
    fields = {FIELD: FieldReading(FIELD, votes, 0.99, "accepted")}
    return Reading(page=2, fields=fields, model_version="test-1")


def test_a_reading_applied_by_the_worker_is_one_entry_with_the_results_it_moved(engine: Engine) -> None:
    stored_election(engine)
    tps = _counted_tps(engine)
    photo, claim = _photo(engine, tps, 2)
    with engine.connect() as conn:
        before = last_seq(conn)
    assert apply_reading(session_factory(engine), claim, photo, _page2(900), "test", 0.1, PPWP)
    with engine.connect() as conn:
        new = entries(conn, before)
        counted = conn.scalar(select(TpsResultRow.counted).where(TpsResultRow.tps_id == tps))
    assert [(e.action, e.subject) for e in new] == [(Action.READING, tps)]
    entry = new[0]
    assert entry.after["values"] == {FIELD: 900} and entry.after["photo"] == photo.sha256
    mine = [r for r in entry.after["results"] if r["tps"] == tps]
    assert mine and mine[0]["result"]["counted"] == counted == 0  # counted → not counted, in the chain
    _verified(engine)


def test_a_reading_whose_transaction_fails_after_the_entry_leaves_nothing(engine: Engine) -> None:
    stored_election(engine)
    tps = _counted_tps(engine)
    photo, claim = _photo(engine, tps, 2)
    with engine.connect() as conn:
        state = counted_state(conn)
    refuse(engine, "ocr_job", "UPDATE")  # the job's end, written after the entry, fails
    with pytest.raises(DBAPIError):
        apply_reading(session_factory(engine), claim, photo, _page2(900), "test", 0.1, PPWP)
    with engine.connect() as conn:
        assert counted_state(conn) == state


def _correct(engine: Engine, tps: str, value: int, *, fail: bool = False) -> int:
    """PPS A types `value`, PPS B approves; returns the seq before the approval."""
    sessions = session_factory(engine)
    with sessions() as s, s.begin():
        change = check(s, PPWP, PPS_A, Actor("pps.a", "pps"), tps, FIELD, value)
    with engine.connect() as conn:
        before = last_seq(conn)
    with sessions() as s, s.begin():
        decide(s, PPWP, PPS_B, Actor("pps.b", "pps"), change.id, approve=True)
        if fail:
            raise RuntimeError("after the approval")
    return before


def test_an_approved_correction_is_one_entry_with_the_votes_it_set(engine: Engine) -> None:
    stored_election(engine, error_share=0.0)
    tps = _counted_tps(engine)
    old = _votes(engine, tps)[1]
    assert old is not None
    before = _correct(engine, tps, old - 1 if old else 1)
    with engine.connect() as conn:
        new = entries(conn, before)
    assert [(e.action, e.subject) for e in new] == [(Action.APPROVAL, tps)]
    mine = next(r for r in new[0].after["results"] if r["tps"] == tps)["result"]
    assert mine["sheet"] == new[0].after["sheet"]  # the correction sheet now counts …
    table = _votes(engine, tps)
    assert {int(p): v for p, v in mine["votes"].items()} == table  # … with exactly the table's votes
    _verified(engine)


def test_an_approval_rolled_back_after_its_entry_leaves_nothing(engine: Engine) -> None:
    stored_election(engine, error_share=0.0)
    tps = _counted_tps(engine)
    old = _votes(engine, tps)[1] or 0
    with engine.connect() as conn:
        state = counted_state(conn)
    with pytest.raises(RuntimeError):
        _correct(engine, tps, old + 1, fail=True)
    with engine.connect() as conn:
        after = counted_state(conn)
    assert after[:4] == state[:4]
    assert after[4] != state[4]  # only the pending correction (its own, committed, entry) remains
    _verified(engine)


def test_a_keyed_recap_is_one_entry_with_its_values_and_rolls_back_with_it(engine: Engine) -> None:
    stored_election(engine)
    sessions = session_factory(engine)
    region = RegionCode("32.77.01")
    with engine.connect() as conn:
        before = last_seq(conn)
        desa = RegionCode(str(conn.scalar(select(RegionRow.code).where(RegionRow.parent == region).limit(1))))
    with sessions() as s, s.begin():  # one row of the D.Hasil kecamatan: a kelurahan's suara sah
        key_in(s, PPWP, PPK, Actor("ppk.1", "ppk"), region, {desa: {"suara_sah": 1234}})
    with engine.connect() as conn:
        new = entries(conn, before)
    assert [(e.action, e.subject) for e in new] == [(Action.RECAP, region)]
    assert new[0].after["rekap"][desa] == {"suara_sah": 1234}  # (and the total, when it is the only row)
    with engine.connect() as conn:
        state = counted_state(conn)
    with pytest.raises(RuntimeError), sessions() as s, s.begin():
        key_in(s, PPWP, PPK, Actor("ppk.1", "ppk"), region, {desa: {"suara_sah": 99}})
        raise RuntimeError("after the recap")
    with engine.connect() as conn:
        assert counted_state(conn) == state
    _verified(engine)
