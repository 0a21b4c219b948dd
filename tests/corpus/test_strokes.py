"""The stroke model: thousands of writers with their own habits, split by family and by writer."""

from __future__ import annotations

import numpy as np
import pytest

from ocr.corpus import strokes
from ocr.corpus.handwriting import Handwriting, Split, audit_split


def test_every_allograph_and_mark_draws_a_pen_line_in_every_family() -> None:
    rng = np.random.default_rng(3)
    for family in strokes.FAMILIES:
        w = strokes.writer(family, 17)
        shapes = [*(a for d in strokes.ALLOGRAPHS.values() for a in d.values()), *strokes.MARKS.values()]
        for allograph in shapes:
            ink = strokes.draw(allograph, w, rng, strokes.FAMILIES[family].smooth)
            assert ink.dtype == np.float32 and 0 <= ink.min() and ink.max() <= 1
            assert ink.max() > 0.6 and min(ink.shape) >= 3


def test_a_writer_keeps_their_habits_and_writers_differ() -> None:
    assert strokes.writer("euro", 5) == strokes.writer("euro", 5)
    habits = {tuple(sorted(strokes.writer("euro", n).allograph.items())) for n in range(40)}
    slants = {round(strokes.writer("euro", n).slant, 3) for n in range(40)}
    assert len(habits) > 10 and len(slants) > 30
    # one writer, two samples of a digit: the same allograph most of the time but never the same pixels
    a, _ = strokes.digit("loopy", 9, 2, np.random.default_rng(1))
    b, _ = strokes.digit("loopy", 9, 2, np.random.default_rng(2))
    assert a.shape != b.shape or not np.array_equal(a, b)


def test_the_real_officers_habits_are_allographs() -> None:
    assert {"stick", "flag", "curved"} <= set(strokes.ALLOGRAPHS[1])  # 1 as one stroke, with a flag, like "("
    assert "open-long" in strokes.ALLOGRAPHS[4] and "crossbar" in strokes.ALLOGRAPHS[7]
    assert "g" in strokes.ALLOGRAPHS[9] and "looped" in strokes.ALLOGRAPHS[2]
    assert {"small-cross", "corner-cross", "lambda", "dash"} <= set(strokes.MARKS)


def test_families_are_split_by_family_and_by_writer() -> None:
    assert "angular" not in strokes.families_of("train") + strokes.families_of("validation")
    assert strokes.families_of("test").count("angular") == 1
    assert strokes.families_of("validation").count("quick") == 1
    assert "quick" not in strokes.families_of("train")
    for family in ("print", "euro", "loopy"):
        ranges = [set(strokes.writer_range(family, s)) for s in ("train", "validation", "test")]
        assert all(len(r) >= 1000 for r in ranges)
        assert not (ranges[0] & ranges[1] or ranges[0] & ranges[2] or ranges[1] & ranges[2])


def test_a_never_trained_family_cannot_be_drawn_for_training() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="not in the train split"):
        Handwriting(Split.TRAIN).digit(rng, 4, "stroke:angular")
    with pytest.raises(ValueError, match="not in the train split"):
        Handwriting(Split.TRAIN).digit(rng, 4, "stroke:quick")


@pytest.mark.parametrize("split", list(Split))
def test_stroke_glyphs_and_marks_come_only_from_writers_of_their_split(split: Split) -> None:
    hand = Handwriting(split, stroke_share=1.0, mark_share=1.0)
    rng = np.random.default_rng(4)
    own = {w for w, _ in hand.inventory()}
    glyphs = [hand.digit(rng, d % 10) for d in range(40)] + [hand.cross(rng) for _ in range(20)]
    glyphs += [hand.dash(rng) for _ in range(5)]
    assert {g.source.split(":")[0] for g in glyphs} == {"stroke", "mark", "dash"}
    for g in glyphs:
        assert g.writer in own, g.writer
        assert g.ink.max() > 0.6


def test_the_audit_reports_a_stroke_writer_shared_by_two_splits() -> None:
    problems = audit_split(
        {Split.TRAIN: [("stroke:euro:12", "stroke:euro:12")], Split.TEST: [("stroke:euro:12", "x")]}
    )
    assert problems == ["writer stroke:euro:12 is in train and test"]


def test_a_dash_stays_a_dash_when_scaled_to_the_box() -> None:
    """The dash keeps its box-high canvas: scaled to a box it is a short level line, not a bar."""
    ink = strokes.dash(np.random.default_rng(8))
    ys, xs = np.nonzero(ink > 0.3)
    assert ink.shape[0] == ink.shape[1]
    assert np.ptp(ys) < 0.3 * ink.shape[0] and 0.25 * ink.shape[1] < np.ptp(xs) < 0.85 * ink.shape[1]
