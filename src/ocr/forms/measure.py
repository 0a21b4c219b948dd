"""Measure KPU's reference scans of C.Hasil pages 2 and 3 in page millimetres (reproducible spec geometry).

Run ``python -m ocr.forms.measure [PAGE…]``: it prints, per page, the elements it found as TOML-ready values.
The committed specs (`specs/c-hasil-ppwp-2024-hal{2,3}.toml`) carry these numbers; the tests measure the
reference again and check that every box of the spec sits on a printed box.

The page frame is fixed by the four corner markers (two black squares touching at one corner): their
touching points are at (10, 10), (310, 10), (310, 470) and (10, 470) mm of a 320 × 480 mm page. Their
spacing on both scans has the same aspect (1.533), so one frame serves every page. Everything else is
measured on the scan warped onto that frame at `PX_PER_MM`.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from ocr.paths import REFERENCE_DIR

PAGE_MM = (320.0, 480.0)
MARKERS_MM = ((10.0, 10.0), (310.0, 10.0), (310.0, 470.0), (10.0, 470.0))
PX_PER_MM = 4.0

Gray = NDArray[np.uint8]
Rect = tuple[float, float, float, float]


def reference_path(page: int) -> Path:
    return (REFERENCE_DIR / f"c-hasil-ppwp-2024-hal{page}.png").resolve()


def find_markers(gray: Gray) -> NDArray[np.float64]:
    """Centres (px) of the 4 corner markers (tl, tr, br, bl): the half-filled squares nearest each corner."""
    _, bw = cv2.threshold(gray, 128, 255, cv2.THRESH_BINARY_INV)
    n, _, stats, _ = cv2.connectedComponentsWithStats(bw, connectivity=8)
    h, w = gray.shape
    corners = ((0, 0), (w, 0), (w, h), (0, h))
    best: dict[int, tuple[float, tuple[float, float]]] = {}
    for i in range(1, n):
        x, y, bw_, bh, area = (int(v) for v in stats[i])
        if area < 100 or not 0.35 < area / (bw_ * bh) < 0.65 or not 0.8 < bw_ / bh < 1.25:
            continue
        cx, cy = x + bw_ / 2, y + bh / 2
        for k, (tx, ty) in enumerate(corners):
            d = float(np.hypot(cx - tx, cy - ty))
            if abs(cx - tx) < 0.1 * w and abs(cy - ty) < 0.1 * h and (k not in best or d < best[k][0]):
                best[k] = (d, (cx, cy))
    if len(best) != 4:
        raise ValueError(f"found {len(best)} of 4 corner markers")
    return np.array([best[k][1] for k in range(4)], dtype=np.float64)


def to_page(gray: Gray, px_per_mm: float = PX_PER_MM) -> Gray:
    """The scan warped so that its markers sit at `MARKERS_MM`, at `px_per_mm`."""
    src = find_markers(gray).astype(np.float32)
    dst = (np.array(MARKERS_MM) * px_per_mm).astype(np.float32)
    h = cv2.getPerspectiveTransform(src, dst)
    size = (round(PAGE_MM[0] * px_per_mm), round(PAGE_MM[1] * px_per_mm))
    return np.asarray(cv2.warpPerspective(gray, h, size, borderValue=255), dtype=np.uint8)


def tag(page: Gray) -> tuple[int, list[list[float]]]:
    """The AprilTag's id and its outer corners (mm) in the tag's own order, as cv2.aruco reports them."""
    det = cv2.aruco.ArucoDetector(
        cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_APRILTAG_36h10), cv2.aruco.DetectorParameters()
    )
    corners, ids, _ = det.detectMarkers(page)
    if ids is None or len(ids) != 1:
        raise ValueError("expected one AprilTag")
    pts = np.asarray(corners[0], dtype=np.float64).reshape(4, 2) / PX_PER_MM
    return int(ids.ravel()[0]), [[round(float(x), 2), round(float(y), 2)] for x, y in pts]


def digit_boxes(page: Gray) -> list[Rect]:
    """Thick-framed boxes 8–14 mm: each as the rectangle through the middle of its printed frame."""
    _, bw = cv2.threshold(page, 140, 255, cv2.THRESH_BINARY_INV)
    contours, hier = cv2.findContours(bw, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    holes = []
    for i, c in enumerate(contours):
        x, y, w, h = (v / PX_PER_MM for v in cv2.boundingRect(c))
        if y < 55:  # the header's page code and tag are not digit boxes
            continue
        if hier[0][i][3] != -1 and 7 < w < 14 and 7 < h < 14 and 0.8 < w / h < 1.25:
            outer = cv2.boundingRect(contours[hier[0][i][3]])
            ox, oy, ow, oh = (v / PX_PER_MM for v in outer)
            if ow > 16 or oh > 16:  # a chain of boxes sharing edges (the date): the hole is the box
                pad = 0.3
                holes.append((x - pad, y - pad, w + 2 * pad, h + 2 * pad))
            else:
                holes.append(((x + ox) / 2, (y + oy) / 2, (w + ow) / 2, (h + oh) / 2))
    return sorted((tuple(round(v, 2) for v in r) for r in holes), key=lambda r: (r[1], r[0]))  # type: ignore[misc]


def bubbles(page: Gray) -> list[tuple[float, float, float]]:
    """OMR circles (centre x, y, diameter in mm), found as round outlines 3.5–6 mm across."""
    _, bw = cv2.threshold(page, 200, 255, cv2.THRESH_BINARY_INV)
    contours, hier = cv2.findContours(bw, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    out = []
    for i, c in enumerate(contours):
        x, y, w, h = (v / PX_PER_MM for v in cv2.boundingRect(c))
        if hier[0][i][3] == -1 and 3.5 < w < 6 and 3.5 < h < 6:
            area, per = cv2.contourArea(c), cv2.arcLength(c, True)
            if 4 * np.pi * area / per**2 > 0.8:
                out.append((round(x + w / 2, 2), round(y + h / 2, 2), round((w + h) / 2, 2)))
    return sorted(out)


def thick_lines(page: Gray, axis: int, lo: float, hi: float, min_fill: float = 0.9) -> list[float]:
    """Positions (mm) of printed rules crossing the band [lo, hi] mm: vertical ones for axis=0."""
    _, bw = cv2.threshold(page, 150, 1, cv2.THRESH_BINARY_INV)
    a, b = round(lo * PX_PER_MM), round(hi * PX_PER_MM)
    band = bw[a:b, :] if axis == 0 else bw[:, a:b].T
    fill = band.mean(axis=0)
    runs: list[list[int]] = []
    for i in np.flatnonzero(fill >= min_fill):
        if runs and i - runs[-1][-1] <= 1:
            runs[-1].append(int(i))
        else:
            runs.append([int(i)])
    return [round((r[0] + r[-1] + 1) / 2 / PX_PER_MM, 2) for r in runs]


def dotted_lines(
    page: Gray, y_lo: float = 12, y_hi: float = 45, max_area: int = 12
) -> list[tuple[float, float, float]]:
    """Dotted lines to write on (x0, y, x1 in mm): rows of ≥ 8 tiny dots less than 6 mm apart."""
    _, bw = cv2.threshold(page, 180, 255, cv2.THRESH_BINARY_INV)
    n, _, stats, cents = cv2.connectedComponentsWithStats(bw, connectivity=8)
    rows: dict[float, list[float]] = defaultdict(list)
    for i in range(1, n):
        cx, cy = cents[i] / PX_PER_MM
        if stats[i][4] <= max_area and stats[i][2] <= 4 and stats[i][3] <= 4 and y_lo < cy < y_hi:
            rows[round(cy * 2) / 2].append(float(cx))
    lines = []
    for y, xs in sorted(rows.items()):
        xs.sort()
        run = [xs[0]]
        for x in [*xs[1:], float("inf")]:
            if x - run[-1] > 6:
                if len(run) >= 8:
                    lines.append((round(run[0], 1), y, round(run[-1], 1)))
                run = [x]
            else:
                run.append(x)
    return lines


def measure(page_no: int) -> dict[str, object]:
    gray = cv2.imread(str(reference_path(page_no)), cv2.IMREAD_GRAYSCALE)
    if gray is None:
        raise FileNotFoundError(reference_path(page_no))
    page = to_page(np.asarray(gray, dtype=np.uint8))
    tag_id, tag_corners = tag(page)
    return {
        "tag_id": tag_id,
        "tag_corners": tag_corners,
        "digit_boxes": digit_boxes(page),
        "bubbles": bubbles(page),
        "header_lines": dotted_lines(page),
        "place_lines": dotted_lines(page, 170, 195),
        "vertical_rules_at_y": {y: thick_lines(page, 0, y - 3, y + 3) for y in (85, 130, 175)},
        "horizontal_rules_at_x": {x: thick_lines(page, 1, x - 3, x + 3) for x in (60, 150, 240)},
    }


def main(argv: list[str]) -> None:
    for page_no in [int(a) for a in argv] or [2, 3]:
        sys.stdout.write(f"# page {page_no}\n")
        for key, value in measure(page_no).items():
            sys.stdout.write(f"{key} = {value}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
