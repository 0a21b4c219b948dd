"""CSV and Sirekap-compatible JSON of a region or a TPS, rendered from the same page values as the HTML."""

from __future__ import annotations

import csv
import io
from typing import Any

from tally.web.model import RegionPage, TpsPage

SIREKAP_ADMIN = (
    "pemilih_dpt_j", "pemilih_dpt_l", "pemilih_dpt_p",
    "pengguna_dpt_j", "pengguna_dpt_l", "pengguna_dpt_p",
    "pengguna_dptb_j", "pengguna_dptb_l", "pengguna_dptb_p",
    "pengguna_total_j", "pengguna_total_l", "pengguna_total_p",
    "suara_sah", "suara_tidak_sah", "suara_total",
)  # fmt: skip
# Sirekap calls the DPK voters "non DPT"; the form calls them pengguna_dpk_*.
SIREKAP_RENAMED = {f"pengguna_non_dpt_{g}": f"pengguna_dpk_{g}" for g in "jlp"}


def name_of(code: str, name: str | None) -> str:
    """A row's name; a TPS (a kelurahan's children) has none stored: "TPS 001"."""
    if name:
        return name
    return f"TPS {int(code[10:]):03d}" if len(code) == 13 and code.isdigit() else ""


def region_csv(page: RegionPage) -> str:
    r = page.recap
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    paslon_cols = [f"paslon_{i}" for i in range(1, len(r.paslon) + 1)]
    writer.writerow(
        ["kode", "nama", *paslon_cols, "suara_sah", "suara_tidak_sah", "tps_masuk", "tps_total", "tertunda"]
    )
    for line in (*r.children, r.total):
        writer.writerow(
            [line.code, name_of(line.code, line.name), *line.votes, line.suara_sah, line.suara_tidak_sah,
             line.tps_counted, line.tps_expected, line.tps_pending]
        )  # fmt: skip
    return out.getvalue()


def region_json(page: RegionPage) -> dict[str, Any]:
    """Sirekap's region shape: `chart` of the region, `table` per child, `progres` of TPS in."""
    r = page.recap
    table = {
        child.code: {
            **{str(i): v for i, v in enumerate(child.votes, start=1)},
            "nama": name_of(child.code, child.name),
            "persen": round(100 * child.coverage, 2),
            "tertunda": child.tps_pending,
        }
        for child in r.children
    }
    return {
        "kode": r.total.code,
        "nama": r.total.name,
        "kontes": r.contest,
        "paslon": {str(i): name for i, name in enumerate(r.paslon, start=1)},
        "chart": {str(i): v for i, v in enumerate(r.total.votes, start=1)},
        "table": table,
        "progres": {"total": r.total.tps_expected, "progres": r.total.tps_counted},
        "suara_sah": r.total.suara_sah,
        "suara_tidak_sah": r.total.suara_tidak_sah,
        "tanda": r.flags,
        "outlier": r.outliers,
        "rekap_resmi": r.keyed,
    }


def tps_json(page: TpsPage, image_urls: list[str]) -> dict[str, Any]:
    """Sirekap's per-TPS shape (DOMAIN.md): `administrasi`, `chart`, `images`, `ts`, `status_*`."""
    admin: dict[str, int | None] = {name: page.value(name) for name in SIREKAP_ADMIN}
    admin.update({ours: page.value(theirs) for ours, theirs in SIREKAP_RENAMED.items()})
    votes = [page.value(f"suara_paslon_{i}") for i in range(1, len(page.paslon) + 1)]
    has_votes = page.status == "masuk" and all(v is not None for v in votes)
    return {
        "kode": page.tps_id,
        "kontes": page.contest_id,
        "administrasi": admin,
        "chart": {str(i): v for i, v in enumerate(votes, start=1)} if page.status != "belum" else None,
        "images": image_urls,
        "ts": page.updated_at,
        "status_suara": has_votes,
        "status_adm": page.status == "masuk" and all(v is not None for v in admin.values()),
        "tanda": [f.rule for f in page.flags],
    }


def tps_csv(page: TpsPage) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["tps", "isian", "label", "nilai"])
    for name, label, value in page.values:
        writer.writerow([page.tps_id, name, label, "" if value is None else value])
    return out.getvalue()
