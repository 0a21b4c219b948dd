"""What the reader needs of a form page spec, in page millimetres: the frame (markers, tag) and the boxes.

The specs themselves are data in `ocr/forms/` (one TOML per page); this module adapts them into small frozen
values so the stages below never parse files. Until a page's spec exists, its frame is taken from the
markers measured on KPU's reference scan (enough to locate and straighten, not to read).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ocr.locate import PageFrame

Rect = tuple[float, float, float, float]  # x, y, w, h in mm


@dataclass(frozen=True, slots=True)
class BubbleColumn:
    centres: tuple[tuple[float, float], ...]  # the bubbles for 0..9, top to bottom
    radius: float


@dataclass(frozen=True, slots=True)
class TallyRow:
    marks: Rect  # the row of the tally grid
    subtotal: tuple[Rect, ...]  # "jumlah tiap baris" digit cells


@dataclass(frozen=True, slots=True)
class PageLayout:
    frame: PageFrame
    fields: dict[str, tuple[Rect, ...]]  # field name → its digit boxes, hundreds first
    bubbles: dict[str, tuple[BubbleColumn, ...]] = field(default_factory=dict)  # field → one column per box
    tally: dict[str, tuple[TallyRow, ...]] = field(default_factory=dict)  # field → its tally rows
    label: Rect | None = None  # where "Halaman N dari M" is printed

    @property
    def page(self) -> int:
        return self.frame.page

    @property
    def box_height_mm(self) -> float:
        heights = [b[3] for boxes in self.fields.values() for b in boxes]
        return min(heights) if heights else 10.0


# KPU's reference scans at 0.25 mm per pixel (markers and tag measured in tests/ocr/test_locate.py).
_MM = 0.25


def _ref(points: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    return tuple((x * _MM, y * _MM) for x, y in points)


REFERENCE_FRAMES = {
    102: PageFrame(
        page=2,
        tag_id=102,
        size_mm=(1192 * _MM, 1760 * _MM),
        markers_mm=_ref([(62, 51.5), (1149, 51.5), (1148.7, 1717.5), (61.7, 1717.5)]),
        marker_size_mm=31 * _MM,
        tag_mm=_ref([(1023, 139), (1091, 139), (1091, 204), (1023, 204)]),
    ),
    103: PageFrame(
        page=3,
        tag_id=103,
        size_mm=(1292 * _MM, 1938 * _MM),
        markers_mm=_ref([(28, 26), (1254, 25.8), (1253.7, 1905.8), (27.7, 1906)]),
        marker_size_mm=35 * _MM,
        tag_mm=_ref([(1112, 125), (1189, 125), (1189, 198), (1112, 198)]),
    ),
}


def load_layouts() -> dict[int, PageLayout]:
    """Layouts keyed by tag id: the reference frames, until the specs in `ocr/forms/` are adapted."""
    return {tag: PageLayout(frame, {}) for tag, frame in REFERENCE_FRAMES.items()}
