"""Page 1 and the KWK pages, laid out in KPU's style in the frame measured on PPWP pages 2 and 3.

Same page, markers, tag position, header lines and digit-box size as the measured pages; the boxes of every
number sit in the column KPU uses for totals (x ≈ 252 mm), so one reader serves all pages.
"""

from __future__ import annotations

import tomllib
from typing import Any

from ocr.forms import measure
from ocr.forms.spec import PAGE_TAGS

BOX_W, BOX_H, BOX_PITCH = 12.1, 11.5, 14.0
TAG_CORNERS = [[294.0, 52.0], [275.0, 52.0], [275.0, 34.0], [294.0, 34.0]]  # as on KPU's pages 2 and 3
HEADER = [  # as measured on KPU's pages 2 and 3
    {"name": "provinsi", "label": "Provinsi", "line": [78.1, 24.0, 139.6]},
    {"name": "kabupaten_kota", "label": "Kabupaten / Kota", "line": [78.2, 31.5, 139.6]},
    {"name": "kecamatan", "label": "Kecamatan", "line": [194.0, 24.0, 255.4]},
    {"name": "kelurahan_desa", "label": "Kelurahan / Desa *)", "line": [194.0, 31.5, 255.4]},
    {"name": "nomor_tps", "label": "Nomor TPS", "line": [194.0, 38.5, 255.4]},
]
FORMS = {"ppwp-2024": "C.Hasil-PPWP", "pilkada-kwk-2024": "C.Hasil-KWK"}
VOTER_ROWS = {
    "ppwp-2024": (("dpt", "DPT"), ("dptb", "DPTb"), ("dpk", "DPK")),
    "pilkada-kwk-2024": (("dpt", "DPT"), ("dpph", "DPPh"), ("dptb", "DPTb")),
}


def boxes_at(
    x: float, y: float, w: float = BOX_W, h: float = BOX_H, pitch: float = BOX_PITCH
) -> list[list[float]]:
    return [[round(x + i * pitch, 2), y, w, h] for i in range(3)]


def frame(contest: str, page: int, title: str) -> dict[str, Any]:
    return {
        "form": FORMS[contest],
        "contest": contest,
        "page": page,
        "pages": 3,
        "title": title,
        "size_mm": list(measure.PAGE_MM),
        "markers": {"size_mm": 8.5, "centres": [list(c) for c in measure.MARKERS_MM]},
        "tag": {"family": "36h10", "id": PAGE_TAGS[contest] + page, "corners": TAG_CORNERS},
        "header": [dict(h) for h in HEADER],
    }


def signatures(y: float) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rules = [
        {"rect": [22.0, y, 276.0, 64.0], "width": 0.5},
        {"rect": [22.0, y + 6, 276.0, 0.0], "width": 0.3},
    ]
    texts = [
        {
            "at": [160.0, y + 4.3],
            "s": "NAMA DAN TANDA TANGAN KELOMPOK PENYELENGGARA PEMUNGUTAN SUARA",
            "size": 2.0,
            "bold": True,
            "anchor": "ms",
        }
    ]
    for i in range(7):
        x = 22 + i * 276 / 7
        rules.append({"rect": [round(x, 2), y + 6, 0.0, 20.0], "width": 0.3})
        texts.append({"at": [round(x + 2, 2), y + 15], "s": f"{i + 1}.", "size": 2.4, "bold": True})
    rules.append({"rect": [22.0, y + 26, 276.0, 0.0], "width": 0.3})
    texts.append(
        {
            "at": [160.0, y + 30.3],
            "s": "NAMA DAN TANDA TANGAN SAKSI",
            "size": 2.0,
            "bold": True,
            "anchor": "ms",
        }
    )
    rules.append({"rect": [22.0, y + 32, 276.0, 0.0], "width": 0.3})
    return rules, texts


def page1(contest: str) -> dict[str, Any]:
    doc = frame(contest, 1, "I. DATA PEMILIH DAN PENGGUNA HAK PILIH")
    cols = (("l", "LAKI-LAKI", 154.0), ("p", "PEREMPUAN", 202.0), ("j", "JUMLAH (L+P)", 252.0))
    rules: list[dict[str, Any]] = []
    texts: list[dict[str, Any]] = []
    numbers: list[dict[str, Any]] = []
    y = 60.0

    def table_head(y: float, heads: tuple[tuple[str, str, float], ...]) -> None:
        rules.append({"rect": [22.0, y, 276.0, 9.0], "width": 0.5})
        texts.append({"at": [80.0, y + 6], "s": "URAIAN", "size": 2.2, "bold": True, "anchor": "ms"})
        for _, label, x in heads:
            rules.append({"rect": [x - 5, y, 0.0, 9.0], "width": 0.5})
            texts.append({"at": [x + 19, y + 6], "s": label, "size": 2.2, "bold": True, "anchor": "ms"})

    def row(y: float, label: str, prefix: str, heads: tuple[tuple[str, str, float], ...]) -> None:
        rules.append({"rect": [22.0, y, 276.0, 16.0], "width": 0.5})
        texts.append({"at": [30.0, y + 9.5], "s": label, "size": 2.3})
        for suffix, _, x in heads:
            rules.append({"rect": [x - 5, y, 0.0, 16.0], "width": 0.5})
            name = f"{prefix}_{suffix}" if suffix else prefix
            numbers.append({"field": name, "boxes": boxes_at(x, y + 2.25)})

    def section(y: float, s: str) -> None:
        rules.append({"rect": [22.0, y, 276.0, 7.0], "width": 0.0, "gray": 225})
        texts.append({"at": [25.0, y + 5.2], "s": s, "size": 2.3, "bold": True})

    table_head(y, cols)
    y += 9
    section(y, "A. DATA PEMILIH")
    y += 7
    for i, (key, label) in enumerate(VOTER_ROWS[contest], start=1):
        row(y, f"{i}. Jumlah pemilih dalam {label}", f"pemilih_{key}", cols)
        y += 16
    section(y, "B. PENGGUNA HAK PILIH")
    y += 7
    for i, (key, label) in enumerate(VOTER_ROWS[contest], start=1):
        row(y, f"{i}. Jumlah pengguna hak pilih dalam {label}", f"pengguna_{key}", cols)
        y += 16
    row(y, "4. Jumlah pengguna hak pilih (B.1 + B.2 + B.3)", "pengguna_total", cols)
    y += 24
    texts.append({"at": [27.0, y], "s": "II. DATA PENGGUNAAN SURAT SUARA", "size": 2.6, "bold": True})
    y += 4
    one = (("", "JUMLAH", 252.0),)
    table_head(y, one)
    y += 9
    for i, (key, label) in enumerate(
        (
            ("surat_diterima", "Jumlah surat suara yang diterima, termasuk cadangan 2% dari DPT"),
            (
                "surat_dikembalikan",
                "Jumlah surat suara yang dikembalikan oleh pemilih karena rusak/keliru coblos",
            ),
            ("surat_sisa", "Jumlah surat suara yang tidak digunakan/tidak terpakai, termasuk sisa cadangan"),
            ("surat_digunakan", "Jumlah surat suara yang digunakan"),
        ),
        start=1,
    ):
        row(y, f"{i}. {label}", key, one)
        y += 16
    y += 8
    texts.append({"at": [27.0, y], "s": "III. DATA PEMILIH DISABILITAS", "size": 2.6, "bold": True})
    y += 4
    table_head(y, cols)
    y += 9
    row(y, "1. Jumlah seluruh pemilih disabilitas terdaftar", "disabilitas_dpt", cols)
    y += 16
    row(y, "2. Jumlah pemilih disabilitas yang menggunakan hak pilih", "disabilitas_pengguna", cols)
    sig_rules, sig_texts = signatures(396.0)
    doc.update(
        qr={"rect": [27.0, 356.0, 34.0, 34.0]}, number=numbers, rule=rules + sig_rules, text=texts + sig_texts
    )
    return doc


def page2(contest: str, slate: int) -> dict[str, Any]:
    """The paslon page for a slate of `slate` paslon (one paslon runs against kotak kosong: 2 numbers)."""
    blocks = 2 if slate == 1 else slate
    doc = frame(contest, 2, "IV. DATA RINCIAN PEROLEHAN SUARA PASANGAN CALON")
    many = blocks > 3  # then the signatures move to page 3 and the blocks take their room
    top, bottom, gap = 74.0, 422.0 if many else 392.0, 5.0
    pitch = min(86.5, (bottom - top) / blocks)
    block = pitch - gap
    rules: list[dict[str, Any]] = [{"rect": [25.4, 62.75, 269.2, 11.25], "width": 0.5}]
    texts: list[dict[str, Any]] = [
        {"at": [57.0, 69.5], "s": "NOMOR DAN NAMA PASANGAN CALON", "size": 1.9, "bold": True, "anchor": "ms"},
        {"at": [159.0, 69.5], "s": "RINCIAN PEROLEHAN SUARA SAH", "size": 1.9, "bold": True, "anchor": "ms"},
        {"at": [239.0, 69.5], "s": "JUMLAH", "size": 1.7, "bold": True, "anchor": "ms"},
        {"at": [272.0, 69.5], "s": "JUMLAH SUARA SAH", "size": 1.9, "bold": True, "anchor": "ms"},
    ]
    numbers = []
    box_h = 10.0 if many else BOX_H
    grid_h = block * 0.56
    for i in range(blocks):
        y0 = top + i * pitch
        first = y0 + 3.75 + box_h + 4.0
        step = (y0 + block - 3.5 - first) / 9
        rules += [
            {"rect": [25.4, y0, 269.2, block], "width": 0.6},
            {"rect": [89.5, y0, 0.0, grid_h], "width": 0.6},
            {"rect": [25.4, y0 + grid_h, 223.6, 0.0], "width": 0.6},
            {"rect": [249.0, y0, 0.0, block], "width": 0.6},
        ]
        who = "KOTAK KOSONG" if slate == 1 and i == 1 else ""
        texts += [
            {
                "at": [57.0, y0 + grid_h * 0.35],
                "s": str(i + 1),
                "size": min(6.0, block * 0.08),
                "bold": True,
                "anchor": "mm",
            },
            {
                "at": [57.0, y0 + grid_h * 0.7],
                "s": who or "NAMA PASANGAN CALON",
                "size": 2.0,
                "bold": True,
                "anchor": "mm",
            },
            {
                "at": [150.0, y0 + block - 2.5],
                "s": "( ditulis menggunakan huruf kapital )",
                "size": 1.6,
                "anchor": "ms",
            },
        ]
        numbers.append(
            {
                "field": f"suara_paslon_{i + 1}",
                "boxes": boxes_at(251.75, round(y0 + 3.75, 2), h=round(box_h, 2)),
                "words": [28.4, round(y0 + grid_h + 3, 2), 150.0, round(block - grid_h - 8, 2)],
                "bubbles": {
                    "x": [258.0, 271.75, 285.75],
                    "y": [round(first + k * step, 2) for k in range(10)],
                    "d": round(min(5.0, step * 0.85), 2),
                },
                "tally": {
                    "rect": [89.5, y0, 139.25, round(grid_h, 2)],
                    "cols": 12,
                    "rows": 5,
                    "subtotal_x": [228.75, 249.0],
                },
            }
        )
    sig_rules, sig_texts = signatures(396.0)
    doc.update(
        paslon=blocks,
        slate=slate,
        qr={"rect": [257.0, 356.0, 34.0, 34.0]} if blocks > 3 else {"rect": [27.0, 342.0, 34.0, 34.0]},
        number=numbers,
        rule=rules + sig_rules,
        text=texts + sig_texts,
    )
    return doc


def page3(contest: str, ppwp_page3: str) -> dict[str, Any]:
    """KWK page 3: the geometry of KPU's PPWP page 3 (`ppwp_page3` is its spec text), drawn."""
    src = tomllib.loads(ppwp_page3)
    doc = frame(contest, 3, src["title"])
    rules = [
        {"rect": [25.4, 62.75, 269.5, 20.5], "width": 0.6},
        {"rect": [25.4, 91.75, 269.5, 46.75], "width": 0.6},
        {"rect": [25.4, 145.75, 269.5, 20.5], "width": 0.6},
        {"rect": [249.0, 62.75, 0.0, 20.5], "width": 0.6},
        {"rect": [249.0, 91.75, 0.0, 46.75], "width": 0.6},
        {"rect": [249.0, 145.75, 0.0, 20.5], "width": 0.6},
        {"rect": [89.5, 62.75, 0.0, 103.5], "width": 0.6},
    ]
    texts = [
        {"at": [57.0, 74.0], "s": "A. JUMLAH SELURUH SUARA SAH", "size": 2.0, "bold": True, "anchor": "mm"},
        {"at": [57.0, 115.0], "s": "B. JUMLAH SUARA TIDAK SAH", "size": 2.0, "bold": True, "anchor": "mm"},
        {"at": [57.0, 156.0], "s": "C. SUARA SAH + TIDAK SAH", "size": 2.0, "bold": True, "anchor": "mm"},
        {"at": [166.0, 184.0], "s": "TANGGAL :", "size": 2.3, "bold": True, "anchor": "rs"},
        {"at": [209.0, 184.0], "s": "BULAN :", "size": 2.3, "bold": True, "anchor": "rs"},
        {"at": [251.0, 184.0], "s": "TAHUN :", "size": 2.3, "bold": True, "anchor": "rs"},
    ]
    sig_rules, sig_texts = signatures(200.0)
    doc["header"] = src["header"]
    doc.update(
        qr=src["qr"], number=src["number"], date=src["date"], rule=rules + sig_rules, text=texts + sig_texts
    )
    return doc


def all_pages(ppwp_page3: str) -> list[dict[str, Any]]:
    pages = [page1("ppwp-2024"), page1("pilkada-kwk-2024"), page3("pilkada-kwk-2024", ppwp_page3)]
    pages += [page2("pilkada-kwk-2024", n) for n in range(1, 7)]
    return pages
