"""`tally ocr PHOTO… [--json]`: read photos of one TPS's C.Hasil pages, print the reading and its doubts."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ocr.fields import decode_tps
from ocr.reader import PhotoReader
from ocr.reading import Reading
from reconcile.contest import builtin_contest

STATUS_STYLE = {"accepted": "green", "review": "yellow", "empty": "dim"}


def ocr(
    photos: Annotated[list[Path], typer.Argument(help="Foto halaman C.Hasil dari satu TPS (JPEG/PNG).")],
    as_json: Annotated[bool, typer.Option("--json", help="Cetak hasil sebagai JSON.")] = False,
    tps: Annotated[str | None, typer.Option(help="Kode TPS (13 digit) dari unggahan.")] = None,
    contest: Annotated[str, typer.Option(help="Kontes (ppwp-2024, pilkada-kwk-2024).")] = "ppwp-2024",
    verify_text: Annotated[bool, typer.Option(help="Cocokkan juga tulisan 'Halaman N' (Tesseract).")] = False,
) -> None:
    """Baca foto C.Hasil satu TPS: angka tiap kolom, status (diterima/periksa) dan alasannya."""
    reader = PhotoReader(verify_text=verify_text)
    readings: list[tuple[Path, Reading]] = []
    for path in photos:
        readings.append((path, reader.read(path.read_bytes(), tps=tps)))
    fields = decode_tps([r for _, r in readings], builtin_contest(contest))
    if as_json:
        out = {
            "photos": [{"path": str(p), **r.to_json()} for p, r in readings],
            "fields": {n: asdict(f) for n, f in fields.items()},
            "needs_review": any(f.status != "accepted" for f in fields.values()),
        }
        typer.echo(json.dumps(out, ensure_ascii=False, indent=1))
        return
    console = Console()
    for path, r in readings:
        head = f"[bold]{path.name}[/]: halaman {r.page or '?'}, putar {r.orientation}°"
        console.print(head + (f" — [red]DITOLAK[/]: {r.rejected}" if r.rejected else ""))
        for flag in r.flags:
            console.print(f"  [yellow]![/] {flag}")
    table = Table("kolom", "nilai", "yakin", "status", "alasan / kandidat")
    for name, f in fields.items():
        if f.status == "empty":
            continue
        cands = ", ".join(f"{c.value}:{c.probability:.2f}" for c in f.candidates[:3])
        table.add_row(
            name,
            "—" if f.value is None else str(f.value),
            f"{f.confidence:.3f}",
            f"[{STATUS_STYLE[f.status]}]{f.status}[/]",
            (f.reason or "") + (f" [dim]({cands})[/]" if f.status == "review" else ""),
        )
    console.print(table)
    missing = sorted({f.name for f in fields.values() if f.status == "empty"})
    if missing:
        console.print(f"[dim]{len(missing)} kolom dari halaman yang belum diunggah.[/]")


def register(app: typer.Typer) -> None:
    """Adds this group's commands to `app`."""
    app.command("ocr")(ocr)
