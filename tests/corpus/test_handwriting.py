"""Handwriting sources: glyphs are ink masks, and no writer or sample crosses from one split to another."""

from __future__ import annotations

import numpy as np
import pytest

from ocr.corpus.handwriting import Glyph, Handwriting, Split, audit, audit_split, families, mnist_range


def test_every_split_has_mnist_and_at_least_three_font_families() -> None:
    for split in Split:
        assert len(families(split)) >= 3, split
        root = Handwriting(split).root
        assert all(len(mnist_range(root, d, split)) >= 80 for d in range(10))


def test_the_full_split_audit_finds_no_writer_or_sample_in_two_splits() -> None:
    assert audit() == []


def test_the_audit_reports_a_writer_shared_by_two_splits() -> None:
    problems = audit_split(
        {
            Split.TRAIN: [("font:dkg", "a"), ("mnist:1:5", "mnist:1:5")],
            Split.TEST: [("font:dkg", "b"), ("mnist:1:6", "mnist:1:6")],
        }
    )
    assert problems == ["writer font:dkg is in train and test"]


def test_mnist_slices_are_disjoint_and_cover_each_digit() -> None:
    root = Handwriting(Split.TRAIN).root
    for d in range(10):
        parts = [set(mnist_range(root, d, s)) for s in Split]
        assert sum(map(len, parts)) == len(set().union(*parts)) >= 850


@pytest.mark.parametrize("split", list(Split))
def test_glyphs_come_only_from_writers_of_their_split(split: Split) -> None:
    hand = Handwriting(split)
    rng = np.random.default_rng(1)
    own = {w for w, _ in hand.inventory()}
    glyphs: list[Glyph] = [hand.digit(rng, d % 10) for d in range(60)]
    glyphs += [hand.digit(rng, 7, f"font:{f}") for f in hand.families]
    glyphs += [hand.cross(rng) for _ in range(5)] + [hand.text(rng, "Kel. Cempaka Putih")]
    for g in glyphs:
        assert g.writer in own, g.writer
        assert g.ink.dtype == np.float32 and g.ink.min() >= 0 and g.ink.max() <= 1
        assert g.ink.max() > 0.6  # a pen line, not a smudge
        # cropped to the ink: every border row/column touches some ink
        assert g.ink[0].max() > 0.1 and g.ink[-1].max() > 0.1
        assert g.ink[:, 0].max() > 0.1 and g.ink[:, -1].max() > 0.1
        assert g.mask is g.ink


def test_a_test_font_cannot_be_drawn_from_the_train_split() -> None:
    with pytest.raises(ValueError, match="not in the train split"):
        Handwriting(Split.TRAIN).digit(np.random.default_rng(0), 3, "font:humor-sans")


def test_same_seed_gives_the_same_glyph() -> None:
    hand = Handwriting(Split.TEST)
    a = hand.digit(np.random.default_rng(7), 4)
    b = hand.digit(np.random.default_rng(7), 4)
    assert a.sample == b.sample and np.array_equal(a.ink, b.ink)
    x, y = hand.cross(np.random.default_rng(3)), hand.cross(np.random.default_rng(3))
    assert x.sample == y.sample and np.array_equal(x.ink, y.ink)
