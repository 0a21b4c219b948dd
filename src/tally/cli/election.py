"""`tally recap` and the election commands: the stored election from the command line."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import select

from reconcile.contest import builtin_contest
from reconcile.flags import Flag
from reconcile.ids import NASIONAL, InvalidCode, RegionCode, TpsId, parent, region_code
from tally.cli.regions import load as load_regions_cmd
from tally.db.base import make_engine, migrate, session_factory
from tally.db.regions import TpsRow
from tally.db.scope import in_region
from tally.demo import DEMO_PASSWORD, demo_logins
from tally.election.recap import Recap, recap
from tally.election.run import Progress as Tick
from tally.election.run import reconcile_scope, synth_election
from tally.regions import read_population, read_regions, wilayah_dir
from tally.settings import Settings

election_app = typer.Typer(help="Pemilu sintetis untuk demo, uji dan benchmark.")
DEMO_SCOPE = "32.77"  # Kota Cimahi: ~1,500 TPS, a real city small enough to synthesise in seconds


def _code(text: str) -> RegionCode:
    try:
        return region_code(text)
    except InvalidCode as exc:
        raise typer.BadParameter(str(exc)) from exc


def recap_cmd(
    code: str = typer.Argument("", help="Kode wilayah (32.04 atau 3204); kosong = nasional."),
    contest: str = typer.Option("ppwp-2024", help="Kontes."),
    as_json: bool = typer.Option(False, "--json", help="Keluaran JSON."),
) -> None:
    """Rekap satu wilayah: suara per paslon, cakupan TPS, bendera dan yang tertunda."""
    settings = Settings()
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            result = recap(conn, builtin_contest(contest), _code(code))
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        print_recap(Console(), result)


def print_recap(console: Console, r: Recap) -> None:
    t = r.total
    table = Table(title=f"Rekap {t.name or 'Indonesia'} ({t.code or 'nasional'}) — {r.contest}")
    table.add_column("Wilayah", no_wrap=True, max_width=28)
    for i in range(len(r.paslon)):
        table.add_column(f"Paslon {i + 1}", justify="right")
    for col in ("Sah", "Tidak sah", "TPS masuk", "Tertunda", "Cakupan"):
        table.add_column(col, justify="right")
    for line in (*r.children, t):
        table.add_row(
            f"{line.code} {line.name}".strip(),
            *(f"{v:,}" for v in line.votes),
            f"{line.suara_sah:,}",
            f"{line.suara_tidak_sah:,}",
            f"{line.tps_counted:,}/{line.tps_expected:,}",
            f"{line.tps_pending:,}",
            f"{line.coverage:.1%}",
            style="bold" if line is t else None,
        )
    console.print(table)
    console.print(f"Bendera: {r.flags:,} galat, {r.outliers:,} pencilan (layak diperiksa)")
    if r.keyed:
        keyed = ", ".join(f"{k}={v:,}" for k, v in sorted(r.keyed.items()))
        console.print(f"Rekap yang diinput petugas (D.Hasil): {keyed}")


@contextmanager
def _bar(label: str) -> Iterator[Tick]:
    with Progress(transient=False) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def synth_cmd(
    scope: str = typer.Option(DEMO_SCOPE, help="Kode wilayah yang disintesis (default: Kota Cimahi)."),
    national: bool = typer.Option(False, "--national", help="Seluruh Indonesia (~820 ribu TPS)."),
    error_share: float = typer.Option(0.02, min=0.0, max=1.0, help="Porsi TPS dengan galat ala 2024."),
    seed: int = typer.Option(2024, help="Benih acak (hasil sama untuk benih sama)."),
    contest: str = typer.Option("ppwp-2024", help="Kontes."),
) -> None:
    """Buat pemilu sintetis (lembar C.Hasil konsisten + galat 2024) dan simpan ke basis data."""
    settings = Settings()
    code = NASIONAL if national else _code(scope)
    directory = wilayah_dir(settings)
    started = time.perf_counter()
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with _bar(f"Sintesis {code or 'nasional'}") as tick:
            done = synth_election(
                engine, read_regions(directory), read_population(directory), builtin_contest(contest), code,
                error_share=error_share, seed=seed, progress=tick,
            )  # fmt: skip
    finally:
        engine.dispose()
    Console().print(f"{done.tps:,} TPS, {done.sheets:,} lembar ({time.perf_counter() - started:.1f} s)")


def reconcile_cmd(
    scope: str = typer.Option("", help="Kode wilayah; kosong = nasional."),
    export: Annotated[Path | None, typer.Option(help="Tulis bendera ke berkas .csv atau .json.")] = None,
    contest: str = typer.Option("ppwp-2024", help="Kontes."),
    limit: int = typer.Option(20, help="Jumlah bendera yang dicetak."),
) -> None:
    """Periksa semua lembar tersimpan, simpan bendera, dan cetak ringkasannya."""
    settings = Settings()
    engine = make_engine(settings.database_url)
    try:
        with _bar("Rekonsiliasi") as tick:
            flags = reconcile_scope(
                engine,
                read_regions(wilayah_dir(settings)),
                builtin_contest(contest),
                _code(scope),
                progress=tick,
            )
    finally:
        engine.dispose()
    print_flags(Console(), flags, limit)
    if export is not None:
        write_flags(export, flags)


def print_flags(console: Console, flags: list[Flag], limit: int) -> None:
    table = Table(title=f"{len(flags):,} bendera")
    for col in ("Wilayah/TPS", "Aturan", "Isian", "Seharusnya", "Terbaca"):
        table.add_column(col, no_wrap=col != "Isian")
    table.add_column("Saran", ratio=1)
    for f in flags[:limit]:
        table.add_row(f.region, f.rule.value, ", ".join(f.fields), str(f.expected), str(f.actual), f.hint)
    console.print(table)


def write_flags(path: Path, flags: list[Flag]) -> None:
    if path.suffix == ".json":
        path.write_text(
            json.dumps([f.as_dict() for f in flags], ensure_ascii=False, indent=1), encoding="utf-8"
        )
        return
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(
            fh, fieldnames=["region", "rule", "fields", "expected", "actual", "hint", "severity"]
        )
        writer.writeheader()
        writer.writerows({**f.as_dict(), "fields": ",".join(f.fields)} for f in flags)


def demo_cmd() -> None:
    """Semua wilayah + pemilu demo kecil (Kota Cimahi) di basis data bawaan, lalu rekonsiliasi."""
    load_regions_cmd()
    synth_cmd(scope=DEMO_SCOPE, national=False, error_share=0.02, seed=2024, contest="ppwp-2024")
    reconcile_cmd(scope=DEMO_SCOPE, export=None, contest="ppwp-2024", limit=5)
    print_demo_logins()


def print_demo_logins() -> None:
    settings = Settings()
    engine = make_engine(settings.database_url)
    try:
        with session_factory(engine)() as s, s.begin():
            first = s.scalars(select(TpsRow.id).where(in_region(TpsRow.id, RegionCode(DEMO_SCOPE)))).first()
            if first is None:
                return
            desa = parent(TpsId(first))
            assert desa is not None
            logins = demo_logins(s, settings, desa)
    finally:
        engine.dispose()
    table = Table(title=f"Akun demo (kata sandi staf: {DEMO_PASSWORD}; KPPS: kode aktivasi sekali pakai)")
    for col in ("peran", "wilayah / TPS", "nama pengguna / kode"):
        table.add_column(col)
    for login in logins:
        table.add_row(login.role, login.region, login.login)
    Console().print(table)
    Console().print(f"Buka http://{settings.host}:{settings.port}/ — petugas masuk di /petugas")


def register(app: typer.Typer) -> None:
    """Adds `tally recap`, `tally election synth`, `tally reconcile` and `tally demo` to `app`."""
    app.command("recap")(recap_cmd)
    app.command("reconcile")(reconcile_cmd)
    app.command("demo")(demo_cmd)
    election_app.command("synth")(synth_cmd)
    app.add_typer(election_app, name="election")
