"""Real OpenCV on KPU's reference pages, warped: the page is found, named and straightened."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ocr.layout import frame_of, load_layouts
from ocr.locate import locate
from ocr.reader import PhotoReader
from support.ocr_photos import photograph, reference
from support.ocr_template import TemplateDigits

FRAMES = {tag: frame_of(spec) for tag, spec in load_layouts().items()}
BLANKS = PhotoReader(model=TemplateDigits()).blanks


@pytest.mark.parametrize(("page", "angle"), [(2, 0), (2, 8), (2, 90), (3, 180), (3, 197), (2, 270), (3, -35)])
def test_warped_reference_page_is_identified_and_straightened(page: int, angle: float) -> None:
    ref = reference(page)
    photo = photograph(ref, angle)
    found = locate(photo, FRAMES)
    assert found is not None
    assert found.frame.page == page
    assert found.markers_found == 4
    assert found.orientation == round(-angle / 90) * 90 % 360
    upright = locate(ref, FRAMES)  # the scan itself, straightened the same way
    assert upright is not None and upright.markers_found == 4
    a = cv2.GaussianBlur(found.straighten(photo, 3.0), (0, 0), 1.5).astype(np.float32)
    b = cv2.GaussianBlur(upright.straighten(ref, 3.0), (0, 0), 1.5).astype(np.float32)
    # Straightened, the photo lines up with the scan: the printed grid correlates almost perfectly.
    inner = (slice(45, -45), slice(45, -45))  # inside the markers: the scan's own border differs
    corr = float(np.corrcoef(a[inner].ravel(), b[inner].ravel())[0, 1])
    assert corr > 0.9


def test_photo_without_a_page_is_not_located() -> None:
    rng = np.random.default_rng(1)
    noise = rng.integers(0, 255, (1500, 2000), dtype=np.uint8)
    assert locate(noise, FRAMES) is None


@pytest.mark.parametrize(("page", "angle"), [(3, 0), (3, 180), (2, -70), (2, 20), (3, 250)])
def test_a_page_photographed_at_a_slant_is_straightened_on_its_own_markers(page: int, angle: float) -> None:
    """Seen at a slant the near corners' markers look much larger than the tag far away suggests, and sit
    far from where the tag's own (affine) map predicts them; a printed corner or letter nearer that guess
    must not be taken for the marker (the 2024-moderate corpus: every box read 7–20 mm off its frame)."""
    ref = reference(page)
    photo = photograph(ref, angle, tilt=0.14, fill=0.8)
    found = locate(photo, FRAMES, BLANKS)
    assert found is not None and found.frame.page == page and found.markers_found == 4
    upright = locate(ref, FRAMES)
    assert upright is not None
    a = cv2.GaussianBlur(found.straighten(photo, 3.0), (0, 0), 1.5).astype(np.float32)
    b = cv2.GaussianBlur(upright.straighten(ref, 3.0), (0, 0), 1.5).astype(np.float32)
    inner = (slice(45, -45), slice(45, -45))
    assert float(np.corrcoef(a[inner].ravel(), b[inner].ravel())[0, 1]) > 0.9
