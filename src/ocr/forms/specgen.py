"""Write the spec files: pages 2 and 3 of C.Hasil-PPWP from measurements of KPU's scans, the rest laid out.

``python -m ocr.forms.specgen`` rewrites every TOML in `specs/`; the committed files are its output. Pages 2
and 3 take every box, bubble, grid and line from `measure` (nothing typed in by hand except which printed
element is which field); page 1 and the KWK pages come from `layout`, in the same frame.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ocr.forms import layout, measure
from ocr.forms.spec import PAGE_TAGS, spec_name
from ocr.forms.tomlw import dumps

SPEC_DIR = Path(__file__).parent / "specs"
HEADER_NAMES = {  # (column, row) of the dotted header lines → field
    (0, 0): ("provinsi", "Provinsi"),
    (0, 1): ("kabupaten_kota", "Kabupaten / Kota"),
    (1, 0): ("kecamatan", "Kecamatan"),
    (1, 1): ("kelurahan_desa", "Kelurahan / Desa *)"),
    (1, 2): ("nomor_tps", "Nomor TPS"),
}


def frame(contest: str, page: int, tag_corners: list[list[float]]) -> dict[str, Any]:
    return {
        "size_mm": list(measure.PAGE_MM),
        "markers": {"size_mm": 8.5, "centres": [list(c) for c in measure.MARKERS_MM]},
        "tag": {"family": "36h10", "id": PAGE_TAGS[contest] + page, "corners": tag_corners},
    }


def header(lines: list[tuple[float, float, float]]) -> list[dict[str, Any]]:
    ys = sorted({y for _, y, _ in lines})
    out = []
    for x0, y, x1 in lines:
        name, label = HEADER_NAMES[(0 if x0 < 160 else 1, ys.index(y))]
        out.append({"name": name, "label": label, "line": [x0, y, x1]})
    return sorted(out, key=lambda h: (h["line"][0], h["line"][1]))


def triples(boxes: list[tuple[float, float, float, float]]) -> list[list[list[float]]]:
    """The 3-box numbers, top to bottom, each left to right."""
    rows: dict[float, list[list[float]]] = {}
    for b in boxes:
        if b[2] > 11:  # digit boxes are ~12 mm; the date's are ~10 mm
            rows.setdefault(round(b[1]), []).append(list(b))
    return [sorted(r) for _, r in sorted(rows.items()) if len(r) == 3]


def _page(no: int) -> np.ndarray:
    gray = cv2.imread(str(measure.reference_path(no)), cv2.IMREAD_GRAYSCALE)
    return measure.to_page(np.asarray(gray, dtype=np.uint8))


def _after(rules: list[float], y: float) -> float:
    return min(r for r in rules if r > y)


def _before(rules: list[float], y: float) -> float:
    return max(r for r in rules if r < y)


def ppwp_page2() -> dict[str, Any]:
    page = _page(2)
    tag_id, corners = measure.tag(page)
    assert tag_id == 102, tag_id
    hrules = measure.thick_lines(page, 1, 147, 153)
    left, gx0, gx1, sx1, _ = measure.thick_lines(page, 0, 172, 178)
    bubbles = [b for b in measure.bubbles(page) if b[0] > gx1 + 5]  # not the legend's example
    numbers = []
    for i, boxes in enumerate(triples(measure.digit_boxes(page)), start=1):
        top = _before(hrules, boxes[0][1])
        grid_bottom = _after(hrules, top + 20)
        block_bottom = _after(hrules, grid_bottom)
        col = [b for b in bubbles if top < b[1] < block_bottom]
        numbers.append(
            {
                "field": f"suara_paslon_{i}",
                "boxes": boxes,
                "words": [left + 3, grid_bottom + 4, 150.0, block_bottom - grid_bottom - 9],
                "bubbles": {
                    "x": sorted({b[0] for b in col}),
                    "y": sorted({b[1] for b in col if b[0] == col[0][0]}),
                    "d": round(float(np.median([b[2] for b in col])), 2),
                },
                "tally": {
                    "rect": [gx0, top, gx1 - gx0, grid_bottom - top],
                    "cols": 12,
                    "rows": 5,
                    "subtotal_x": [gx1, sx1],
                },
            }
        )
    return {
        "form": "C.Hasil-PPWP",
        "contest": "ppwp-2024",
        "page": 2,
        "pages": 3,
        "title": "IV. DATA RINCIAN PEROLEHAN SUARA PASANGAN CALON PRESIDEN DAN WAKIL PRESIDEN",
        "reference": "c-hasil-ppwp-2024-hal2.png",
        "paslon": len(numbers),
        **frame("ppwp-2024", 2, corners),
        "qr": {"rect": [27.0, 342.0, 34.0, 34.0]},
        "header": header(measure.dotted_lines(page)),
        "number": numbers,
    }


def ppwp_page3() -> dict[str, Any]:
    page = _page(3)
    tag_id, corners = measure.tag(page)
    assert tag_id == 103, tag_id
    hrules = measure.thick_lines(page, 1, 147, 153)
    _, _, gx0, gx1, sx1, _ = measure.thick_lines(page, 0, 127, 133)
    all_boxes = measure.digit_boxes(page)
    a, b, c = triples(all_boxes)
    numbers: list[dict[str, Any]] = []
    for name, boxes in (("suara_sah", a), ("suara_tidak_sah", b), ("suara_total", c)):
        top, bottom = _before(hrules, boxes[0][1]), _after(hrules, boxes[0][1] + boxes[0][3])
        item: dict[str, Any] = {"field": name, "boxes": boxes}
        if name == "suara_tidak_sah":
            item["tally"] = {  # the grid's top rule is the last one above the boxes
                "rect": [gx0, top, gx1 - gx0, bottom - top],
                "cols": 12,
                "rows": 5,
                "subtotal_x": [gx1, sx1],
            }
        else:
            item["words"] = [gx0 + 2, top + 2, sx1 - gx0 - 4, bottom - top - 4]
        numbers.append(item)
    small = [list(bx) for bx in all_boxes if bx[2] < 11]
    groups: list[list[list[float]]] = []
    for bx in sorted(small):
        if groups and bx[0] - (groups[-1][-1][0] + groups[-1][-1][2]) < 1:
            groups[-1].append(bx)
        else:
            groups.append([bx])
    place = max(measure.dotted_lines(page, 170, 195), key=lambda ln: ln[2] - ln[0])
    return {
        "form": "C.Hasil-PPWP",
        "contest": "ppwp-2024",
        "page": 3,
        "pages": 3,
        "title": "V. DATA SUARA SAH DAN SUARA TIDAK SAH",
        "reference": "c-hasil-ppwp-2024-hal3.png",
        **frame("ppwp-2024", 3, corners),
        "qr": {"rect": [27.0, 300.0, 34.0, 34.0]},
        "header": [
            *header(measure.dotted_lines(page)),
            {"name": "ditetapkan_di", "label": "Ditetapkan di", "line": [87.8, place[1], place[2]]},
        ],
        "number": numbers,
        "date": [{"name": n, "boxes": g} for n, g in zip(("tanggal", "bulan", "tahun"), groups, strict=True)],
    }


def write(doc: dict[str, Any], note: str) -> Path:
    name = spec_name(doc["contest"], doc["page"], doc.get("slate"))
    path = SPEC_DIR / f"{name}.toml"
    path.write_text(dumps(doc, comment=f"{doc['form']} halaman {doc['page']}: {note}\n" + _REGEN), "utf-8")
    return path


_REGEN = "Generated by `python -m ocr.forms.specgen`; format: ocr/forms/spec.py. Units: page mm."


def main() -> None:
    SPEC_DIR.mkdir(exist_ok=True)
    write(ppwp_page2(), "measured on KPU's scan (kawalc1, MIT)")
    page3 = write(ppwp_page3(), "measured on KPU's scan (kawalc1, MIT)")
    for doc in layout.all_pages(page3.read_text("utf-8")):
        write(doc, "laid out in KPU's style (no reference scan)")


if __name__ == "__main__":
    main()
