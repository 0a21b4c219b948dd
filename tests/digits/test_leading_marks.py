"""Leading-box marks: an X, a blank, a dash or a 0 in an unused leading box all mean "no digit here"; a dash
is never read as 1 (a "–" in the hundreds box of 47 must not make it 147)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from ocr.corpus.handwriting import Handwriting, Split
from ocr.decode import value_distribution
from ocr.digits import BLANK, DigitClassifier
from ocr.digits.boxes import X_CLASS, render_box

SEED = 1717
N = 300


@pytest.fixture(scope="module")
def dashes() -> NDArray[np.float32]:
    """Calibrated probabilities of held-out dashed boxes: stroke-model TEST writers' dashes and the corpus
    filler's, through the same box photography as every held-out crop."""
    hand, rng = Handwriting(Split.TEST), np.random.default_rng(SEED)
    crops = [render_box(hand, rng, X_CLASS, "mark:dash").crop for _ in range(N)]

    class FillerDash:  # the filler's dash (`Handwriting.dash`) as the box renderer's X
        def digit(self, rng: np.random.Generator, d: int, source: str | None = None) -> object:
            return hand.digit(rng, d, source)

        def cross(self, rng: np.random.Generator) -> object:
            return hand.dash(rng)

    crops += [render_box(FillerDash(), rng, X_CLASS).crop for _ in range(N)]  # type: ignore[arg-type]
    return DigitClassifier.load().predict(crops)


def test_a_dashed_box_is_never_read_as_1(dashes: NDArray[np.float32]) -> None:
    assert int((dashes.argmax(1) == 1).sum()) == 0
    assert float(dashes[:, 1].max()) < 0.5


def test_a_dashed_box_is_read_as_no_digit(dashes: NDArray[np.float32]) -> None:
    assert float((dashes.argmax(1) == BLANK).mean()) >= 0.97


def test_a_dashed_leading_box_never_decodes_as_a_hundred_more(dashes: NDArray[np.float32]) -> None:
    """47 written "–47": the field's most probable value is never 147 (nor any 1xx)."""
    four, seven = np.full(11, 1e-4), np.full(11, 1e-4)
    four[4], seven[7] = 1.0, 1.0
    for p in dashes:
        best = value_distribution(np.stack([p, four / four.sum(), seven / seven.sum()]))[0][0]
        assert best is None or not 100 <= best < 200, best


@pytest.mark.parametrize("lead", ["x", "blank", "dash", "0"])
def test_every_leading_mark_means_no_digit(lead: str) -> None:
    """X, blank, dash (the X/blank class) and 0 in the hundreds box all decode to the two-digit number."""
    row = {d: np.full(11, 1e-4) for d in range(11)}
    for d, r in row.items():
        r[d] = 1.0
        r /= r.sum()
    first = row[0] if lead == "0" else row[BLANK]
    assert value_distribution(np.stack([first, row[4], row[7]]))[0][0] == 47
