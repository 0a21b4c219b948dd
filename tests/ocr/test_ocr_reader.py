"""The whole reader on JPEG bytes: EXIF orientation, page named, quality gate refuses with a reason."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ocr.reader import PhotoReader
from support.ocr_photos import jpeg, photograph, reference


@pytest.fixture(scope="module")
def reader() -> PhotoReader:
    return PhotoReader()


def test_upside_down_photo_of_page_3_is_read_upright(reader: PhotoReader) -> None:
    reading = reader.read(jpeg(photograph(reference(3), 180)), tps="3173041007005")
    assert reading.rejected is None
    assert reading.page == 3
    assert reading.orientation == 180
    assert reading.tps == "3173041007005"


def test_exif_orientation_is_applied_before_locating(reader: PhotoReader) -> None:
    upright = photograph(reference(2), 0)
    stored = np.ascontiguousarray(np.rot90(upright))  # the sensor's pixels; EXIF 6 says turn 90° clockwise
    reading = reader.read(jpeg(stored, exif_orientation=6))
    assert reading.page == 2
    assert reading.orientation == 0


def test_blurred_photo_is_rejected_with_a_reason_in_bahasa(reader: PhotoReader) -> None:
    blurred = cv2.GaussianBlur(photograph(reference(2), 5), (0, 0), 9)
    reading = reader.read(jpeg(blurred))
    assert reading.rejected is not None
    assert "foto ulang" in reading.rejected.lower()
    assert reading.fields == {}


def test_photo_cut_off_at_the_bottom_is_rejected(reader: PhotoReader) -> None:
    photo = photograph(reference(2), 0, fill=0.95)
    cut = photo[: int(photo.shape[0] * 0.8)]
    reading = reader.read(jpeg(cut))
    assert reading.rejected is not None
    assert "sudut" in reading.rejected or "foto" in reading.rejected.lower()


def test_a_photo_of_something_else_is_rejected(reader: PhotoReader) -> None:
    rng = np.random.default_rng(3)
    reading = reader.read(jpeg(rng.integers(0, 255, (1200, 1600), dtype=np.uint8)))
    assert reading.page is None
    assert reading.rejected is not None and "tidak dikenali" in reading.rejected


def test_page_whose_tag_is_covered_is_still_found_by_its_markers(reader: PhotoReader) -> None:
    page = reference(3).copy()
    page[120:205, 1105:1195] = 255  # the tag under a sticker / glare
    reading = reader.read(jpeg(photograph(page, 184)))
    assert reading.rejected is None
    assert (reading.page, reading.orientation) == (3, 180)
