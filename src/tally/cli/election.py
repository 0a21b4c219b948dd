"""`tally recap` and the election commands: the stored election from the command line."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from reconcile.contest import builtin_contest
from reconcile.ids import InvalidCode, RegionCode, region_code
from tally.db.base import make_engine
from tally.election.recap import Recap, recap
from tally.settings import Settings


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
    table.add_column("Wilayah")
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


def register(app: typer.Typer) -> None:
    """Adds `tally recap` (and, with the engine, `election synth`, `reconcile`, `demo`) to `app`."""
    app.command("recap")(recap_cmd)
