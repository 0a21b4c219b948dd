"""A reader for the kill test: announces that it started (a marker file) and then takes its time, so a test
can SIGKILL the worker mid-job. Fault injection on top of the real contract, not a stand-in for the OCR."""

from __future__ import annotations

import os
import time
from pathlib import Path

from ocr.reading import FieldReading, Reading


class SlowReader:
    model_version = "slow-test-1"

    def read(self, jpeg: bytes, *, tps: str | None = None) -> Reading:
        marker = os.environ.get("TALLY_TEST_READ_MARKER")
        if marker:
            Path(marker).write_text(str(os.getpid()))
        time.sleep(float(os.environ.get("TALLY_TEST_READ_DELAY", "0")))
        field = FieldReading(name="suara_paslon_1", value=len(jpeg) % 300, confidence=0.99, status="accepted")
        return Reading(page=2, fields={field.name: field}, model_version=self.model_version, tps=tps)
