"""Fixtures of the intake tests; the world they run in is `support.intake`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.intake import Intake, running, seed_regions
from tally.settings import Settings


@pytest.fixture
def intake(settings: Settings) -> Iterator[Intake]:
    seed_regions(settings.database_url)
    with running(settings.model_copy(update={"ocr_reader": "none"})) as it:
        yield it
