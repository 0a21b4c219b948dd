"""The heads feed (GET /api/v1/audit/heads) lists every signed head, oldest first, and only grows; the
replay is a pure function; revision 0006 enters results stored before it into the chain."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
from sqlalchemy import Engine, func, select

from support.audit_events import DESA, POPULATION, PPWP, REGIONS
from tally.audit import Action, Actor, HeadSigner, append, sign_head, verify_chain
from tally.audit.replay import ResultChange, TpsResult, replay, results_json
from tally.bootstrap import create_app
from tally.db.audit import AuditEntry
from tally.db.base import make_engine, migrate, session_factory
from tally.db.results import TpsResultRow
from tally.election.engine import judge, synth_tables
from tally.election.service import store_reconciliation, store_synth
from tally.election.store import load_sheets, load_tps, region_tree
from tally.regions import load_regions, within
from tally.settings import Settings


def _get(settings: Settings, path: str) -> httpx.Response:
    app = create_app(settings, workers=0)

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tally.test") as client:
            return await client.get(path)

    try:
        return asyncio.run(go())
    finally:
        app.state.services.engine.dispose()  # the transport runs no lifespan: close its pool here


def test_the_feed_lists_every_signed_head_oldest_first_and_pages(engine: Engine, settings: Settings) -> None:
    signer = HeadSigner.generate()
    settings = settings.model_copy(update={"audit_public_key": signer.public_hex})
    with session_factory(engine)() as s:
        for i in range(3):
            append(s, Actor("pps.1", "pps"), Action.RECAP, "32.77", None, {"i": i})
            sign_head(s, signer)
        s.commit()
    body = _get(settings, "/api/v1/audit/heads").json()
    assert body["public_key"] == signer.public_hex and body["next_after"] is None
    assert [h["seq"] for h in body["heads"]] == [1, 2, 3]
    assert all(h["public_key"] == signer.public_hex and len(h["signature"]) == 128 for h in body["heads"])
    first = body["heads"][0]["id"]
    page = _get(settings, f"/api/v1/audit/heads?after={first}&limit=1").json()
    assert [h["seq"] for h in page["heads"]] == [2] and page["next_after"] == page["heads"][0]["id"]



def test_a_cursor_beyond_any_id_is_refused_not_a_server_error(settings: Settings) -> None:
    """Found by the OpenAPI fuzzer: `after` = 10**36 overflowed the id column (500 on both engines)."""
    assert _get(settings, f"/api/v1/audit/heads?after={10**36}").status_code == 422
    assert _get(settings, f"/api/v1/audit/heads?after={2**31 - 1}").json()["heads"] == []


def _result(sheet: str, counted: int, votes: tuple[int, int]) -> TpsResult:
    return TpsResult.of(sheet, (counted, 1, 0), [200, 180, 170, 10, 180], [(1, votes[0]), (2, votes[1])])


def test_replay_keeps_the_last_result_of_each_tps_and_sums_regions() -> None:
    a, b = "3277011001001", "3277011002001"
    entries = [
        (1, {"results": results_json([ResultChange("c", a, _result("s1", 1, (100, 70)))])}),
        (2, json.dumps({"note": "no results"})),
        (3, {"results": results_json([ResultChange("c", b, _result("s2", 1, (50, 120)))])}),
        (4, {"results": results_json([ResultChange("c", a, _result("s3", 1, (90, 80)))])}),
        (5, {"results": results_json([ResultChange("c", b, None)])}),
    ]
    projection = replay(entries)
    current = {key: (seq, r.sheet) for key, seq, r in projection.current()}
    assert current == {("c", a): (4, "s3")} and projection.entries == 5
    totals, votes = projection.region_totals()
    assert totals[("c", 0, "")][:4] == [1, 0, 0, 200]  # counted, pending, flagged, dpt
    assert votes[("c", 2, "3277", 1)] == 90 and ("c", 0, "", 1) in votes


def test_migration_0006_enters_results_stored_before_it_into_the_chain(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    with engine.begin() as conn:  # results as a 0005 install wrote them: no audit entry
        load_regions(conn, within(REGIONS, DESA))
        for _kab, tps, sheets in synth_tables(REGIONS, POPULATION, PPWP, DESA, error_share=0.2, seed=3):
            store_synth(conn, PPWP, DESA, tps, sheets)
        expected = [t.id for t in load_tps(conn, DESA)]
        verdict = judge(PPWP, region_tree(conn, DESA), load_sheets(conn, PPWP.id, DESA), expected)
        store_reconciliation(conn, PPWP, DESA, verdict.current, verdict.counted, verdict.flags)
        stored = conn.scalar(select(func.count()).select_from(TpsResultRow))
    _downgrade(url, "0005")  # today's code writes today's schema; the rows stay as 0005 held them
    with session_factory(engine)() as s:
        assert not verify_chain(s).ok  # the tables are not a projection of the (empty) chain yet
    migrate(url)
    with session_factory(engine)() as s:
        report = verify_chain(s)
        actions = set(s.scalars(select(AuditEntry.action)))
    engine.dispose()
    assert report.ok, report.problems
    assert stored and report.entries == stored and actions == {Action.BASELINE}


def _downgrade(url: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    import tally.db.base

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(tally.db.base.__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    command.downgrade(cfg, revision)
