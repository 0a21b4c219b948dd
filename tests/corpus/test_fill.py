"""Filling: consistent numbers, digits where the truth says, only held-out (TEST) handwriting, determinism."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocr.corpus.fill import Filled, Style, layout_digits, side_rng
from ocr.corpus.handwriting import Handwriting, Split
from ocr.corpus.officer import fill_page
from ocr.corpus.values import broken_checks, consistent_sheet
from ocr.corpus.words import terbilang
from ocr.forms.spec import Rect, load_spec
from reconcile.contest import builtin_contest

PPM = 6.0
HEADER = {"provinsi": "DKI JAKARTA", "kecamatan": "TEBET", "nomor_tps": "005"}


@pytest.fixture(scope="module")
def hand() -> Handwriting:
    return Handwriting(Split.TEST)


def _fill(hand: Handwriting, page: int, seed: int, **kw: object) -> tuple[dict[str, int], Filled]:
    rng = np.random.default_rng(seed)
    sheet = consistent_sheet(builtin_contest("ppwp-2024"), rng)
    spec = load_spec("ppwp-2024", page)
    return sheet, fill_page(spec, sheet, hand, rng, px_per_mm=PPM, tps="3173041007005", header=HEADER, **kw)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    contest=st.sampled_from(["ppwp-2024", "pilkada-kwk-2024"]),
    slate=st.integers(1, 6),
)
def test_a_generated_sheet_breaks_no_contest_check(seed: int, contest: str, slate: int) -> None:
    c = builtin_contest(contest)
    if contest != "ppwp-2024":
        c = c.with_paslon(tuple(f"P{i}" for i in range(slate)))
    sheet = consistent_sheet(c, np.random.default_rng(seed))
    assert broken_checks(c, sheet) == []
    assert all(0 <= v <= 999 for v in sheet.values())


def test_a_paslon_count_that_is_off_breaks_a_check_naming_it() -> None:
    c = builtin_contest("ppwp-2024")
    sheet = consistent_sheet(c, np.random.default_rng(1))
    sheet["suara_paslon_1"] += 10
    assert any("suara_paslon_1" in b for b in broken_checks(c, sheet))


def test_numbers_in_words() -> None:
    assert terbilang(74) == "TUJUH PULUH EMPAT"
    assert terbilang(111) == "SERATUS SEBELAS"
    assert terbilang(216) == "DUA RATUS ENAM BELAS"
    assert terbilang(0) == "NOL"


def test_digits_are_right_aligned_and_leading_boxes_crossed_or_empty() -> None:
    style = Style("blue", cross_unused=0.5, leading_zero=0.0, size=(0.6, 0.8), slip_rate=0)
    rng = np.random.default_rng(3)
    for value in (0, 7, 74, 216):
        cells = layout_digits(value, style, rng)
        written = "".join(c for c in cells if c.isdigit())
        assert int(written) == value and cells[-1].isdigit()
        assert all(c in ("x", "") for c in cells[: 3 - len(str(value))])


def _ink(page: np.ndarray) -> np.ndarray:
    """Ballpoint ink: blue (B well above R) or black strokes that the printed (gray) form never has."""
    b, g, r = (page[..., i].astype(int) for i in range(3))
    return (b - r > 40) | ((page.max(axis=2) < 90) & (b - r > 3))


def _inner(page: np.ndarray, r: Rect) -> np.ndarray:
    m = 1.2
    return page[
        round((r.y + m) * PPM) : round((r.y + r.h - m) * PPM),
        round((r.x + m) * PPM) : round((r.x + r.w - m) * PPM),
    ]


def test_ink_is_in_the_boxes_the_truth_names_and_only_there(hand: Handwriting) -> None:
    for page in (1, 2, 3):
        for seed in range(3):
            _, out = _fill(hand, page, seed)
            if out.pen != "blue":
                continue
            ink = _ink(out.page_bgr)
            for key, box in load_spec("ppwp-2024", page).boxes().items():
                inside = _inner(ink, box).mean()
                if out.boxes[key]["content"] == "empty":
                    assert inside < 0.01, key
                else:
                    assert inside > 0.03, key


def test_fill_draws_only_test_split_writers(hand: Handwriting) -> None:
    test_writers = {w for w, _ in hand.inventory()}
    train_writers = {w for w, _ in Handwriting(Split.TRAIN).inventory()}
    used = set()
    for page in (1, 2, 3):
        _, out = _fill(hand, page, 11)
        used |= {b["writer"] for b in out.boxes.values() if "writer" in b}
    assert used and used <= test_writers and not used & train_writers


def test_corpus_workers_hold_the_test_split() -> None:
    from ocr.corpus import make

    make._init()
    assert make._STATE["hand"].split == Split.TEST


def test_same_seed_fills_the_same_page(hand: Handwriting) -> None:
    a = _fill(hand, 2, 5, slip_rate=0.5)[1]
    b = _fill(hand, 2, 5, slip_rate=0.5)[1]
    assert np.array_equal(a.page_bgr, b.page_bgr) and a.boxes == b.boxes and a.slips == b.slips
    assert not np.array_equal(a.page_bgr, _fill(hand, 2, 6)[1].page_bgr)


def test_side_rng_leaves_the_pages_random_stream_untouched() -> None:
    rng = np.random.default_rng(12)
    before = rng.bit_generator.state
    a, b = side_rng(rng).random(3), side_rng(rng).random(3)
    assert rng.bit_generator.state == before and np.array_equal(a, b)


def test_some_officers_dash_unused_leading_boxes_and_the_truth_calls_it_an_x(hand: Handwriting) -> None:
    dashed: list[str] = []
    for seed in range(60):
        _, filled = _fill(hand, 2, seed)
        dashed += [k for k, v in filled.boxes.items() if v.get("mark") == "dash"]
        for k, v in filled.boxes.items():
            if v.get("mark") == "dash":
                assert v["content"] == "x" and v["writer"].startswith("dash:")
                field, _, i = k.rpartition("/")
                # only in a leading box: every box after it in the field is a digit or another mark
                assert int(i) < 2
    assert 0 < len(dashed)
