"""`tally serve --api-workers 2`: two API processes on one port, as a real subprocess over real HTTP."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.intake import TPS_A, RegionCodeOf, jpeg, seed_regions, sha
from tally.auth.service import activate, issue_codes
from tally.db.base import make_engine, session_factory

UPLOADS = 12


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def two_processes(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The base URL of `tally serve --api-workers 2` and a KPPS token for TPS_A."""
    seed_regions(sqlite_url)
    engine = make_engine(sqlite_url)
    with session_factory(engine)() as s, s.begin():
        code = next(c.code for c in issue_codes(s, RegionCodeOf(TPS_A), "test") if c.tps_id == TPS_A)
        token, _ = activate(s, code)
    engine.dispose()
    port = _free_port()
    env = {
        **os.environ,
        "TALLY_DATABASE_URL": sqlite_url,
        "TALLY_DATA_DIR": str(tmp_path),
        "TALLY_PORT": str(port),
        "TALLY_ENVIRONMENT": "test",
        "TALLY_OCR_READER": "none",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    serve = ["serve", "--workers", "0", "--api-workers", "2"]
    proc = subprocess.Popen(
        [sys.executable, "-c", f"from tally.cli.main import app; app({serve!r})"],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "tally serve did not start"
            time.sleep(0.2)
        yield base, token
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _accepted(metrics: str) -> float:
    found = re.search(r'^tally_uploads_total\{result="accepted"\} ([0-9.e+]+)$', metrics, re.M)
    return float(found.group(1)) if found else 0.0


def test_two_api_processes_accept_uploads_and_one_scrape_counts_them_all(
    two_processes: tuple[str, str],
) -> None:
    base, token = two_processes
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "image/jpeg"}
    for i in range(UPLOADS):  # a new connection each: the kernel hands them to either process
        data = jpeg(width=320, height=240, seed=100 + i)
        r = httpx.put(f"{base}/api/v1/tps/{TPS_A}/pages/1/photos/{sha(data)}", content=data, headers=headers)
        assert r.status_code == 202, r.text
    # Whichever process answers the scrape, it reports every process's uploads, not only its own.
    assert [_accepted(httpx.get(f"{base}/metrics").text) for _ in range(6)] == [UPLOADS] * 6
