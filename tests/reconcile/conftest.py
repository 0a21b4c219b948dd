"""The real regions and population of `../shared/data/wilayah`, read once per test session."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from reconcile.ids import Level, RegionCode, level
from reconcile.regions import RegionTree

WILAYAH = Path(__file__).resolve().parents[3] / "shared" / "data" / "wilayah"


@pytest.fixture(scope="session")
def country() -> RegionTree:
    with (WILAYAH / "wilayah.csv").open(encoding="utf-8") as fh:
        return RegionTree.from_rows((r["kode"], r["nama"]) for r in csv.DictReader(fh))


@pytest.fixture(scope="session")
def population() -> dict[RegionCode, int]:
    with (WILAYAH / "penduduk.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {
        RegionCode(r["kode"]): int(r["total"])
        for r in rows
        if r["kode"] != "0" and level(RegionCode(r["kode"])) is Level.KABKOTA
    }
