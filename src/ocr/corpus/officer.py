"""One page as a KPPS officer leaves it: the blank with its QR, every number of the sheet, the header, the
date, the officer's slips and the 2024 error kinds (named layouts that made Sirekap misread).
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from ocr.corpus import ink as inkmod
from ocr.corpus.fill import SLIPS, Filled, Filler, Hand, Style
from ocr.forms.render import render_blank
from ocr.forms.spec import PageSpec, Rect

# Named 2024 failure kinds: how the numbers are written, not what they are (the truth keeps the real count).
KINDS = {
    "x_trailing": "a two-digit count written left-aligned, the unused units box crossed: 74 → [7][4][X]",
    "left_aligned": "a two-digit count written left-aligned, units box left empty: 16 → [1][6][ ]",
    "stray_leading": "a stray stroke in the empty hundreds box of a two-digit count",
    "confusable": "counts made of 1/7, 2/7 and 3/8 digits",
    "arithmetic": "the officer's own sum is wrong: Σ paslon ≠ suara sah on the sheet",
    "blank": "nothing written on the page",
}
DATES = {"ppwp-2024": ("14", "02", "2024"), "pilkada-kwk-2024": ("27", "11", "2024")}


def fill_page(
    spec: PageSpec,
    sheet: dict[str, int],
    hand: Hand,
    rng: np.random.Generator,
    *,
    px_per_mm: float,
    tps: str,
    header: dict[str, str],
    slip_rate: float = 0.0,
    kind: str | None = None,
) -> Filled:
    style = Style.sample(rng, slip_rate)
    blank = render_blank(spec, px_per_mm, tps=tps)
    out = Filled(page_bgr=np.asarray(cv2.cvtColor(blank, cv2.COLOR_GRAY2BGR), np.uint8), pen=style.pen)
    f = Filler(spec, hand, px_per_mm, rng, style)
    if kind == "blank":
        for key in spec.boxes():
            out.boxes[key] = {"content": "empty"}
        return out
    odd = _odd_field(spec, sheet, kind, rng)
    slips = [s for s in SLIPS if rng.random() < slip_rate]
    outside = _pick_box(spec, rng) if "digit_outside_box" in slips else None
    for n in spec.numbers:
        value = sheet[n.field]
        if n.field == odd:
            _write_kind(f, n, value, kind or "", out)
            continue
        f.number(n, value, out)
        if outside and outside.startswith(n.field + "/"):
            _outside(f, spec, outside, value, out)
    for d, text in zip(spec.dates, DATES[spec.contest], strict=False):
        for i, (r, ch) in enumerate(zip(d.boxes, text, strict=True)):
            f.box(f"{d.name}/{i}", r, ch, out)
    f.header(header, out)
    if "corrected_digit" in slips:
        _corrected(f, spec, out)
    if "bubble_disagrees" in slips:
        _bubble_disagrees(f, spec, out)
    if "stray_mark" in slips:
        _stray(f, spec, out)
    out.page_bgr = inkmod.lay(out.page_bgr, f.ink, style.pen, rng)
    return out


def _odd_field(
    spec: PageSpec, sheet: dict[str, int], kind: str | None, rng: np.random.Generator
) -> str | None:
    if kind not in ("x_trailing", "left_aligned", "stray_leading"):
        return None
    two = [n.field for n in spec.numbers if 10 <= sheet[n.field] <= 99]
    return str(rng.choice(two)) if two else None


def _write_kind(f: Filler, n: Any, value: int, kind: str, out: Filled) -> None:
    d = f"{value:02d}"
    cells = {"x_trailing": [d[0], d[1], "x"], "left_aligned": [d[0], d[1], ""]}.get(kind, ["", d[0], d[1]])
    for i, (r, c) in enumerate(zip(n.boxes, cells, strict=True)):
        f.box(f"{n.field}/{i}", r, c, out)
    if kind == "stray_leading":
        x, y, w, h = f.px(n.boxes[0])
        inkmod.line(f.ink, (x + w * 0.45, y + h * 0.25), (x + w * 0.55, y + h * 0.7), 0.35 * f.ppm, f.rng)
        out.boxes[f"{n.field}/0"]["stray"] = True
    out.slips.append({"kind": kind, "field": n.field, "value": value, "boxes": cells})
    if n.bubbles:  # the bubbles follow the boxes as written, which is what made the reading plausible
        out.bubbles[n.field] = [int(c) if c.isdigit() else None for c in cells]
        for col, c in enumerate(cells):
            if c.isdigit():
                f.bubble(n, col, int(c), float(f.rng.uniform(0.6, 1.0)))
    if n.tally:
        out.tally[n.field] = f.tally(n, value)


def _pick_box(spec: PageSpec, rng: np.random.Generator) -> str | None:
    keys = [f"{n.field}/2" for n in spec.numbers]
    return str(rng.choice(keys)) if keys else None


def _outside(f: Filler, spec: PageSpec, key: str, value: int, out: Filled) -> None:
    """Rewrites the units digit so that half of it lies beyond the box's right or bottom edge."""
    name, _, idx = key.rpartition("/")
    r = spec.number(name).boxes[int(idx)]
    g = f.hand.digit(f.rng, value % 10)
    shift = (0.55, 0.0) if f.rng.random() < 0.5 else (0.0, 0.5)
    f.glyph(g, r, inkmod.Stroke(0.75, 0.1, shift[0], shift[1], 0, 0))
    out.slips.append({"kind": "digit_outside_box", "box": key, "digit": value % 10})


def _corrected(f: Filler, spec: PageSpec, out: Filled) -> None:
    """A wrong digit struck through, the right one written again over it, bolder (what officers do)."""
    fields = set(spec.fields)  # number boxes only, not the date's
    keys = [k for k, v in out.boxes.items() if v.get("content") == "digit" and k.rpartition("/")[0] in fields]
    if not keys:
        return
    key = str(f.rng.choice(keys))
    name, _, idx = key.rpartition("/")
    box = spec.number(name).boxes[int(idx)]
    digit = int(out.boxes[key]["digit"])
    wrong = (digit + int(f.rng.integers(1, 10))) % 10
    f.glyph(f.hand.digit(f.rng, wrong), box, inkmod.Stroke(height=0.6, dx=-0.12, weight=0))
    x, y, w, h = f.px(box)
    for _ in range(2):
        y0, y1 = y + h * f.rng.uniform(0.3, 0.7), y + h * f.rng.uniform(0.3, 0.7)
        inkmod.line(f.ink, (x + w * 0.1, y0), (x + w * 0.7, y1), 0.4 * f.ppm, f.rng)
    f.glyph(f.hand.digit(f.rng, digit), box, inkmod.Stroke(height=0.8, dx=0.1, weight=2))
    out.slips.append({"kind": "corrected_digit", "box": key, "digit": digit, "wrong": wrong})


def _bubble_disagrees(f: Filler, spec: PageSpec, out: Filled) -> None:
    cands = [n for n in spec.numbers if n.bubbles and n.field in out.bubbles]
    if not cands:
        return
    n = cands[int(f.rng.integers(len(cands)))]
    col = int(f.rng.integers(3))
    shown = out.bubbles[n.field][col]
    other = int((shown if shown is not None else 0) + f.rng.integers(1, 10)) % 10
    f.bubble(n, col, other, float(f.rng.uniform(0.6, 1.0)))
    out.slips.append({"kind": "bubble_disagrees", "field": n.field, "column": col, "extra": other})


def _stray(f: Filler, spec: PageSpec, out: Filled) -> None:
    empty = [k for k, v in out.boxes.items() if v["content"] == "empty"]
    boxes = spec.boxes()
    r: Rect = boxes[str(f.rng.choice(empty))] if empty else next(iter(boxes.values()))
    x, y, w, h = f.px(r)
    cx, cy = x + w * f.rng.uniform(0.2, 0.8), y + h * f.rng.uniform(0.2, 0.8)
    inkmod.line(
        f.ink, (cx, cy), (cx + w * f.rng.normal(0, 0.15), cy + h * f.rng.normal(0, 0.15)), 0.3 * f.ppm, f.rng
    )
    out.slips.append({"kind": "stray_mark", "near": [round(cx / f.ppm, 1), round(cy / f.ppm, 1)]})
