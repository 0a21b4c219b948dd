"""Fill a blank C.Hasil page like a KPPS officer: digits, X's, bubbles, turus, header, in ballpoint.

Handwriting comes from a `Hand` (the corpus's `Handwriting(Split.TEST)` for evaluation photos): every digit,
cross and header text is a real glyph of a held-out writer or font. What the page shows, box by box, is
returned as `Filled.boxes` (digit / x / empty, and the glyph's writer and sample) with the officer's slips.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from ocr.corpus import ink as inkmod
from ocr.corpus.words import terbilang
from ocr.forms.spec import NumberField, PageSpec, Rect

SLIPS = ("corrected_digit", "bubble_disagrees", "digit_outside_box", "stray_mark")


class Glyph(Protocol):
    mask: NDArray[np.float32]


class Hand(Protocol):
    def digit(self, rng: np.random.Generator, d: int) -> Any: ...
    def cross(self, rng: np.random.Generator) -> Any: ...
    def dash(self, rng: np.random.Generator) -> Any: ...
    def text(self, rng: np.random.Generator, s: str) -> Any: ...


@dataclass
class Filled:
    page_bgr: NDArray[np.uint8]
    boxes: dict[str, dict[str, Any]] = field(default_factory=dict)  # key → content, digit, writer, sample
    bubbles: dict[str, list[int | None]] = field(default_factory=dict)  # field → filled digit per column
    tally: dict[str, list[int]] = field(default_factory=dict)  # field → marks per row
    header: dict[str, str] = field(default_factory=dict)
    slips: list[dict[str, Any]] = field(default_factory=list)
    pen: str = "blue"


@dataclass(frozen=True)
class Style:
    """One officer's habits for the whole sheet."""

    pen: str
    cross_unused: float  # P(an unused leading box gets an X rather than staying empty)
    leading_zero: float  # P(writes 0 instead of X in a leading box)
    size: tuple[float, float]
    slip_rate: float

    @staticmethod
    def sample(rng: np.random.Generator, slip_rate: float = 0.0) -> Style:
        lo = float(rng.uniform(0.5, 0.7))
        return Style(
            pen=str(rng.choice(["blue", "black"], p=[0.6, 0.4])),
            cross_unused=float(rng.choice([0.95, 0.8, 0.3])),
            leading_zero=float(rng.choice([0.0, 0.0, 0.0, 0.5])),
            size=(lo, lo + float(rng.uniform(0.1, 0.25))),
            slip_rate=slip_rate,
        )


DASHERS = 0.15  # officers who write "–" rather than X in unused leading boxes (legislative-form habit)
DASH_RATE = 0.9  # a dasher's share of crossed leading boxes that get a dash


def side_rng(rng: np.random.Generator) -> np.random.Generator:
    """A generator seeded from `rng`'s state without advancing it: what it decides (dashes) leaves every
    other random draw of the page, hence every corpus made before, exactly as it was."""
    state = json.dumps(rng.bit_generator.state, sort_keys=True, default=str).encode()
    return np.random.default_rng(int.from_bytes(hashlib.sha256(state).digest()[:8], "little"))


def layout_digits(value: int, style: Style, rng: np.random.Generator) -> list[str]:
    """What goes in the three boxes: digits as "0"–"9", "x" for a crossed box, "" for an empty one."""
    text = f"{value:03d}"
    lead = len(text) - len(str(value)) if value else 2
    out = []
    for i, ch in enumerate(text):
        if i >= lead:
            out.append(ch)
        elif rng.random() < style.leading_zero:
            out.append("0")
        else:
            out.append("x" if rng.random() < style.cross_unused else "")
    return out


class Filler:
    def __init__(self, spec: PageSpec, hand: Hand, px_per_mm: float, rng: np.random.Generator, style: Style):
        self.spec, self.hand, self.ppm, self.rng, self.style = spec, hand, px_per_mm, rng, style
        w, h = spec.size_mm
        self.ink = np.zeros((round(h * px_per_mm), round(w * px_per_mm)), np.float32)
        self.side = side_rng(rng)  # this officer's dashes, drawn apart from the page's random stream
        self.dashes = DASH_RATE if self.side.random() < DASHERS else 0.0

    def px(self, r: Rect) -> tuple[float, float, float, float]:
        p = self.ppm
        return r.x * p, r.y * p, r.w * p, r.h * p

    def glyph(
        self, g: Any, r: Rect, stroke: inkmod.Stroke, width_frac: float = 0.85
    ) -> tuple[int, int, int, int]:
        x, y, w, h = self.px(r)
        m = inkmod.shape(np.asarray(g.mask, np.float32), h * stroke.height, w * width_frac, stroke, self.ppm)
        return inkmod.paste(self.ink, m, x + w * (0.5 + stroke.dx), y + h * (0.5 + stroke.dy))

    def box(self, key: str, r: Rect, content: str, out: Filled, stroke: inkmod.Stroke | None = None) -> None:
        rng = self.rng
        crossed = content in ("x", "-")
        rec: dict[str, Any] = {"content": "empty" if not content else ("x" if crossed else "digit")}
        if crossed:
            g = self.hand.cross(rng)  # drawn for a dash too: the page's random stream stays the same
            if content == "-":  # a dash is an X to the reader: "no digit here"
                g = self.hand.dash(self.side)
                rec["mark"] = "dash"
            self.glyph(
                g,
                r,
                inkmod.Stroke(
                    height=float(rng.uniform(0.7, 1.0)),
                    dx=float(rng.normal(0, 0.04)),
                    dy=float(rng.normal(0, 0.04)),
                ),
                width_frac=float(rng.uniform(0.7, 1.0)),
            )
            rec.update(writer=_id(g, "writer"), sample=_id(g, "sample"))
        elif content:
            g = self.hand.digit(rng, int(content))
            self.glyph(g, r, stroke or inkmod.Stroke.sample(rng, self.style.size))
            rec.update(digit=int(content), writer=_id(g, "writer"), sample=_id(g, "sample"))
        out.boxes[key] = rec

    def number(self, n: NumberField, value: int, out: Filled) -> None:
        rng = self.rng
        cells = layout_digits(value, self.style, rng)
        if self.dashes:
            cells = ["-" if c == "x" and self.side.random() < self.dashes else c for c in cells]
        for i, (r, c) in enumerate(zip(n.boxes, cells, strict=True)):
            self.box(f"{n.field}/{i}", r, c, out)
        if n.bubbles:
            filled: list[int | None] = []
            for col, c in enumerate(cells):
                d = int(c) if c.isdigit() else (0 if rng.random() < 0.7 else None)
                filled.append(d)
                if d is not None:
                    self.bubble(n, col, d, float(rng.uniform(0.5, 1.0)))
            out.bubbles[n.field] = filled
        if n.tally:
            out.tally[n.field] = self.tally(n, value)
        if n.words and rng.random() < 0.85:
            self.words(n.words, terbilang(value))

    def bubble(self, n: NumberField, col: int, digit: int, coverage: float) -> None:
        assert n.bubbles is not None
        cx, cy = n.bubbles.centre(col, digit)
        inkmod.fill_disc(
            self.ink, cx * self.ppm, cy * self.ppm, n.bubbles.d / 2 * self.ppm * 0.95, coverage, self.rng
        )

    def tally(self, n: NumberField, value: int) -> list[int]:
        """Turus: groups of five (four strokes and a slash), one group per cell; row subtotals written."""
        assert n.tally is not None
        t = n.tally
        per_cell = 5 if value <= t.rows * t.cols * 5 else 10
        rows = []
        left = value
        for row in range(t.rows):
            marks = min(left, t.cols * per_cell)
            left -= marks
            rows.append(marks)
            for col in range((marks + per_cell - 1) // per_cell):
                self.turus(t.cell(row, col), min(per_cell, marks - col * per_cell))
            if marks:
                self.small_number(t.subtotal(row), marks)
        return rows

    def turus(self, cell: Rect, k: int) -> None:
        x, y, w, h = self.px(cell)
        rng, width = self.rng, max(1.0, 0.35 * self.ppm)
        groups = [min(5, k - i) for i in range(0, k, 5)]
        gw = w / len(groups)
        for gi, g in enumerate(groups):
            gx = x + gi * gw
            for i in range(min(g, 4)):
                sx = gx + gw * (0.2 + 0.18 * i) + rng.normal(0, gw * 0.02)
                inkmod.line(
                    self.ink, (sx, y + h * 0.18), (sx + rng.normal(0, gw * 0.03), y + h * 0.82), width, rng
                )
            if g == 5:
                inkmod.line(self.ink, (gx + gw * 0.1, y + h * 0.75), (gx + gw * 0.9, y + h * 0.3), width, rng)

    def small_number(self, r: Rect, value: int) -> None:
        digits = str(value)
        w = r.w / max(2, len(digits))
        for i, ch in enumerate(digits):
            cell = Rect(r.x + r.w * 0.1 + i * w * 0.9, r.y, w, r.h)
            self.glyph(self.hand.digit(self.rng, int(ch)), cell, inkmod.Stroke.sample(self.rng, (0.6, 0.8)))

    def words(self, r: Rect, text: str) -> None:
        g = self.hand.text(self.rng, text)
        line_h = min(r.h * 0.5, 7.0)  # mm: one line of capitals
        box = Rect(r.x, r.y + r.h * 0.2, r.w, line_h)
        self.glyph(
            g, box, inkmod.Stroke(1.0, 0.0, float(self.rng.uniform(-0.1, 0.0)), 0, 0, 0), width_frac=0.95
        )

    def header(self, values: dict[str, str], out: Filled) -> None:
        for line in self.spec.header:
            text = values.get(line.name)
            if not text:
                continue
            r = Rect(line.x0 + 1, line.y - 5.0, line.x1 - line.x0 - 2, 5.5)
            self.glyph(
                self.hand.text(self.rng, text),
                r,
                inkmod.Stroke(height=0.9, dx=-0.05),
                width_frac=float(self.rng.uniform(0.5, 0.95)),
            )
            out.header[line.name] = text


def _id(g: Any, attr: str) -> Any:
    v = getattr(g, attr, None)
    return v if isinstance(v, (int, str)) or v is None else str(v)
