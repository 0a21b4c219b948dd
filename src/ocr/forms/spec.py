"""Form page specs: the geometry of one C.Hasil page as data, in page millimetres.

One TOML file per page in `ocr/forms/specs/` (``<form-slug>-hal<page>.toml``), read by the renderer, the
filler, the OCR and the tests alike. Origin is the page's top-left corner, x right, y down, all in mm.
A rectangle is ``[x, y, w, h]``; a point ``[x, y]``.

Keys of a spec file::

    form = "C.Hasil-PPWP"          # printed model name
    contest = "ppwp-2024"          # reconcile.contest id; number fields use its field names
    page = 2                       # 1-based page of `pages`
    pages = 3
    title = "IV. DATA RINCIAN …"   # section title printed under the header
    size_mm = [320.0, 480.0]
    reference = "c-hasil-ppwp-2024-hal2.png"   # optional: KPU's scan this spec was measured on
    paslon = 3                     # optional: paslon blocks on this page (page 2 specs)
    slate = 1                      # optional (KWK page 2): paslon on the ballot; 1 → + kotak kosong

    [markers]                      # four corner markers: two black squares touching at `centres`
    size_mm = 8.5                  # side of the whole marker (each square is half of it)
    centres = [[10, 10], [310, 10], [310, 470], [10, 470]]   # tl, tr, br, bl touching points

    [tag]                          # the page code: an AprilTag
    family = "36h10"
    id = 102                       # 101/102/103 = page 1/2/3 (KWK: 111/112/113)
    corners = [[294, 52], [275, 52], [275, 34], [294, 34]]  # outer black border, in the tag's own
                                   # corner order as cv2.aruco reports it (here it is printed upside down)

    [qr]                           # optional: on our own renders, "tally:<contest>:<page>:<tps>"
    rect = [27, 340, 36, 36]

    [[header]]                     # handwritten header lines (a baseline: x0, y, x1)
    name = "provinsi"
    label = "Provinsi"
    line = [78.1, 24.0, 139.6]

    [[number]]                     # one number: three digit boxes (hundreds, tens, units)
    field = "suara_paslon_1"
    boxes = [[251.75, 77.88, 12.12, 11.5], …]   # through the middle of each printed frame
    words = [28, 123, 160, 24]     # optional: where the number is written out in words
    [number.bubbles]               # optional (page 2): OMR circles 0–9 under each box
    x = [258.0, 271.75, 285.75]    # one column per box
    y = [94.75, …]                 # ten rows, digit 0 first
    d = 5.0                        # diameter
    [number.tally]                 # optional: the turus grid and its "jumlah tiap baris" column
    rect = [89.5, 74.12, 139.25, 45.5]
    cols = 12
    rows = 5
    subtotal_x = [228.75, 249.0]   # the subtotal column spans these x; rows as the grid's

    [[date]]                       # boxes written one digit each (page 3: tanggal, bulan, tahun)
    name = "tanggal"
    boxes = [[172.7, 176.2, 10.1, 9.85], …]

    [[text]] / [[rule]]            # printed text and lines, drawn only when a page is rendered from the spec
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

Point = tuple[float, float]
PAGE_TAGS = {"ppwp-2024": 100, "pilkada-kwk-2024": 110}  # tag id = base + page
QR_PREFIX = "tally"


@dataclass(frozen=True, slots=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    @property
    def centre(self) -> Point:
        return (self.x + self.w / 2, self.y + self.h / 2)

    def corners(self) -> tuple[Point, Point, Point, Point]:
        """tl, tr, br, bl."""
        x1, y1 = self.x + self.w, self.y + self.h
        return ((self.x, self.y), (x1, self.y), (x1, y1), (self.x, y1))


@dataclass(frozen=True, slots=True)
class Markers:
    size_mm: float
    centres: tuple[Point, Point, Point, Point]


@dataclass(frozen=True, slots=True)
class Tag:
    family: str
    id: int
    corners: tuple[Point, Point, Point, Point]  # tag order (cv2.aruco)

    @property
    def rect(self) -> Rect:
        xs, ys = [c[0] for c in self.corners], [c[1] for c in self.corners]
        return Rect(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


@dataclass(frozen=True, slots=True)
class Bubbles:
    x: tuple[float, ...]  # a column per digit box
    y: tuple[float, ...]  # ten rows: digit 0..9
    d: float

    def centre(self, column: int, digit: int) -> Point:
        return (self.x[column], self.y[digit])


@dataclass(frozen=True, slots=True)
class Tally:
    rect: Rect
    cols: int
    rows: int
    subtotal_x: tuple[float, float]

    def cell(self, row: int, col: int) -> Rect:
        w, h = self.rect.w / self.cols, self.rect.h / self.rows
        return Rect(self.rect.x + col * w, self.rect.y + row * h, w, h)

    def subtotal(self, row: int) -> Rect:
        h = self.rect.h / self.rows
        x0, x1 = self.subtotal_x
        return Rect(x0, self.rect.y + row * h, x1 - x0, h)


@dataclass(frozen=True, slots=True)
class NumberField:
    field: str  # a reconcile contest field name
    boxes: tuple[Rect, Rect, Rect]  # hundreds, tens, units
    words: Rect | None = None
    bubbles: Bubbles | None = None
    tally: Tally | None = None


@dataclass(frozen=True, slots=True)
class HeaderLine:
    name: str
    label: str
    x0: float
    y: float
    x1: float


@dataclass(frozen=True, slots=True)
class DateField:
    name: str
    boxes: tuple[Rect, ...]


@dataclass(frozen=True, slots=True)
class Text:
    at: Point
    s: str
    size: float = 3.0  # cap height in mm
    bold: bool = False
    anchor: str = "ls"  # PIL anchor: left, baseline


@dataclass(frozen=True, slots=True)
class Rule:
    rect: Rect
    width: float = 0.4  # stroke in mm; 0 = filled
    gray: int = 0


@dataclass(frozen=True, slots=True)
class PageSpec:
    form: str
    contest: str
    page: int
    pages: int
    title: str
    size_mm: tuple[float, float]
    markers: Markers
    tag: Tag
    numbers: tuple[NumberField, ...]
    header: tuple[HeaderLine, ...] = ()
    dates: tuple[DateField, ...] = ()
    qr: Rect | None = None
    reference: str | None = None
    paslon: int = 0
    texts: tuple[Text, ...] = ()
    rules: tuple[Rule, ...] = ()

    def number(self, field: str) -> NumberField:
        for n in self.numbers:
            if n.field == field:
                return n
        raise KeyError(field)

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(n.field for n in self.numbers)

    def boxes(self) -> dict[str, Rect]:
        """Every box by key: ``<field>/<0..2>`` (hundreds, tens, units) and ``<date>/<i>``."""
        out = {f"{n.field}/{i}": b for n in self.numbers for i, b in enumerate(n.boxes)}
        out.update({f"{d.name}/{i}": b for d in self.dates for i, b in enumerate(d.boxes)})
        return out


def qr_payload(contest: str, page: int, tps: str = "") -> str:
    """What our rendered pages print as a QR code: ``tally:<contest>:<page>:<tps>`` (tps may be empty)."""
    return f"{QR_PREFIX}:{contest}:{page}:{tps}"


def parse_qr_payload(text: str) -> tuple[str, int, str] | None:
    parts = text.split(":")
    if len(parts) != 4 or parts[0] != QR_PREFIX or not parts[2].isdigit():
        return None
    return parts[1], int(parts[2]), parts[3]


def _rect(v: list[float]) -> Rect:
    return Rect(*(float(a) for a in v))


def _pt(v: list[float]) -> Point:
    return (float(v[0]), float(v[1]))


def _number(raw: dict[str, Any]) -> NumberField:
    boxes = tuple(_rect(b) for b in raw["boxes"])
    if len(boxes) != 3:
        raise ValueError(f"{raw['field']}: a number has 3 digit boxes, not {len(boxes)}")
    bub = raw.get("bubbles")
    tal = raw.get("tally")
    return NumberField(
        field=raw["field"],
        boxes=(boxes[0], boxes[1], boxes[2]),
        words=_rect(raw["words"]) if "words" in raw else None,
        bubbles=Bubbles(tuple(bub["x"]), tuple(bub["y"]), float(bub["d"])) if bub else None,
        tally=Tally(_rect(tal["rect"]), int(tal["cols"]), int(tal["rows"]), _pt(tal["subtotal_x"]))
        if tal
        else None,
    )


def parse_spec(text: str) -> PageSpec:
    raw = tomllib.loads(text)
    m, t = raw["markers"], raw["tag"]
    c = [_pt(p) for p in m["centres"]]
    tc = [_pt(p) for p in t["corners"]]
    return PageSpec(
        form=raw["form"],
        contest=raw["contest"],
        page=int(raw["page"]),
        pages=int(raw["pages"]),
        title=raw.get("title", ""),
        size_mm=_pt(raw["size_mm"]),
        markers=Markers(float(m["size_mm"]), (c[0], c[1], c[2], c[3])),
        tag=Tag(t["family"], int(t["id"]), (tc[0], tc[1], tc[2], tc[3])),
        numbers=tuple(_number(n) for n in raw.get("number", [])),
        header=tuple(
            HeaderLine(h["name"], h["label"], *(float(v) for v in h["line"])) for h in raw.get("header", [])
        ),
        dates=tuple(DateField(d["name"], tuple(_rect(b) for b in d["boxes"])) for d in raw.get("date", [])),
        qr=_rect(raw["qr"]["rect"]) if "qr" in raw else None,
        reference=raw.get("reference"),
        paslon=int(raw.get("paslon", 0)),
        texts=tuple(
            Text(
                _pt(x["at"]),
                x["s"],
                float(x.get("size", 3.0)),
                bool(x.get("bold", False)),
                x.get("anchor", "ls"),
            )
            for x in raw.get("text", [])
        ),
        rules=tuple(
            Rule(_rect(r["rect"]), float(r.get("width", 0.4)), int(r.get("gray", 0)))
            for r in raw.get("rule", [])
        ),
    )


FORM_SLUGS = {"ppwp-2024": "c-hasil-ppwp-2024", "pilkada-kwk-2024": "c-hasil-kwk-2024"}


def spec_name(contest: str, page: int, paslon: int | None = None) -> str:
    """File stem of a spec: KWK page 2 has one file per slate size (``…-hal2-p4`` for 4 paslon)."""
    stem = f"{FORM_SLUGS[contest]}-hal{page}"
    if contest == "pilkada-kwk-2024" and page == 2:
        stem += f"-p{paslon or 2}"
    return stem


@lru_cache(maxsize=64)
def load_spec(contest: str, page: int, paslon: int | None = None) -> PageSpec:
    """The spec of one page; `paslon` picks the KWK page-2 layout for a slate of that size (1–6)."""
    name = spec_name(contest, page, paslon)
    try:
        text = resources.files("ocr.forms.specs").joinpath(f"{name}.toml").read_text("utf-8")
    except FileNotFoundError as exc:
        raise KeyError(f"spesifikasi formulir tidak dikenal: {name}") from exc
    return parse_spec(text)


def all_specs() -> list[PageSpec]:
    root = resources.files("ocr.forms.specs")
    names = sorted(p.name for p in root.iterdir() if p.name.endswith(".toml"))
    return [parse_spec(root.joinpath(n).read_text("utf-8")) for n in names]
