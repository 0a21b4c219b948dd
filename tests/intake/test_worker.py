"""OCR jobs: a reading is applied once whatever happens to the worker; no OCR means no numbers, said so."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from intake.conftest import TPS_A, Intake, jpeg, running, seed_regions, sha
from intake.slow_reader import SlowReader
from reconcile.contest import builtin_contest
from tally.db.intake import OcrJobRow, PhotoRow, ReadingRow
from tally.db.sheets import SheetRow
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
