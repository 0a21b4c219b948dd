"""Corpus photos: same seed → same bytes; each truth quad is where the box (frame and ink) is in the photo."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

pytest.importorskip("ocr.corpus.camera", reason="the camera (helper C2) has not landed yet")

from ocr.corpus.make import Job, Sample, make_one  # noqa: E402


def _photo(s: Sample) -> np.ndarray:
    return np.asarray(cv2.imdecode(np.frombuffer(s.jpeg, np.uint8), cv2.IMREAD_COLOR))


def test_same_job_gives_the_same_bytes_and_truth() -> None:
    job = Job(seed=77, index=3, contest="ppwp-2024", page=2, severity="moderate", slip_rate=0.5)
    a, b = make_one(job), make_one(job)
    assert a.jpeg == b.jpeg and a.truth == b.truth
    assert make_one(Job(78, 3, "ppwp-2024", 2, "moderate")).jpeg != a.jpeg


def _straight(photo: np.ndarray, quad: list[list[float]], side: int = 48) -> np.ndarray:
    dst = np.array([[0, 0], [side, 0], [side, side], [0, side]], np.float32)
    h = cv2.getPerspectiveTransform(np.array(quad, np.float32), dst)
    return np.asarray(cv2.warpPerspective(cv2.cvtColor(photo, cv2.COLOR_BGR2GRAY), h, (side, side)))


@pytest.mark.parametrize("page", [1, 2, 3])
def test_truth_quads_sit_on_the_printed_boxes_and_their_ink(page: int) -> None:
    s = make_one(Job(seed=5, index=page, contest="ppwp-2024", page=page, severity="clean", slip_rate=0.0))
    photo = _photo(s)
    checked = 0
    for key, box in s.truth["boxes"].items():
        if box["quad"] is None or key.split("/")[0] in ("tanggal", "bulan", "tahun"):
            continue
        cell = _straight(photo, box["quad"]).astype(float)
        paper = np.percentile(cell, 90)
        dark = cell < paper - 60
        edge = np.concatenate(
            [dark[:3].ravel(), dark[-3:].ravel(), dark[:, :3].ravel(), dark[:, -3:].ravel()]
        )
        inner = dark[10:-10, 10:-10].mean()
        assert edge.mean() > 0.35, f"{key}: no printed frame under the quad"
        if box["content"] == "empty":
            assert inner < 0.02, key
        else:
            assert inner > 0.04, f"{key}: the truth says {box['content']} but the box is clean"
        checked += 1
    assert checked >= 9
