"""Election night, replayed at its smallest size (`bench/election_night.py`): ten TPS of one real kelurahan,
photographed in held-out handwriting, sent by phones over failing links through `tally serve` (two API
processes), the Redis queue and a `tally worker` with the real reader, while the API and the worker are
SIGKILLed and restarted; KPPS and PPS settle the doubts blind, a PPK keys the D.Hasil with one slip. Then
every result check must hold.

PostgreSQL is not restarted here (it restarts the whole server, under every other test of the run): the hand
run does it (docs/election-night.md). Two OCR worker processes: pages of one TPS applied at once, blind
answers on both API processes, and the kelurahan judged by all of them at the same moments.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.night]


def test_a_kelurahan_night_counts_every_tps_exactly_through_faults(tmp_path: Path) -> None:
    out = tmp_path / "night.json"
    args = [
        "--scope", "32.77.02.1004", "--limit", "10", "--night-s", "30", "--no-pg-restart",
        "--ocr-workers", "2", "--api-workers", "2", "--render-workers", "2", "--lease-s", "10",
        "--redis-db", "12",
        "--cache", str(tmp_path / "election"), "--json", str(out), "--png", str(tmp_path / "night.png"),
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("TALLY_")}
    run = subprocess.run(
        [sys.executable, str(REPO / "bench/election_night.py"), *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    r = json.loads(out.read_text("utf-8"))
    told = run.stdout[-4000:]
    assert r["tps"] == 10
    assert r["coverage"] == 1.0, told
    assert r["api_recap_equal"] and all(r["api_recap_equal"].values()), told  # kelurahan up to nasional
    assert r["wrong_counted"] == [], told
    assert r["lost"] == 0 and r["read_twice"] == 0, told
    assert r["photos_stored"] == r["photos_sent"], told
    assert r["audit_ok"], r["audit"]
    assert r["slips"] == r["slips_caught"] == 1, told  # the PPK's D.Hasil slip comes back as a mismatch
    assert r["slips_counted"] == 0, told  # no KPPS or PPS slip counts
    assert len(r["faults"]) >= 3, r["faults"]  # API, worker, API + worker killed and restarted
    assert r["drops"] > 0 or r["timeouts"] > 0, told
    assert (tmp_path / "night.png").read_bytes().startswith(b"\x89PNG")
    assert all(r["levels_equal"].values()), r["level_diffs"]  # every D.Hasil row, kelurahan to nasional
    assert r["slips_cleared"], told
