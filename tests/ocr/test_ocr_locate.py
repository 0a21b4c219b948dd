"""Real OpenCV on KPU's reference pages, warped: the page is found, named and straightened."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from ocr_photos import photograph, reference

from ocr.layout import REFERENCE_FRAMES
from ocr.locate import locate


@pytest.mark.parametrize(("page", "angle"), [(2, 0), (2, 8), (2, 90), (3, 180), (3, 197), (2, 270), (3, -35)])
def test_warped_reference_page_is_identified_and_straightened(page: int, angle: float) -> None:
    ref = reference(page)
    photo = photograph(ref, angle)
    found = locate(photo, REFERENCE_FRAMES)
    assert found is not None
    assert found.frame.page == page
    assert found.markers_found == 4
    assert found.orientation == round(-angle / 90) * 90 % 360
    w, h = found.frame.size_mm
    straight = found.straighten(photo, ref.shape[1] / w)
    # Straightened back, the page lines up with the reference scan to about a pixel.
    a = cv2.GaussianBlur(straight, (0, 0), 2).astype(np.float32)
    b = cv2.GaussianBlur(ref, (0, 0), 2).astype(np.float32)
    b = cv2.resize(b, (a.shape[1], a.shape[0]))
    corr = float(np.corrcoef(a.ravel(), b.ravel())[0, 1])
    assert corr > 0.9


def test_photo_without_a_page_is_not_located() -> None:
    rng = np.random.default_rng(1)
    noise = rng.integers(0, 255, (1500, 2000), dtype=np.uint8)
    assert locate(noise, REFERENCE_FRAMES) is None
