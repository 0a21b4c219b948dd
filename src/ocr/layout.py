"""The page specs (`ocr/forms/specs/*.toml`, one per page) as the reader uses them, keyed by AprilTag id."""

from __future__ import annotations

from ocr.forms.spec import PageSpec, all_specs
from ocr.locate import PageFrame


def frame_of(spec: PageSpec) -> PageFrame:
    """What locating needs of a spec: the page size, the four markers and the tag's corners."""
    return PageFrame(
        page=spec.page,
        tag_id=spec.tag.id,
        size_mm=spec.size_mm,
        markers_mm=spec.markers.centres,
        marker_size_mm=spec.markers.size_mm,
        tag_mm=spec.tag.corners,
    )


def load_layouts() -> dict[int, PageSpec]:
    """Every page spec shipped, by tag id (KWK page 2 has one layout per slate size: the first wins)."""
    out: dict[int, PageSpec] = {}
    for spec in all_specs():
        out.setdefault(spec.tag.id, spec)
    return out


def box_height_mm(spec: PageSpec) -> float:
    heights = [b.h for n in spec.numbers for b in n.boxes]
    return min(heights) if heights else 10.0
