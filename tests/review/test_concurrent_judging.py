"""Events of one kelurahan at the same moment (issue 18, "What the night found" 1, 2, 3 and 7): the pages of a
TPS read by two workers at once, and a KPPS's blind answers arriving together on several API threads. Each
event judges the kelurahan again; without one judge at a time (`tally.db.locks`) a page's numbers went
missing from the TPS's sheet, successive decodes of the same photos were flagged as uploads that disagree,
and the kelurahan's result rows collided (`UniqueViolation`, deadlocks: `500`s and dead-lettered photos).
On both databases, with real threads and the real reader's readings."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import select

from reconcile.flags import Rule
from reconcile.ids import RegionCode, TpsId, parent
from support.blind import (
    MISREAD,
    Read,
    apply_read,
    read_sample_tps,
    second_phone,
    tps_office,
    truth_of,
    upload,
    upload_and_read,
)
from support.officers import Sample
from tally.audit import verify_chain
from tally.db.flags import FlagRow
from tally.db.results import TpsResultRow
from tally.db.sheets import SheetRow
from tally.election import totals
from tally.election.dhasil import dhasil
from tally.election.rejudge import rejudge
from tally.review.sheets import current, write_correction
from tally.settings import Settings


@pytest.fixture(scope="module")
def read_tps(tmp_path_factory: pytest.TempPathFactory) -> Read:
    return read_sample_tps(tmp_path_factory.mktemp("concurrent-samples"))


def test_pages_read_at_once_make_one_sheet_of_every_page_and_no_conflict(
    settings: Settings, read_tps: list[tuple[Sample, dict[str, Any]]]
) -> None:
    tps = str(read_tps[0][0].truth["tps"])
    with tps_office(settings, read_tps[0][0].truth) as o:
        upload(o, tps, read_tps, {})
        queue = o.app.state.services.queue
        claims = [c for _ in read_tps if (c := queue.claim("test")) is not None]
        assert len(claims) == 3
        start = threading.Barrier(len(claims))

        def work(claim: Any) -> None:
            start.wait()  # three workers apply the three pages of one TPS at the same moment
            apply_read(o, tps, read_tps, claim)

        with ThreadPoolExecutor(len(claims)) as pool:
            for f in [pool.submit(work, c) for c in claims]:
                f.result()  # a worker's error fails the test

        contest = o.app.state.services.contest
        with o.sessions() as s:
            sheets = s.scalars(
                select(SheetRow).where(SheetRow.tps_id == tps).order_by(SheetRow.version.desc())
            ).all()
            conflicts = s.scalars(
                select(FlagRow).where(FlagRow.subject == tps, FlagRow.rule == Rule.UPLOAD_CONFLICT.value)
            ).all()
            now = current(s, contest, tps)
            assert verify_chain(s).ok
            assert totals.check(s.connection(), contest.id) == []
        # The last decode saw every page: the applies took turns, each reading what the one before wrote.
        assert [sh.version for sh in sheets] == [3, 2, 1]
        assert sheets[0].pages == "1,2,3" and len(sheets[0].basis.split(",")) == 3
        assert [sh.superseded for sh in sheets] == [False, True, True]  # judging reads the live one only
        assert conflicts == []  # decodes of the same photos supersede each other, they do not disagree
        assert sum(v is not None for v in now.values.values()) == len(contest.fields)


def test_blind_answers_at_once_all_land_and_the_kelurahan_adds_up(
    settings: Settings, read_tps: list[tuple[Sample, dict[str, Any]]]
) -> None:
    tps = str(read_tps[0][0].truth["tps"])
    truth = truth_of(read_tps)
    with tps_office(settings, read_tps[0][0].truth) as o:
        upload_and_read(o, tps, read_tps, {})
        auth = {"Authorization": f"Bearer {second_phone(o, tps)}"}
        api = o.browser()
        doubts = [d["field"] for d in api.get(f"/api/v1/tps/{tps}/doubts", headers=auth).json()["doubts"]]
        assert len(doubts) >= 6
        start = threading.Barrier(len(doubts))

        def answer(field: str) -> int:
            start.wait()  # every doubt answered at the same moment, each on its own API thread
            r = api.post(f"/api/v1/tps/{tps}/doubts/{field}", json={"value": truth[field]}, headers=auth)
            return r.status_code

        with ThreadPoolExecutor(len(doubts)) as pool:
            codes = list(pool.map(answer, doubts))
        assert codes == [200] * len(doubts)

        contest = o.app.state.services.contest
        with o.sessions() as s:
            assert verify_chain(s).ok
            assert totals.check(s.connection(), contest.id) == []
            now = current(s, contest, tps)
        # Nothing a KPPS typed moved a number: what is settled is what the paper says.
        settled = {n: v for n, v in now.values.items() if now.statuses.get(n) == "accepted"}
        assert {n: v for n, v in settled.items() if truth[n] != v} == {}


def test_a_dhasil_sums_the_settled_values_of_a_tps_read_page_by_page_and_corrected(
    settings: Settings, read_tps: list[tuple[Sample, dict[str, Any]]]
) -> None:
    """Finding 3: the D.Hasil summed one sheet of each TPS (the largest hash of its OCR sheets), missing the
    pages another sheet held; a correction (which held only what it corrected) lost every other field."""
    tps = str(read_tps[0][0].truth["tps"])
    truth = truth_of(read_tps)
    with tps_office(settings, read_tps[0][0].truth) as o:
        upload_and_read(o, tps, read_tps, {})  # page by page: one OCR sheet each
        contest = o.app.state.services.contest
        with o.sessions() as s, s.begin():  # what two officers' approvals write, for every field in doubt
            now = current(s, contest, tps)
            wrong = {
                n: truth[n]
                for n, v in now.values.items()
                if now.statuses.get(n) != "accepted" or v != truth[n]
            }
            assert wrong  # the reader left doubts (and two misreads)
            write_correction(s, contest, tps, wrong)
            rejudge(s, contest, tps)
        with o.sessions() as s:
            result = s.get(TpsResultRow, (contest.id, tps))
            desa = RegionCode(str(parent(TpsId(tps))))
            sheet = dhasil(s.connection(), contest, RegionCode(str(parent(desa))))
        assert result is not None and result.counted == 1
        row = next(r for r in sheet.rows if r.code == desa)
        assert {c.field: c.computed for c in row.cells} == {f: truth[f] for f in sheet.fields}


def test_a_correction_of_one_field_leaves_every_other_doubt_in_doubt(
    settings: Settings, read_tps: list[tuple[Sample, dict[str, Any]]]
) -> None:
    """A correction sheet used to copy every current value in: the copies then counted as corrected, so a
    field still in review was counted as soon as anyone corrected another field of the TPS."""
    tps = str(read_tps[0][0].truth["tps"])
    truth = truth_of(read_tps)
    with tps_office(settings, read_tps[0][0].truth) as o:
        upload_and_read(o, tps, read_tps, {})
        contest = o.app.state.services.contest
        with o.sessions() as s, s.begin():
            before = current(s, contest, tps)
            doubtful = sorted(n for n, st in before.statuses.items() if st == "review")
            others = [n for n in doubtful if n not in MISREAD]  # read right, but the reader was unsure
            assert set(MISREAD) <= set(doubtful) and len(others) >= 3
            write_correction(s, contest, tps, {n: truth[n] for n in MISREAD})
            rejudge(s, contest, tps)
        with o.sessions() as s:
            after = current(s, contest, tps)
            result = s.get(TpsResultRow, (contest.id, tps))
        assert all(after.statuses[n] == "keyed" for n in MISREAD)
        assert all(after.statuses[n] == "review" for n in others)
        assert result is not None and result.counted == 0  # the other doubts still wait for a person
