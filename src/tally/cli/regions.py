"""`tally regions …`: the Kepmendagri region tree into the database."""

from __future__ import annotations

import time

import typer
from rich.console import Console

from tally.db.base import make_engine, migrate
from tally.regions import load_regions as load_into
from tally.regions import read_regions, wilayah_dir
from tally.settings import Settings

regions_app = typer.Typer(help="Wilayah (kode Kepmendagri): provinsi, kab/kota, kecamatan, kelurahan/desa.")


@regions_app.command("load")
def load() -> None:
    """Muat semua wilayah dari data/wilayah ke basis data (aman diulang)."""
    settings = Settings()
    started = time.perf_counter()
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with engine.begin() as conn:
            result = load_into(conn, read_regions(wilayah_dir(settings)))
    finally:
        engine.dispose()
    Console().print(
        f"{result.total:,} wilayah: {result.inserted:,} baru, {result.updated:,} diperbarui "
        f"({time.perf_counter() - started:.1f} s)"
    )


def register(app: typer.Typer) -> None:
    """Adds `tally regions` to `app`."""
    app.add_typer(regions_app, name="regions")
