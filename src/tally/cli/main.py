"""`tally` — the command line. Each command group lives in its own module and registers itself here."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="tally",
    help="Tally: foto C.Hasil menjadi hasil suara yang terverifikasi dan terekap.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# Groups: regions/election (foundation), forms (corpus), ocr, service (intake), audit.
for _module in ("regions", "election", "forms", "ocr", "service", "audit"):
    importlib.import_module(f"tally.cli.{_module}").register(app)
