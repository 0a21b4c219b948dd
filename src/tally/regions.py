"""The Kepmendagri region tree from `data/wilayah/*.csv`, and its load into the `region` table.

The CSVs are read from `Settings.wilayah_dir`, or `../shared/data/wilayah` beside the repository.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, bindparam, select, update

from ocr.paths import shared_data_dir
from reconcile.ids import InvalidCode, Level, RegionCode, at_level, contains, level, parent, region_code
from tally.db.bulk import insert_rows, table_of
from tally.db.regions import RegionRow
from tally.settings import Settings

_CODE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")


class WilayahMissing(FileNotFoundError):
    """The region CSVs are not where the settings say."""


@dataclass(frozen=True, slots=True)
class Region:
    code: RegionCode
    name: str
    level: Level
    parent: RegionCode | None  # None for a provinsi: the nation is implied


@dataclass(frozen=True, slots=True)
class LoadResult:
    inserted: int
    updated: int
    total: int


def wilayah_dir(settings: Settings) -> Path:
    directory = settings.wilayah_dir or shared_data_dir() / "wilayah"
    if not (directory / "wilayah.csv").is_file():
        raise WilayahMissing(f"wilayah.csv tidak ditemukan di {directory} (atur TALLY_WILAYAH_DIR)")
    return directory


@functools.lru_cache(maxsize=4)
def read_regions(directory: Path) -> tuple[Region, ...]:
    """Every region of `wilayah.csv`, parents before children (cached: the file is read-only data)."""
    out: list[Region] = []
    with (directory / "wilayah.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            code = row["kode"].strip()
            if not _CODE.match(code):
                raise InvalidCode(f"kode wilayah tidak dikenal di wilayah.csv: {code!r}")
            up = parent(RegionCode(code)) or None  # a provinsi's parent is the nation: not stored
            out.append(Region(RegionCode(code), row["nama"].strip(), level(RegionCode(code)), up))
    out.sort(key=lambda r: (r.level, r.code))
    return tuple(out)


def read_population(directory: Path) -> dict[RegionCode, int]:
    """Population per provinsi and kabupaten/kota (`penduduk.csv`; the national row is skipped)."""
    with (directory / "penduduk.csv").open(encoding="utf-8", newline="") as fh:
        return {region_code(r["kode"]): int(r["total"]) for r in csv.DictReader(fh) if r["kode"] != "0"}


def kabkota_of(code: RegionCode) -> RegionCode:
    """The kab/kota a kecamatan or desa (or the kab/kota itself) belongs to."""
    return at_level(code, Level.KABKOTA)


def within(regions: Iterable[Region], scope: RegionCode) -> list[Region]:
    """The regions of `scope`: itself, its ancestors (so the tree stays connected) and its descendants."""
    return [r for r in regions if _related(r.code, scope)]


def _related(code: RegionCode, scope: RegionCode) -> bool:
    return contains(scope, code) or contains(code, scope)


def load_regions(conn: Connection, regions: Iterable[Region]) -> LoadResult:
    """Insert the regions the table lacks and rename those whose name changed; safe to rerun."""
    table = table_of(RegionRow)
    known: dict[str, str] = dict(conn.execute(select(RegionRow.code, RegionRow.name)).all())
    fresh: list[tuple[object, ...]] = []
    renamed: list[dict[str, object]] = []
    total = 0
    for r in regions:
        total += 1
        if r.code not in known:
            fresh.append((r.code, r.name, int(r.level), r.parent))
        elif known[r.code] != r.name:
            renamed.append({"c": r.code, "n": r.name})
    inserted = insert_rows(conn, table, ("code", "name", "level", "parent"), fresh)
    if renamed:
        conn.execute(update(table).where(table.c.code == bindparam("c")).values(name=bindparam("n")), renamed)
    return LoadResult(inserted=inserted, updated=len(renamed), total=total)
