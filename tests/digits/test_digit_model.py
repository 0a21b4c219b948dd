"""The committed digit model, re-scored on held-out (TEST) handwriting rendered as photographed box crops."""

from __future__ import annotations

import hashlib

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from ocr.corpus.handwriting import Handwriting, Split
from ocr.digits import BLANK, MODEL, DigitClassifier, preprocess
from ocr.digits.boxes import EMPTY_CLASS, X_CLASS, BoxSample, label_plan, render_box

N_BOXES = 2000
SEED = 5150
# What the committed model must keep on held-out writers (docs/recognizer.md has the measured figures): it
# reads 0.982 of these 2,000 boxes' digits (ECE 0.0059; the previous model, f85a239e, read 0.978, ECE 0.0070;
# the rendered-box model before photo fine-tuning 0.980, ECE 0.0055); the floor sits 0.3 pp below the
# previous. The target is 99.5%; the model measures below it (see the metadata), so this floor guards
# regressions.
DIGIT_FLOOR = 0.975
NO_DIGIT_FLOOR = 0.98


@pytest.fixture(scope="module")
def model() -> DigitClassifier:
    return DigitClassifier.load()


@pytest.fixture(scope="module")
def held_out() -> list[BoxSample]:
    hand = Handwriting(Split.TEST)
    rng = np.random.default_rng(SEED)
    return [render_box(hand, rng, int(label)) for label in label_plan(rng, N_BOXES)]


@pytest.fixture(scope="module")
def probs(model: DigitClassifier, held_out: list[BoxSample]) -> NDArray[np.float32]:
    return model.predict([b.crop for b in held_out])


def _truth(held_out: list[BoxSample]) -> NDArray[np.int64]:
    return np.array([min(b.label, BLANK) for b in held_out])


def test_held_out_digits_are_read_above_the_floor(
    probs: NDArray[np.float32], held_out: list[BoxSample]
) -> None:
    y = _truth(held_out)
    digits = y < 10
    acc = float((probs[digits].argmax(1) == y[digits]).mean())
    print(f"held-out digit accuracy {acc:.4f} on {digits.sum()} boxes")  # noqa: T201 (shown with -s)
    assert acc >= DIGIT_FLOOR


def test_crossed_and_empty_boxes_are_read_as_no_digit(
    probs: NDArray[np.float32], held_out: list[BoxSample]
) -> None:
    labels = np.array([b.label for b in held_out])
    for cls in (X_CLASS, EMPTY_CLASS):
        rows = labels == cls
        assert rows.sum() > 100
        assert float((probs[rows].argmax(1) == BLANK).mean()) >= NO_DIGIT_FLOOR, cls
    # and a digit is almost never taken for a crossed box (that would hide a vote count)
    assert float((probs[labels < 10].argmax(1) == BLANK).mean()) <= 0.01


def test_x_and_empty_keep_separate_probabilities(model: DigitClassifier, held_out: list[BoxSample]) -> None:
    marks = [b for b in held_out if b.label >= 10][:200]
    p = model.predict_marks([b.crop for b in marks])
    assert float((p.argmax(1) == np.array([b.label for b in marks])).mean()) >= 0.97


def test_confidence_means_what_it_says(probs: NDArray[np.float32], held_out: list[BoxSample]) -> None:
    """Expected calibration error over 10 confidence bins stays under 0.02 (measured 0.0059)."""
    y = _truth(held_out)
    conf, right = probs.max(1), probs.argmax(1) == y
    bins = np.minimum((conf * 10).astype(int), 9)
    ece = sum(
        abs(float(conf[bins == b].mean()) - float(right[bins == b].mean())) * (bins == b).mean()
        for b in range(10)
        if (bins == b).any()
    )
    assert ece < 0.02


def test_probabilities_sum_to_one_and_prediction_is_deterministic(
    model: DigitClassifier, held_out: list[BoxSample]
) -> None:
    crops = [b.crop for b in held_out[:64]]
    a, b = model.predict(crops), model.predict(crops)
    assert a.shape == (64, 11) and np.array_equal(a, b)
    assert np.allclose(a.sum(1), 1, atol=1e-5)
    one_by_one = np.concatenate([model.predict([c]) for c in crops[:8]])
    assert np.allclose(one_by_one, a[:8], atol=1e-5)


def test_the_model_is_the_one_its_metadata_describes(model: DigitClassifier) -> None:
    assert DigitClassifier.load() is model  # loaded once per process
    assert hashlib.sha256(MODEL.read_bytes()).hexdigest() == model.meta["sha256"]
    assert MODEL.stat().st_size < 1_000_000
    assert 0.3 < model.temperature < 5
    assert "humor-sans" in model.meta["split"]["font_families"]["test"]


def test_printed_frame_lines_are_removed_and_ink_kept() -> None:
    box = np.full((120, 116), 215, np.uint8)
    cv2.rectangle(box, (3, 2), (112, 117), 40, 4)  # the frame, cut a little outside it
    assert preprocess(box).max() < 0.1
    cv2.line(box, (58, 25), (58, 95), 60, 5)  # a "1"
    p = preprocess(box)
    assert p[6:26, 14:18].max(axis=1).min() > 0.5 and p[:, :3].max() < 0.1


def test_an_empty_crop_of_any_shape_gives_a_valid_input() -> None:
    for shape in ((0, 0), (3, 50), (200, 40)):
        out = preprocess(np.full(shape, 200, np.uint8))
        assert out.shape == (32, 32) and out.dtype == np.float32 and out.max() < 0.1
