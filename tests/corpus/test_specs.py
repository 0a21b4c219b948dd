"""Each spec matches the print: boxes on KPU's printed boxes (measured on the scan), tags that decode."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from ocr.forms import measure
from ocr.forms.render import render_blank
from ocr.forms.spec import PageSpec, Rect, all_specs, load_spec, parse_qr_payload, qr_payload
from reconcile.contest import builtin_contest

PPM = 8.0


def _reference_page(page: int) -> np.ndarray:
    gray = cv2.imread(str(measure.reference_path(page)), cv2.IMREAD_GRAYSCALE)
    return measure.to_page(gray, PPM)


def _edge_ink(page: np.ndarray, r: Rect) -> float:
    """Share of points along the four edges of `r` with a dark pixel within ±0.6 mm across the edge."""
    dark = page < 110
    hits = total = 0
    tol = round(0.6 * PPM)
    for t in np.linspace(0.1, 0.9, 25):
        for x, y, vertical in (
            (r.x + t * r.w, r.y, False),
            (r.x + t * r.w, r.y + r.h, False),
            (r.x, r.y + t * r.h, True),
            (r.x + r.w, r.y + t * r.h, True),
        ):
            px, py = round(x * PPM), round(y * PPM)
            win = dark[py, px - tol : px + tol + 1] if vertical else dark[py - tol : py + tol + 1, px]
            hits += bool(win.any())
            total += 1
    return hits / total


@pytest.mark.parametrize("page", [2, 3])
def test_every_digit_box_of_the_spec_lies_on_a_printed_box_of_the_reference(page: int) -> None:
    ref = _reference_page(page)
    spec = load_spec("ppwp-2024", page)
    for key, box in spec.boxes().items():
        assert _edge_ink(ref, box) > 0.95, key
        inner = Rect(box.x + 1.5, box.y + 1.5, box.w - 3, box.h - 3)
        assert _edge_ink(ref, inner) < 0.5, f"{key}: a printed line runs inside the box"


def test_a_box_shifted_by_two_millimetres_is_off_the_print() -> None:
    ref = _reference_page(2)
    box = load_spec("ppwp-2024", 2).number("suara_paslon_1").boxes[1]
    assert _edge_ink(ref, dataclasses.replace(box, x=box.x + 2.0, y=box.y + 2.0)) < 0.7


def test_page_two_bubbles_are_printed_rings_in_order() -> None:
    ref = _reference_page(2)
    for n in load_spec("ppwp-2024", 2).numbers:
        assert n.bubbles is not None
        for x in n.bubbles.x:
            for y in n.bubbles.y:
                ring = [
                    _radial_min(ref, x, y, n.bubbles.d / 2, a)
                    for a in np.linspace(0, 2 * np.pi, 16, endpoint=False)
                ]
                assert np.mean(np.array(ring) < 190) > 0.8, (n.field, x, y)


def _radial_min(page: np.ndarray, x: float, y: float, r: float, a: float) -> int:
    """Darkest pixel on a short ray across the circle of radius `r` (mm) at angle `a`."""
    ts = np.linspace(r - 0.8, r + 0.2, 9)
    return int(min(page[round((y + t * np.sin(a)) * PPM), round((x + t * np.cos(a)) * PPM)] for t in ts))


@pytest.mark.parametrize("spec", all_specs(), ids=lambda s: f"{s.contest}-{s.page}-{s.paslon}")
def test_rendered_page_carries_its_tag_where_the_spec_says(spec: PageSpec) -> None:
    page = render_blank(spec, 4.0, tps="3173041007005")
    det = cv2.aruco.ArucoDetector(
        cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_APRILTAG_36h10), cv2.aruco.DetectorParameters()
    )
    corners, ids, _ = det.detectMarkers(page)
    assert ids is not None and ids.ravel().tolist() == [spec.tag.id]
    assert np.abs(corners[0].reshape(4, 2) / 4.0 - np.array(spec.tag.corners)).max() < 0.8


@pytest.mark.parametrize("spec", all_specs(), ids=lambda s: f"{s.contest}-{s.page}-{s.paslon}")
def test_spec_numbers_are_the_contest_fields_of_its_page(spec: PageSpec) -> None:
    contest = builtin_contest(spec.contest)
    if spec.page == 2:
        assert spec.fields == tuple(f"suara_paslon_{i}" for i in range(1, spec.paslon + 1))
    else:
        assert set(spec.fields) == {f.name for f in contest.fields_on_page(spec.page)}


def test_qr_payload_round_trips() -> None:
    assert parse_qr_payload(qr_payload("ppwp-2024", 2, "3173041007005")) == ("ppwp-2024", 2, "3173041007005")
    assert parse_qr_payload("https://example.org") is None
