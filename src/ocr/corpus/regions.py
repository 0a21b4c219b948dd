"""Real region names for the handwritten header: a random desa from Kepmendagri's list, and a TPS."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ocr.paths import DataMissing, shared_data_dir


@dataclass(frozen=True)
class Regions:
    names: dict[str, str]  # dotted code → name
    desa: tuple[str, ...]  # dotted desa codes, sorted

    @staticmethod
    def load(path: Path | None = None) -> Regions:
        names: dict[str, str] = {}
        if path is None:
            try:
                path = shared_data_dir() / "wilayah" / "wilayah.csv"
            except DataMissing:
                path = None
        if path is not None and path.exists():
            with path.open(encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    names[row["kode"]] = row["nama"]
        desa = tuple(sorted(k for k in names if k.count(".") == 3))
        if not desa:  # no data at hand: one real kelurahan so the corpus still has a header
            names = {
                "31": "DKI Jakarta",
                "31.73": "Kota Jakarta Selatan",
                "31.73.04": "Tebet",
                "31.73.04.1007": "Manggarai",
            }
            desa = ("31.73.04.1007",)
        return Regions(names, desa)

    def pick(self, rng: np.random.Generator) -> tuple[str, str, dict[str, str]]:
        """(desa code, 13-digit TPS id, header values) for a random TPS."""
        code = self.desa[int(rng.integers(len(self.desa)))]
        number = int(rng.integers(1, 25))
        pp, kk, cc, _ = code.split(".")
        header = {
            "provinsi": self.names.get(pp, ""),
            "kabupaten_kota": self.names.get(f"{pp}.{kk}", "")
            .removeprefix("Kabupaten ")
            .removeprefix("Kota "),
            "kecamatan": self.names.get(f"{pp}.{kk}.{cc}", ""),
            "kelurahan_desa": self.names.get(code, ""),
            "nomor_tps": f"{number:03d}",
        }
        return code, code.replace(".", "") + f"{number:03d}", {k: v.upper() for k, v in header.items()}
