"""`tally form render` (printable blank C.Hasil pages) and `tally samples make` (the ground-truth corpus)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import cv2
import typer
from fpdf import FPDF
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ocr.corpus.make import SEVERITIES, jobs, run
from ocr.corpus.officer import KINDS
from ocr.forms.render import render_blank
from ocr.forms.spec import load_spec, spec_name

form_app = typer.Typer(help="Formulir C.Hasil: cetak formulir kosong dari spesifikasinya.")
samples_app = typer.Typer(help="Korpus foto C.Hasil dengan kebenaran (truth) untuk menguji OCR.")


@form_app.command("render")
def render(
    form: Annotated[str, typer.Option(help="Kontes: ppwp-2024 atau pilkada-kwk-2024.")] = "ppwp-2024",
    page: Annotated[int, typer.Option(help="Halaman 1, 2 atau 3.")] = 2,
    paslon: Annotated[int, typer.Option(help="KWK halaman 2: jumlah paslon (1–6).")] = 0,
    tps: Annotated[str | None, typer.Option(help="Kode TPS 13 digit untuk kode QR.")] = None,
    out: Annotated[Path, typer.Option(help="Folder keluaran.")] = Path("."),
    dpi: Annotated[int, typer.Option(help="Resolusi PNG.")] = 300,
) -> None:
    """Cetak satu halaman kosong sebagai PNG (300 dpi) dan PDF."""
    spec = load_spec(form, page, paslon or None)
    out.mkdir(parents=True, exist_ok=True)
    stem = spec_name(form, page, paslon or None) + (f"-{tps}" if tps else "")
    png = out / f"{stem}.png"
    img = render_blank(spec, dpi / 25.4, tps=tps or "")
    cv2.imwrite(str(png), img, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    pdf = FPDF(unit="mm", format=spec.size_mm)
    pdf.set_margin(0)
    pdf.add_page()
    pdf.image(str(png), x=0, y=0, w=spec.size_mm[0], h=spec.size_mm[1])
    pdf.output(str(out / f"{stem}.pdf"))
    Console().print(f"{png} dan {stem}.pdf ({spec.size_mm[0]:.0f} × {spec.size_mm[1]:.0f} mm)")


@samples_app.command("make")
def make(
    n: Annotated[int, typer.Option(help="Jumlah foto.")] = 30,
    seed: Annotated[int, typer.Option(help="Seed: seed yang sama → byte yang sama.")] = 0,
    severity: Annotated[
        list[str] | None, typer.Option(help="clean/moderate/harsh/unusable (boleh diulang).")
    ] = None,
    page: Annotated[list[int] | None, typer.Option(help="Halaman (boleh diulang); bawaan 1, 2, 3.")] = None,
    form: Annotated[str, typer.Option(help="Kontes: ppwp-2024 atau pilkada-kwk-2024.")] = "ppwp-2024",
    paslon: Annotated[int, typer.Option(help="KWK: jumlah paslon (1–6).")] = 0,
    kind: Annotated[str | None, typer.Option(help=f"Jenis kesalahan 2024: {', '.join(KINDS)}.")] = None,
    slips: Annotated[float, typer.Option(help="Peluang tiap jenis kekeliruan petugas per halaman.")] = 0.1,
    workers: Annotated[int, typer.Option(help="Proses (0 = semua inti).")] = 0,
    max_side: Annotated[int, typer.Option(help="Perkecil foto ke sisi terpanjang ini (0 = asli).")] = 0,
    out: Annotated[Path, typer.Option(help="Folder keluaran.")] = Path("corpus"),
) -> None:
    """Buat N foto C.Hasil terisi tulisan tangan, dengan JSON kebenaran di sampingnya."""
    sev = severity or ["moderate"]
    bad = [s for s in sev if s not in SEVERITIES]
    if bad or (kind and kind not in KINDS):
        raise typer.BadParameter(f"tidak dikenal: {bad or kind}")
    job_list = jobs(n, seed, form, page or [1, 2, 3], sev, paslon, kind, slips, max_side)
    started = time.perf_counter()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns) as bar:
        task = bar.add_task("foto", total=n)
        run(job_list, out, workers, progress=lambda _name: bar.advance(task))
    took = time.perf_counter() - started
    Console().print(f"{n} foto di {out} dalam {took:.1f} s ({n / took:.2f} foto/s)")


def register(app: typer.Typer) -> None:
    """Adds `tally form` and `tally samples` to `app`."""
    app.add_typer(form_app, name="form")
    app.add_typer(samples_app, name="samples")
