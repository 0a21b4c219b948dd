"""OCR jobs: a reading is applied once whatever happens to the worker; no OCR means no numbers, said so."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from intake.slow_reader import SlowReader
from ocr.forms.spec import load_spec
from ocr.reader import PhotoReader
from reconcile.contest import builtin_contest
from support.intake import TPS_A, Intake, jpeg, running, seed_regions, sha
from support.ocr_fill import fill
from support.ocr_photos import jpeg as photo_jpeg
from support.ocr_photos import photograph
from support.ocr_template import TemplateDigits
from tally.db.intake import OcrJobRow, PhotoRow, ReadingRow
from tally.db.sheets import SheetRow, SheetValueRow
from tally.settings import Settings
from tally.worker import OcrWorker, apply_reading, load_reader

URL = "/api/v1/tps/{tps}/pages/{page}/photos/{sha}"
REPO = Path(__file__).resolve().parents[2]


def upload(it: Intake, data: bytes, page: int = 1) -> str:
    r = it.client.put(URL.format(tps=TPS_A, page=page, sha=sha(data)), content=data, headers=it.kpps(TPS_A))
    assert r.status_code == 202, r.text
    return sha(data)


def worker(it: Intake, reader: object, name: str = "w1") -> OcrWorker:
    svc = it.client.app.state.services
    return OcrWorker(
        name,
        svc.sessions,
        svc.queue,
        svc.store,
        reader,
        "slow_reader",
        svc.contest,  # type: ignore[arg-type]
        reap_every_s=0.2,
    )


def count(it: Intake, what: object, *where: object) -> int:
    with it.sessions()() as s:
        return int(s.scalar(select(func.count()).select_from(what).where(*where)) or 0)  # type: ignore[arg-type]


def test_a_job_without_ocr_records_ocr_unavailable_and_no_numbers(intake: Intake) -> None:
    photo = upload(intake, jpeg(seed=21))
    assert worker(intake, None).step() is True
    got = intake.client.get(f"/api/v1/photos/{photo}", headers=intake.kpps(TPS_A)).json()
    assert got["status"] == "ocr_unavailable" and "OCR" in got["detail"]
    readings = intake.client.get(f"/api/v1/photos/{photo}/readings", headers=intake.kpps(TPS_A)).json()
    assert [(r["status"], r["fields"]) for r in readings] == [("ocr_unavailable", {})]
    assert count(intake, SheetRow) == 0


def test_the_real_reader_refuses_a_photo_that_is_no_form_and_says_why(intake: Intake) -> None:
    reader = load_reader("ocr.reader:PhotoReader")
    assert reader is not None
    photo = upload(intake, jpeg(seed=22))
    worker(intake, reader).step()
    with intake.sessions()() as s:
        row = s.scalars(select(ReadingRow).where(ReadingRow.photo_sha256 == photo)).one()
    assert row.status == "rejected" and row.rejected  # a Bahasa Indonesia reason from the quality gate
    assert json.loads(row.body)["model_version"] == row.model_version


def test_a_reading_delivered_twice_is_applied_once(intake: Intake) -> None:
    photo = upload(intake, jpeg(seed=23), page=2)
    w = worker(intake, SlowReader())
    svc = intake.client.app.state.services
    claim = svc.queue.claim("w1")
    assert claim is not None
    w.process(claim)
    with intake.sessions()() as s:
        row = s.get(PhotoRow, photo)
    reading = SlowReader().read(b"x" * 100)
    again = apply_reading(svc.sessions, claim, row, reading, "slow_reader", 0.0, builtin_contest("ppwp-2024"))
    assert again is False
    assert count(intake, ReadingRow) == 1 and count(intake, SheetRow) == 1


def newest_sheet(it: Intake) -> dict[str, tuple[int | None, str]]:
    with it.sessions()() as s:
        sheet = s.scalars(select(SheetRow).order_by(SheetRow.created_at.desc(), SheetRow.id).limit(1)).one()
        rows = s.scalars(select(SheetValueRow).where(SheetValueRow.sheet_id == sheet.id)).all()
        return {r.field: (r.value, r.status) for r in rows}


def test_pages_are_decoded_again_together_as_they_arrive(intake: Intake) -> None:
    """Page 3 adds up on its own (213 + 4 = 217) and is accepted alone; page 2's totals sum to 203, so once
    page 2 arrives the stored sheet must hold V.A in review, not the number accepted earlier."""
    reader = PhotoReader(model=TemplateDigits())
    w = worker(intake, reader)
    votes = {"suara_paslon_1": 74, "suara_paslon_2": 120, "suara_paslon_3": 9}
    page3 = {"suara_sah": 213, "suara_tidak_sah": 4, "suara_total": 217}
    p3 = photo_jpeg(photograph(fill(load_spec("ppwp-2024", 3), page3), 3.0, background=70))
    upload(intake, p3, page=3)
    assert w.step() is True
    assert newest_sheet(intake) == {n: (v, "accepted") for n, v in page3.items()}
    p2 = photo_jpeg(photograph(fill(load_spec("ppwp-2024", 2), votes), 3.0, background=70))
    upload(intake, p2, page=2)
    assert w.step() is True
    sheet = newest_sheet(intake)
    assert sheet["suara_sah"] == (213, "review")  # accepted while alone, doubted once page 2 disagrees
    assert {n: sheet[n][0] for n in votes} == votes
    assert all(st == "review" for n, (_, st) in sheet.items() if n in votes or n == "suara_sah")


def _spawn_worker(settings: Settings, marker: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO / "tests"),
        "TALLY_ENVIRONMENT": "test",
        "TALLY_DATABASE_URL": settings.database_url,
        "TALLY_QUEUE_URL": settings.queue_url,
        "TALLY_DATA_DIR": str(settings.data_dir),
        "TALLY_OCR_READER": "intake.slow_reader:SlowReader",
        "TALLY_OCR_LEASE_S": str(settings.ocr_lease_s),
        "TALLY_TEST_READ_MARKER": str(marker),
        "TALLY_TEST_READ_DELAY": "120",
    }
    code = "from tally.cli.main import app; app(['worker'])"
    return subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.DEVNULL)


@pytest.mark.parametrize(
    ("database", "queue"),
    [("sqlite", "db"), pytest.param("postgresql", "redis", marks=[pytest.mark.postgres, pytest.mark.redis])],
)
def test_a_worker_killed_mid_job_is_redone_and_applied_once(
    request: pytest.FixtureRequest, tmp_path: Path, database: str, queue: str
) -> None:
    db = request.getfixturevalue("sqlite_url" if database == "sqlite" else "postgres_url")
    url = "redis://127.0.0.1:6379/0" if queue == "redis" else "db"
    cfg = Settings(
        environment="test",
        database_url=db,
        data_dir=tmp_path,
        queue_url=url,
        ocr_lease_s=1.5,
        ocr_reader="none",
    )
    seed_regions(cfg.database_url)
    with running(cfg) as it:
        photo = upload(it, jpeg(seed=31), page=2)
        marker = tmp_path / "reading-started"
        proc = _spawn_worker(cfg, marker)
        try:
            deadline = time.monotonic() + 30
            while not marker.exists():
                assert proc.poll() is None, "the worker process died on its own"
                assert time.monotonic() < deadline, "the worker never started the job"
                time.sleep(0.05)
            os.kill(proc.pid, signal.SIGKILL)  # mid-read: leased, nothing applied
            proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert count(it, ReadingRow) == 0
        with it.sessions()() as s:
            assert s.scalars(select(OcrJobRow.state)).one() == "leased"
        survivor = worker(it, SlowReader(), name="survivor")
        deadline = time.monotonic() + 20
        while count(it, OcrJobRow, OcrJobRow.state == "done") == 0:
            assert time.monotonic() < deadline, "the job was never redone"
            if not survivor.step():
                time.sleep(0.2)
        with it.sessions()() as s:
            job = s.scalars(select(OcrJobRow)).one()
            assert (job.state, job.tries) == ("done", 2)
            assert s.get(PhotoRow, photo).status in ("read", "review")  # type: ignore[union-attr]
        assert count(it, ReadingRow) == 1 and count(it, SheetRow) == 1
        assert survivor.step() is False  # nothing left, nothing delivered again
        if queue == "redis":
            r = redis.Redis.from_url(url)
            svc = it.client.app.state.services
            assert r.llen(svc.queue.ready) == 0 and r.zcard(svc.queue.leases) == 0


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_database_failure_while_applying_is_retried_not_counted_as_a_failed_reading(intake: Intake) -> None:
    """The election night's 44 dead-lettered photos read fine: the database failed under their apply. The
    worker keeps the reading and applies it again; the job's try is spent on reading, once."""
    from sqlalchemy import create_engine, text

    from tally.db.locks import lock_kelurahan

    upload(intake, jpeg(seed=24), page=2)
    w = worker(intake, SlowReader())
    svc = intake.client.app.state.services
    claim = svc.queue.claim("w1")
    assert claim is not None
    other = create_engine(intake.settings.database_url)
    holder = other.connect()
    busy = holder.begin()
    lock_kelurahan(holder, TPS_A)  # another event of the kelurahan holds it: the apply waits
    done = threading.Thread(target=w.process, args=(claim,))
    done.start()
    waiting = text("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
    for _ in range(200):
        pids = holder.execute(waiting).scalars().all()
        if pids:
            break
        time.sleep(0.05)
    assert len(pids) == 1
    holder.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pids[0]})  # the connection cut mid-apply
    time.sleep(0.5)
    busy.commit()  # the lock is free: the retry goes through
    done.join(timeout=30)
    holder.close()
    other.dispose()
    assert not done.is_alive()
    with intake.sessions()() as s:
        job = s.get(OcrJobRow, claim.job_id)
        assert job is not None and (job.state, job.tries) == ("done", 1)
    assert count(intake, ReadingRow) == 1 and count(intake, SheetRow) == 1
