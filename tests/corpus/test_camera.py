"""The simulated phone camera: boxes land on the ink (upright by EXIF); same seed, same bytes."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image, ImageOps

from ocr.corpus.camera import Photo, Severity, photograph

PAGE_W, PAGE_H = 960, 1440  # a plano page at 2 px/mm keeps the tests fast; the camera does not assume a size
SQUARE = 60.0


def squares_page() -> tuple[NDArray[np.uint8], dict[str, NDArray[np.float64]]]:
    """A white page with black squares at known quads (a 4 × 5 grid, one of them rotated 20°)."""
    page = np.full((PAGE_H, PAGE_W, 3), 245, np.uint8)
    quads: dict[str, NDArray[np.float64]] = {}
    for r in range(5):
        for c in range(4):
            x, y = 130 + c * 210, 150 + r * 270
            q = np.array([[x, y], [x + SQUARE, y], [x + SQUARE, y + SQUARE], [x, y + SQUARE]], np.float64)
            if (r, c) == (2, 1):
                a = np.radians(20)
                rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
                q = (q - q.mean(0)) @ rot.T + q.mean(0)
                # fillPoly works on pixel centres; quads are in edge coordinates (centre = +0.5)
                cv2.fillPoly(page, [np.round((q - 0.5) * 16).astype(np.int32)], (20, 20, 20), cv2.LINE_AA, 4)
            else:  # exact pixels (OpenCV's antialiased fill of an axis-aligned square is ~0.5 px low)
                page[y:y + int(SQUARE), x:x + int(SQUARE)] = 20
            quads[f"sq{r}{c}"] = q
    return page, quads


def upright(photo: Photo) -> NDArray[np.uint8]:
    with Image.open(io.BytesIO(photo.jpeg)) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("L"), np.uint8)


def ring_means(grey: NDArray[np.uint8], quad: NDArray[np.float32]) -> tuple[float, float]:
    """Mean grey inside the quad shrunk to 60 %, and in the ring between 130 % and 160 % of it."""
    c = quad.mean(0)

    def mask(k: float) -> NDArray[np.uint8]:
        m = np.zeros(grey.shape, np.uint8)
        cv2.fillPoly(m, [np.round(((quad - c) * k + c - 0.5) * 16).astype(np.int32)], 1, cv2.LINE_8, 4)
        return m

    inner, lo, hi = mask(0.6), mask(1.3), mask(1.6)
    ring = (hi > 0) & (lo == 0)
    return float(grey[inner > 0].mean()), float(grey[ring].mean())


SEEDS = {Severity.CLEAN: range(3), Severity.MODERATE: range(3), Severity.HARSH: range(3)}


@pytest.mark.parametrize("severity", [Severity.CLEAN, Severity.MODERATE, Severity.HARSH, Severity.UNUSABLE])
def test_boxes_land_on_the_squares_in_the_upright_photo(severity: Severity) -> None:
    page, quads = squares_page()
    orientations = set()
    for seed in range(3):
        photo = photograph(page, quads, severity, np.random.default_rng(100 + seed))
        grey = upright(photo)
        orientations.add(photo.params["exif_orientation"])
        assert grey.shape == (photo.params["height"], photo.params["width"])
        h, w = grey.shape
        for key, q in photo.boxes.items():
            assert q.shape == (4, 2) and q.dtype == np.float32
            expanded = (q - q.mean(0)) * 1.7 + q.mean(0)
            if (expanded.min() < 0) or (expanded[:, 0].max() > w) or (expanded[:, 1].max() > h):
                assert photo.params.get("unusable_reason") == "not_in_frame", key  # only a cut-off page
                continue
            if severity is Severity.UNUSABLE and photo.params["unusable_reason"] in ("blurry", "too_small"):
                continue  # the squares are smeared or a few pixels wide: nothing to measure
            inside, ring = ring_means(grey, q)
            assert ring - inside > min(25.0, 0.35 * ring), (key, inside, ring, photo.params["unusable_reason"]
                                        if severity is Severity.UNUSABLE else severity)


def test_clean_boxes_are_centred_on_the_ink_to_half_a_pixel() -> None:
    page, quads = squares_page()
    for seed in range(3):
        photo = photograph(page, quads, Severity.CLEAN, np.random.default_rng(seed))
        grey = upright(photo).astype(np.float64)
        for q in photo.boxes.values():
            c = q.mean(0)
            r = int(np.linalg.norm(q[0] - q[2]))
            x0, y0 = int(c[0]) - r, int(c[1]) - r
            win = grey[y0:y0 + 2 * r, x0:x0 + 2 * r]
            ink = np.clip(np.median(win) - win, 0, None)
            ink[ink < 0.5 * ink.max()] = 0  # the square, not the light's slope across the window
            ys, xs = np.mgrid[0:win.shape[0], 0:win.shape[1]]
            centroid = np.array([(xs * ink).sum(), (ys * ink).sum()]) / ink.sum() + [x0 + 0.5, y0 + 0.5]
            assert np.linalg.norm(centroid - c) < 0.5, (centroid, c)


def test_same_seed_gives_the_same_bytes_and_other_seeds_differ() -> None:
    page, quads = squares_page()
    a = photograph(page, quads, Severity.MODERATE, np.random.default_rng(7))
    b = photograph(page, quads, Severity.MODERATE, np.random.default_rng(7))
    c = photograph(page, quads, Severity.MODERATE, np.random.default_rng(8))
    assert a.jpeg == b.jpeg and a.params == b.params
    assert all(np.array_equal(a.boxes[k], b.boxes[k]) for k in quads)
    assert a.jpeg != c.jpeg


def test_the_bytes_do_not_depend_on_opencv_threads() -> None:
    page, quads = squares_page()
    before = cv2.getNumThreads()
    try:
        cv2.setNumThreads(4)
        a = photograph(page, quads, Severity.HARSH, np.random.default_rng(3))
        cv2.setNumThreads(1)
        b = photograph(page, quads, Severity.HARSH, np.random.default_rng(3))
        assert cv2.getNumThreads() == 1  # restored after the photo
    finally:
        cv2.setNumThreads(before)
    assert a.jpeg == b.jpeg


def sharpness(photo: Photo) -> float:
    """Variance of the Laplacian of the photo at 1,000 px wide, over the page's content (the boxes' hull)."""
    grey = upright(photo)
    k = 1000 / grey.shape[1]
    small = cv2.resize(grey, (1000, round(grey.shape[0] * k)), interpolation=cv2.INTER_AREA)
    hull = cv2.convexHull(np.concatenate(list(photo.boxes.values())) * k).astype(np.int32)
    mask = np.zeros(small.shape, np.uint8)
    cv2.fillConvexPoly(mask, hull, 1)
    return float(cv2.Laplacian(small, cv2.CV_32F)[mask > 0].var())


def test_clean_photos_are_sharper_than_harsh_ones() -> None:
    page, quads = squares_page()
    clean = [sharpness(photograph(page, quads, Severity.CLEAN, np.random.default_rng(s))) for s in range(4)]
    harsh = [sharpness(photograph(page, quads, Severity.HARSH, np.random.default_rng(s))) for s in range(4)]
    assert np.median(clean) > np.median(harsh), (clean, harsh)


def test_unusable_photos_say_why_and_the_parameters_are_json() -> None:
    import json

    page, quads = squares_page()
    reasons = set()
    for seed in range(8):
        photo = photograph(page, quads, Severity.UNUSABLE, np.random.default_rng(seed))
        reasons.add(photo.params["unusable_reason"])
        json.dumps(photo.params)
        if photo.params["unusable_reason"] == "too_small":
            assert float(str(photo.params["box_height_px"])) < 12
    assert len(reasons) >= 3, reasons
    usable = photograph(page, quads, Severity.CLEAN, np.random.default_rng(0))
    assert "unusable_reason" not in usable.params


def test_exif_orientation_is_written_and_honoured() -> None:
    page, quads = squares_page()
    seen = {}
    for seed in range(12):
        photo = photograph(page, quads, Severity.CLEAN, np.random.default_rng(seed))
        with Image.open(io.BytesIO(photo.jpeg)) as im:
            tag = im.getexif().get(0x0112)
            stored = im.size
        assert tag == photo.params["exif_orientation"]
        assert stored == (photo.params["stored_width"], photo.params["stored_height"])
        seen[tag] = photo
    assert 6 in seen and 1 in seen, sorted(seen)
