"""Joint decoding on digit-box probabilities: the 2024 failure kinds end in review, never accepted."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocr.decode import BLANK_CLASS, Evidence, decide, value_distribution
from reconcile.contest import builtin_contest

PPWP = builtin_contest("ppwp-2024")


def boxes(*cells: dict[int, float] | int | None) -> np.ndarray:
    """3×11 probabilities: an int is a confident digit, None a confident X, a dict an explicit mix."""
    rows = []
    for c in cells:
        row = np.full(11, 1e-5)
        if isinstance(c, dict):
            for k, v in c.items():
                row[k] = v
        else:
            row[BLANK_CLASS if c is None else c] = 1.0
        rows.append(row / row.sum())
    return np.array(rows)


def written(value: int) -> np.ndarray:
    d = [value // 100, value // 10 % 10, value % 10]
    lead = [d[0] == 0, d[0] == 0 and d[1] == 0, False]
    return boxes(*(None if lead[i] else d[i] for i in range(3)))


def page3(sah: int, tidak: int, total: int, **over: np.ndarray) -> dict[str, Evidence]:
    probs = {"suara_sah": written(sah), "suara_tidak_sah": written(tidak), "suara_total": written(total)}
    probs.update(over)
    return {n: Evidence(n, p) for n, p in probs.items()}


def test_leading_x_and_leading_zero_both_read_as_the_number() -> None:
    assert value_distribution(boxes(None, 7, 4))[0][0] == 74
    assert value_distribution(boxes(0, 7, 4))[0][0] == 74
    assert value_distribution(boxes(None, None, 0))[0][0] == 0
    assert value_distribution(boxes(None, None, None))[0][0] is None


def test_consistent_confident_page_3_is_accepted() -> None:
    out = decide(page3(200, 5, 205), PPWP)
    assert {n: (d.value, d.accepted) for n, d in out.items()} == {
        "suara_sah": (200, True),
        "suara_tidak_sah": (5, True),
        "suara_total": (205, True),
    }


def test_x_read_as_a_digit_goes_to_review() -> None:
    # 74 written as [X,7,4]; the X box read as "1" with some doubt: 174 must not be accepted.
    x_as_one = boxes({1: 0.8, BLANK_CLASS: 0.2}, 7, 4)
    out = decide(page3(174, 5, 79, suara_sah=x_as_one), PPWP)
    assert not out["suara_sah"].accepted
    assert out["suara_sah"].value == 74  # the arithmetic points to the X reading, shown first
    assert out["suara_sah"].reason


def test_trailing_extra_digit_goes_to_review() -> None:
    # 74 read as 748 (a stray mark after the number): out of range for one TPS and breaks the sum.
    out = decide(page3(74, 5, 79, suara_sah=boxes(7, 4, 8)), PPWP)
    assert not out["suara_sah"].accepted
    assert not out["suara_total"].accepted or out["suara_total"].value == 79


@pytest.mark.parametrize(("true", "misread"), [(3, 8), (8, 3), (2, 7), (7, 2)])
def test_confused_digit_goes_to_review(true: int, misread: int) -> None:
    # The units box is confidently read wrong: the sum V.A + V.B = V.C catches it.
    sah = 120 + true
    out = decide(page3(sah, 4, sah + 4, suara_sah=boxes(1, 2, misread)), PPWP)
    assert not out["suara_sah"].accepted
    accepted_wrong = [
        n
        for n, d in out.items()
        if d.accepted and d.value != {"suara_sah": sah, "suara_tidak_sah": 4, "suara_total": sah + 4}[n]
    ]
    assert accepted_wrong == []


def test_doubtful_confusion_goes_to_review_even_if_the_sum_holds() -> None:
    out = decide(page3(123, 4, 127, suara_sah=boxes(1, 2, {3: 0.6, 8: 0.4})), PPWP)
    assert out["suara_sah"].value == 123
    assert not out["suara_sah"].accepted
    assert [c[0] for c in out["suara_sah"].candidates[:2]] == [123, 128]


def test_blank_page_goes_to_review() -> None:
    blank = boxes(None, None, None)
    out = decide(page3(0, 0, 0, suara_sah=blank, suara_tidak_sah=blank, suara_total=blank), PPWP)
    assert all(not d.accepted and d.value is None and d.reason for d in out.values())


def test_bubbles_that_disagree_send_the_total_to_review() -> None:
    ev = {"suara_paslon_1": Evidence("suara_paslon_1", written(74), omr=24)}
    out = decide(ev, PPWP)
    assert not out["suara_paslon_1"].accepted
    assert "OMR" in (out["suara_paslon_1"].reason or "")


def test_bubbles_that_agree_accept_a_clear_total() -> None:
    ev = {"suara_paslon_1": Evidence("suara_paslon_1", written(74), omr=74)}
    assert decide(ev, PPWP)["suara_paslon_1"].accepted


def test_a_lone_clear_number_without_a_second_reading_is_not_accepted() -> None:
    ev = {"suara_paslon_1": Evidence("suara_paslon_1", written(74))}
    out = decide(ev, PPWP)["suara_paslon_1"]
    assert out.value == 74 and not out.accepted


@settings(max_examples=150, deadline=None)
@given(
    sah=st.integers(0, 290),
    tidak=st.integers(0, 9),
    field=st.sampled_from(["suara_sah", "suara_tidak_sah", "suara_total"]),
    box=st.integers(0, 2),
    wrong=st.integers(0, 10),
    p_wrong=st.floats(0.5, 1.0),
)
def test_a_single_misread_box_is_never_accepted_with_a_wrong_value(
    sah: int, tidak: int, field: str, box: int, wrong: int, p_wrong: float
) -> None:
    truth = {"suara_sah": sah, "suara_tidak_sah": tidak, "suara_total": sah + tidak}
    probs = {n: written(v) for n, v in truth.items()}
    row = np.full(11, (1 - p_wrong) / 10)
    row[wrong] = p_wrong
    probs[field] = probs[field].copy()
    probs[field][box] = row
    out = decide({n: Evidence(n, p) for n, p in probs.items()}, PPWP)
    assert [n for n, d in out.items() if d.accepted and d.value != truth[n]] == []


def test_a_doubtful_hundreds_digit_the_row_sum_settles_is_accepted() -> None:
    # 278 with its "2" half-legible (78 or 578 by the digits alone); L + P = 148 + 130 pins it. An officer's
    # slip of 200 is far rarer than a faint hundreds digit, unlike a units doubt (next test above).
    row = {
        "pemilih_dpt_l": written(148),
        "pemilih_dpt_p": written(130),
        "pemilih_dpt_j": boxes({2: 0.6, BLANK_CLASS: 0.2, 5: 0.2}, 7, 8),
    }
    out = decide({n: Evidence(n, p) for n, p in row.items()}, PPWP)
    assert (out["pemilih_dpt_j"].value, out["pemilih_dpt_j"].accepted) == (278, True)
    # … but a doubtful 278 vouches for nobody (under PARTNER_MIN): L and P wait for another reading.
    assert [(out[n].value, out[n].accepted) for n in ("pemilih_dpt_l", "pemilih_dpt_p")] == [
        (148, False),
        (130, False),
    ]


def test_a_sure_number_beside_a_moved_partner_is_not_vouched_when_their_misreads_pair_up() -> None:
    # 148 + 130 = 278; L's hundreds 1 at 0.9985 (X at 0.0015: 48); J reads 178 (hundreds 1 at 0.7, 2 at 0.3)
    # and the row moves it to 278. But 48 + 130 = 178 balances too, J as read: L's misread alone is under
    # PLAUSIBLE, jointly with J's reading it is within RIVAL of the pair chosen. The row cannot tell
    # 148/278 from 48/178 and vouches for neither.
    row = {
        "pemilih_dpt_l": boxes({1: 0.9985, BLANK_CLASS: 0.0015}, 4, 8),
        "pemilih_dpt_p": written(130),
        "pemilih_dpt_j": boxes({1: 0.7, 2: 0.3}, 7, 8),
    }
    out = decide({n: Evidence(n, p) for n, p in row.items()}, PPWP)
    assert out["pemilih_dpt_j"].value == 278
    assert (out["pemilih_dpt_l"].value, out["pemilih_dpt_l"].accepted) == (148, False)
    # With L's hundreds read surely the pair is far less likely than the reading: vouched.
    sure = {**row, "pemilih_dpt_l": written(148)}
    assert decide({n: Evidence(n, p) for n, p in sure.items()}, PPWP)["pemilih_dpt_l"].accepted


def test_a_partner_with_three_doubtful_boxes_vouches_for_nobody() -> None:
    # bench/ocr.py seed 31341 #633, read probabilities as stored: 289 = 206 + 2 + 81 by a writer whose 8 read
    # as 0 in received (209, its three boxes at 0.79 / 0.94 / 0.93: 0.70 in all) and as X in unused (1).
    # 209 = 206 + 2 + 1 holds; received under PARTNER_MIN must not vouch for the 1.
    ballots = {
        "surat_diterima": boxes(
            {2: 0.792, 3: 0.0928, 0: 0.0505, BLANK_CLASS: 0.0359},
            {0: 0.9431, 1: 0.0311, 8: 0.0053, 2: 0.0047},
            {9: 0.9326, 7: 0.0221, 1: 0.0205, BLANK_CLASS: 0.0088},
        ),
        "surat_dikembalikan": written(2),
        "surat_sisa": boxes(
            None, {BLANK_CLASS: 0.98, 6: 0.0056, 8: 0.0003}, {1: 0.9918, BLANK_CLASS: 0.0055}
        ),
        "surat_digunakan": written(206),
    }
    out = decide({n: Evidence(n, p) for n, p in ballots.items()}, PPWP)
    assert (out["surat_sisa"].value, out["surat_sisa"].accepted) == (1, False)


def test_a_flagged_partner_the_arithmetic_moved_vouches_for_nobody() -> None:
    # bench/ocr.py seed 31341 #4128 (page 1 alone): 115 + 127 = 242 read 113 (5 at 0.19) + 127 = 140, J's
    # boxes flagged (two digits, ink beside) and its 2 read 0 surely. The row moves J to 240, which makes
    # 113 hold. J's digits gave 240 15 %, but its flags say ink was there they never saw: a moved, flagged
    # number is no witness.
    flagged = frozenset({"two_digits", "ink_outside"})
    row = {
        "pemilih_dpt_l": Evidence("pemilih_dpt_l", boxes(1, 1, {3: 0.8012, 5: 0.1899, 0: 0.0054})),
        "pemilih_dpt_p": Evidence("pemilih_dpt_p", written(127)),
        "pemilih_dpt_j": Evidence(
            "pemilih_dpt_j",
            boxes(
                {1: 0.6411, 2: 0.2934, 6: 0.0395}, {4: 0.5179, 0: 0.4707, 2: 0.0076}, {0: 0.996, 2: 0.0019}
            ),
            flags=flagged,
        ),
    }
    out = decide(row, PPWP)
    assert out["pemilih_dpt_j"].value == 240
    assert (out["pemilih_dpt_l"].value, out["pemilih_dpt_l"].accepted) == (113, False)


def test_a_partner_the_arithmetic_moved_to_a_value_its_digits_allow_vouches() -> None:
    # 23 + 50 = 73 with J's tens 1 at 0.7, 7 at 0.3: J reads 13 and the row moves it to 73, a value its own
    # digits gave 30 % (≥ MOVED_MIN). J goes to a person; L and P are confirmed: J's reading 13 balances
    # the row only with an L or P misread their digits make unlikely (no rival), and neither holds a 1 the
    # writer's 1-for-7 could be hiding in.
    row = {
        "pemilih_dpt_l": written(23),
        "pemilih_dpt_p": written(50),
        "pemilih_dpt_j": boxes(None, {1: 0.7, 7: 0.3}, 3),
    }
    out = decide({n: Evidence(n, p) for n, p in row.items()}, PPWP)
    assert (out["pemilih_dpt_j"].value, out["pemilih_dpt_j"].accepted) == (73, False)
    assert [(out[n].value, out[n].accepted) for n in ("pemilih_dpt_l", "pemilih_dpt_p")] == [
        (23, True),
        (50, True),
    ]
    # Moved to a value its digits gave under MOVED_MIN, J vouches for nobody.
    faint = {**row, "pemilih_dpt_j": boxes(None, {1: 0.95, 7: 0.05}, 3)}
    out = decide({n: Evidence(n, p) for n, p in faint.items()}, PPWP)
    assert out["pemilih_dpt_j"].value == 73 and not out["pemilih_dpt_l"].accepted


def test_a_confusion_the_arithmetic_corrected_in_one_number_is_sought_in_the_others() -> None:
    # 27 + 50 = 77 by a writer whose 7 reads as 1: L reads 21 (surely), J reads 11 (tens 1 at 0.7, units 1
    # at 0.97), and the row moves J to 71 — a 1 that is a 7. That same confusion in L's units and
    # J's units balances the row as 27 + 50 = 77: the row cannot tell, so it does not vouch for L. (P reads
    # 50 under both, so the row confirms it either way.)
    row = {
        "pemilih_dpt_l": written(21),
        "pemilih_dpt_p": written(50),
        "pemilih_dpt_j": boxes(None, {1: 0.7, 7: 0.3}, {1: 0.97, 7: 0.03}),
    }
    out = decide({n: Evidence(n, p) for n, p in row.items()}, PPWP)
    assert (out["pemilih_dpt_l"].value, out["pemilih_dpt_l"].accepted) == (21, False)
    assert (out["pemilih_dpt_p"].value, out["pemilih_dpt_p"].accepted) == (50, True)


def test_a_partner_the_arithmetic_moved_vouches_once_another_check_pins_it() -> None:
    # Ballots used read 198 (8 at 0.95, 3 at 0.05); B.4 = 193 and the ballot sum 270 = 1 + 76 + 193 both
    # say 193, so the decoder moves it (and sends it to a person: the arithmetic overruled its digits).
    # Its digits gave 193 too little (under MOVED_MIN) to vouch on their own, but "B.4 = ballots used" pins
    # 193 from a sure B.4 alone, so the ballot sum still vouches for received, spoilt and unused.
    ev = {
        n: Evidence(n, p)
        for n, p in {
            "surat_diterima": written(270),
            "surat_dikembalikan": written(1),
            "surat_sisa": written(76),
            "surat_digunakan": boxes(1, 9, {8: 0.95, 3: 0.05}),
            "pengguna_total_j": written(193),
        }.items()
    }
    out = decide(ev, PPWP)
    assert (out["surat_digunakan"].value, out["surat_digunakan"].accepted) == (193, False)
    assert all(out[n].accepted for n in ("surat_diterima", "surat_dikembalikan", "surat_sisa"))
    # Without the pin (no B.4 on the page) the moved number vouches for nobody.
    alone = decide({n: e for n, e in ev.items() if n != "pengguna_total_j"}, PPWP)
    assert not any(alone[n].accepted for n in ("surat_diterima", "surat_dikembalikan", "surat_sisa"))


def test_two_x_boxes_misread_alike_cannot_confirm_each_other() -> None:
    # Found by bench/ocr.py (seed 31337 #939): DPTb 3 + 5 = 8 written with X in the tens boxes; both X read
    # as "8" (0.70 and 0.46) made 3 + 85 = 88 hold. The doubtful 88 must not vouch for 85.
    row = {
        "pemilih_dptb_l": written(3),
        "pemilih_dptb_p": boxes(None, {8: 0.7, BLANK_CLASS: 0.3}, 5),
        "pemilih_dptb_j": boxes(None, {8: 0.46, BLANK_CLASS: 0.44, 0: 0.1}, {8: 0.85, 6: 0.15}),
    }
    truth = {"pemilih_dptb_l": 3, "pemilih_dptb_p": 5, "pemilih_dptb_j": 8}
    out = decide({n: Evidence(n, p) for n, p in row.items()}, PPWP)
    assert [n for n, d in out.items() if d.accepted and d.value != truth[n]] == []
    assert not out["pemilih_dptb_p"].accepted


def test_two_x_boxes_misread_alike_cannot_confirm_each_other_even_when_each_reads_fairly_surely() -> None:
    # The same hand at 0.85 each: both partners are sure enough to vouch (PARTNER_MIN), so what stops
    # 3 + 85 = 88 is the twin rule: P's tens box has X as its runner-up, and the same X in J's tens box
    # makes 3 + 5 = 8 hold as well. The arithmetic cannot tell the two apart.
    leading_x_as_8 = {8: 0.85, BLANK_CLASS: 0.15}
    row = {
        "pemilih_dptb_l": written(3),
        "pemilih_dptb_p": boxes(None, leading_x_as_8, 5),
        "pemilih_dptb_j": boxes(None, leading_x_as_8, 8),
    }
    truth = {"pemilih_dptb_l": 3, "pemilih_dptb_p": 5, "pemilih_dptb_j": 8}
    out = decide({n: Evidence(n, p) for n, p in row.items()}, PPWP)
    assert [n for n, d in out.items() if d.accepted and d.value != truth[n]] == []
    assert (out["pemilih_dptb_p"].value, out["pemilih_dptb_p"].accepted) == (85, False)


def test_two_different_misreads_that_balance_confirm_neither_field() -> None:
    # Found by bench/ocr.py on 3,000 forms (seed 31339 #1706, page 3 alone) once partners vouched from 0.8:
    # 129 + 1 = 130 read 124 + 6 = 130, a 9 read 4 (0.81, 9 at 0.19) and a 1 read 6 (0.94, 1 at 0.03).
    # The sure 130 is still confirmed by the sum; the two that may both be misread are not.
    page = page3(
        124,
        6,
        130,
        suara_sah=boxes(1, 2, {4: 0.813, 9: 0.185, 8: 0.002}),
        suara_tidak_sah=boxes(None, None, {6: 0.943, 1: 0.03, 2: 0.027}),
    )
    out = decide(page, PPWP)
    assert [(out[n].value, out[n].accepted) for n in ("suara_sah", "suara_tidak_sah", "suara_total")] == [
        (124, False),
        (6, False),
        (130, True),
    ]


def test_a_partner_read_fairly_surely_vouches() -> None:
    # 148 + 130 = 278 with the 4 of 148 at 0.85 (4 or 9): a misread there would break the row, not keep it.
    row = {
        "pemilih_dpt_l": boxes(1, {4: 0.85, 9: 0.15}, 8),
        "pemilih_dpt_p": written(130),
        "pemilih_dpt_j": written(278),
    }
    out = decide({n: Evidence(n, p) for n, p in row.items()}, PPWP)
    assert (out["pemilih_dpt_p"].value, out["pemilih_dpt_p"].accepted) == (130, True)
    assert (out["pemilih_dpt_j"].value, out["pemilih_dpt_j"].accepted) == (278, True)


def test_a_flagged_number_is_settled_by_a_check_of_clean_numbers() -> None:
    # Ink beside V.A's units box: the classifier cannot see it, but V.B and V.C, read surely and unflagged,
    # say the boxes hold the whole number (a units digit pushed out of its box would break 203 + 4 = 207).
    ev = page3(203, 4, 207)
    ev["suara_sah"] = replace(ev["suara_sah"], flags=frozenset({"ink_outside"}))
    out = decide(ev, PPWP)
    assert (out["suara_sah"].value, out["suara_sah"].accepted) == (203, True)
    # With no clean check, the flag stands and says why.
    alone = decide({"suara_sah": ev["suara_sah"]}, PPWP)["suara_sah"]
    assert not alone.accepted and "di luar kotak" in (alone.reason or "")


def test_a_row_written_a_box_to_the_right_is_not_settled_by_its_own_sum() -> None:
    # 125 + 103 = 228 written one box to the right, each units digit beside its box: the boxes read
    # 12 + 10 = 22, which holds. One officer's habit flags every number of the row alike, so the row's sum
    # vouches for none of them.
    flagged = frozenset({"ink_outside"})
    row = {n: Evidence(n, written(v), flags=flagged) for n, v in ROW_SHIFTED.items()}
    out = decide(row, PPWP)
    assert [(d.value, d.accepted) for d in out.values()] == [(12, False), (10, False), (22, False)]
    assert all("di luar kotak" in (d.reason or "") for d in out.values())
    # Two digits crowded into one box are the same kind of doubt.
    crowded = {**row, "pemilih_dpt_p": replace(row["pemilih_dpt_p"], flags=frozenset({"two_digits"}))}
    assert not decide(crowded, PPWP)["pemilih_dpt_p"].accepted


ROW_SHIFTED = {"pemilih_dpt_l": 12, "pemilih_dpt_p": 10, "pemilih_dpt_j": 22}


def test_a_tally_misread_does_not_outvote_digits_and_bubbles_that_agree() -> None:
    both = decide({"suara_paslon_1": Evidence("suara_paslon_1", written(74), omr=74, tally=47)}, PPWP)
    assert both["suara_paslon_1"].accepted and both["suara_paslon_1"].value == 74
    alone = decide({"suara_paslon_1": Evidence("suara_paslon_1", written(74), tally=47)}, PPWP)
    assert not alone["suara_paslon_1"].accepted
    assert "turus" in (alone["suara_paslon_1"].reason or "")


def test_a_partner_caught_in_a_broken_check_confirms_nothing() -> None:
    # V.A + V.B = V.C holds on page 3, but V.A ≠ Σ page 2: V.A may be the misread, so V.C stays in review.
    ev = page3(213, 4, 217)
    ev.update({f"suara_paslon_{i}": Evidence(f"suara_paslon_{i}", written(70), omr=70) for i in (1, 2, 3)})
    out = decide(ev, PPWP)
    assert not out["suara_sah"].accepted
    assert not out["suara_total"].accepted
    assert all(out[f"suara_paslon_{i}"].value == 70 for i in (1, 2, 3))


# --- a person's blind reading: one more witness, never a verdict ----------------------------------------


def test_a_blind_reading_equal_to_the_readers_best_settles_a_doubt() -> None:
    # 74 with its "7" half-legible (74 or 24): alone it waits for a person; typed blind as 74 it is settled.
    doubtful = boxes(None, {7: 0.6, 2: 0.4}, 4)
    alone = decide({"suara_paslon_1": Evidence("suara_paslon_1", doubtful)}, PPWP)["suara_paslon_1"]
    typed = decide({"suara_paslon_1": Evidence("suara_paslon_1", doubtful, human=74)}, PPWP)["suara_paslon_1"]
    assert (alone.value, alone.accepted) == (74, False)
    assert (typed.value, typed.accepted, typed.agreeing) == (74, True, ("human",))


def test_a_blind_reading_agreeing_with_the_decoded_reading_settles_it_where_the_digits_alone_differ() -> None:
    # The tens box leans to 7 (74) but the bubbles spell 24: the machine's reading is 24, not yet settled.
    # The officer, paper in hand, types 24: two independent readings agree.
    doubtful = boxes(None, {7: 0.55, 2: 0.45}, 4)
    alone = decide({"suara_paslon_1": Evidence("suara_paslon_1", doubtful, omr=24)}, PPWP)["suara_paslon_1"]
    typed = decide({"suara_paslon_1": Evidence("suara_paslon_1", doubtful, omr=24, human=24)}, PPWP)
    assert (alone.value, alone.accepted) == (24, False)
    assert (typed["suara_paslon_1"].value, typed["suara_paslon_1"].accepted) == (24, True)
    assert set(typed["suara_paslon_1"].agreeing) == {"omr", "human"}


def test_a_blind_reading_never_moves_a_number_away_from_what_the_photo_reads() -> None:
    # The officer typed 24 (the reader's second choice): both readings go to the next officer.
    doubtful = boxes(None, {7: 0.6, 2: 0.4}, 4)
    out = decide({"suara_paslon_1": Evidence("suara_paslon_1", doubtful, human=24)}, PPWP)["suara_paslon_1"]
    assert not out.accepted
    assert out.reason is not None and "24" in out.reason and "74" in out.reason


def test_a_blind_reading_of_a_number_the_reader_never_considered_goes_to_review() -> None:
    ev = {"suara_paslon_1": Evidence("suara_paslon_1", written(74), human=748)}
    assert (decide(ev, PPWP)["suara_paslon_1"].value, decide(ev, PPWP)["suara_paslon_1"].accepted) == (
        74,
        False,
    )


def test_a_blind_reading_does_not_settle_a_number_a_check_breaks() -> None:
    # V.A + V.B = V.C, but the total was written 1 too high: typing what is written settles nothing.
    ev = page3(120, 4, 125)
    ev["suara_total"] = Evidence("suara_total", written(125), human=125)
    out = decide(ev, PPWP)
    assert not out["suara_total"].accepted


def test_a_check_broken_only_by_a_disputed_partner_does_not_hold_back_what_two_readings_settle() -> None:
    # bench/kpps.py: V.C misread 126 (written 125), the officer typed 125, 120 and 5. V.C goes to the next
    # officer with both readings; 120 and 5, each read alike by the machine and the person, were held back
    # by the broken V.A + V.B = V.C (82 of the 225 fields left to the PPS), though it holds on the people's
    # numbers.
    ev = page3(120, 5, 125, suara_total=written(126))
    typed = {"suara_sah": 120, "suara_tidak_sah": 5, "suara_total": 125}
    out = decide({n: replace(e, human=typed[n]) for n, e in ev.items()}, PPWP)
    assert (out["suara_total"].value, out["suara_total"].accepted) == (126, False)
    assert "125" in (out["suara_total"].reason or "") and "126" in (out["suara_total"].reason or "")
    assert (out["suara_sah"].accepted, out["suara_tidak_sah"].accepted) == (True, True)
    # Typed 127 (a slip): the people's numbers break the check too, so nothing in it is settled.
    slip = typed | {"suara_total": 127}
    slipped = decide({n: replace(e, human=slip[n]) for n, e in ev.items()}, PPWP)
    assert not any(d.accepted for d in slipped.values())


def test_a_box_read_blank_still_answers_to_the_arithmetic() -> None:
    # bench/kpps.py TPS 0: DPK 4 + 4 = 8, the jumlah's "8" read blank at 0.89. A blank escaped every check
    # (it cannot be judged), so the machine's reading stayed "blank" and the KPPS's 8 went to the PPS.
    # A blank adds nothing to a sum: 4 + 4 = blank breaks the row, and the machine reads 8 (still in doubt,
    # the arithmetic picked it over the handwriting), which the KPPS's blind 8 then settles.
    row = {
        "pemilih_dpk_l": written(4),
        "pemilih_dpk_p": written(4),
        "pemilih_dpk_j": boxes(None, None, {BLANK_CLASS: 0.89, 8: 0.11}),
    }
    alone = decide({n: Evidence(n, p) for n, p in row.items()}, PPWP)["pemilih_dpk_j"]
    assert (alone.value, alone.accepted) == (8, False)
    asked = {n: Evidence(n, p, human=8 if n == "pemilih_dpk_j" else None) for n, p in row.items()}
    typed = decide(asked, PPWP)["pemilih_dpk_j"]
    assert (typed.value, typed.accepted) == (8, True)
    # A box surely blank stays blank, whatever the sum wants.
    row["pemilih_dpk_j"] = boxes(None, None, None)
    assert decide({n: Evidence(n, p) for n, p in row.items()}, PPWP)["pemilih_dpk_j"].value is None


def test_a_value_the_arithmetic_needs_is_found_beyond_the_eight_likeliest() -> None:
    # bench/kpps.py: "130" read as 180 (a 3 read as 8). 130 was the tenth most likely value of its boxes, so
    # the decoder never tried it though 125 + 5 = V.C points to it; the KPPS's blind 130 went to the PPS.
    tens = {8: 0.9, 3: 0.009, **dict.fromkeys((0, 1, 2, 4, 5, 6, 7, 9, BLANK_CLASS), 0.01)}
    ev = page3(125, 5, 130, suara_total=boxes(1, tens, 0))
    alone = decide(ev, PPWP)["suara_total"]
    assert (alone.value, alone.accepted) == (130, False)  # the arithmetic's pick, shown to a person first
    ev["suara_total"] = replace(ev["suara_total"], human=130)
    assert decide(ev, PPWP)["suara_total"].accepted


@given(
    value=st.integers(0, 290),
    box=st.integers(0, 2),
    wrong=st.integers(0, 9),
    p_wrong=st.floats(0.5, 1.0),
    typo=st.one_of(st.none(), st.integers(0, 999)),
)
def test_a_misread_box_is_never_accepted_wrong_by_what_a_person_typed(
    value: int, box: int, wrong: int, p_wrong: float, typo: int | None
) -> None:
    """Typed right, a misread goes to review. Typed wrong, a wrong number is accepted only where the typo
    lands exactly on the machine's own reading (two readings wrong the same way, what HUMAN_MISS prices): a
    person's number alone never moves the value."""
    probs = written(value).copy()
    row = np.full(11, (1 - p_wrong) / 10)
    row[wrong] = p_wrong
    probs[box] = row
    typed = value if typo is None else typo
    out = decide({"suara_paslon_1": Evidence("suara_paslon_1", probs, human=typed)}, PPWP)["suara_paslon_1"]
    if out.accepted and out.value != value:
        machine = decide({"suara_paslon_1": Evidence("suara_paslon_1", probs)}, PPWP)["suara_paslon_1"].value
        assert typo is not None and typed == out.value == machine


def test_one_writers_confusion_twice_in_a_check_confirms_nothing() -> None:
    # Found by bench/ocr.py (seed 47001 #177, moderate): 270 = 1 + 76 + 193 written by a hand whose 7 reads
    # as 1. The sisa box read "1" surely (16), the diterima tens box "1" at 0.93: 210 = 1 + 16 + 193 held,
    # and 210 was counted. The same confusion in both makes the arithmetic blind to it.
    ballots = {
        "surat_diterima": boxes(2, {1: 0.93, 7: 0.06, 0: 0.01}, 0),
        "surat_dikembalikan": written(1),
        "surat_sisa": written(16),
        "surat_digunakan": written(193),
    }
    out = decide({n: Evidence(n, p) for n, p in ballots.items()}, PPWP)
    assert out["surat_diterima"].value == 210 and not out["surat_diterima"].accepted
    # The sure 16 is the same confusion: once a partner at 0.93 may vouch (PARTNER_MIN 0.8), the doubt in
    # diterima's box must hold back sisa too (bench/ocr.py counted 16 for 76 before the twin looked there).
    assert out["surat_sisa"].value == 16 and not out["surat_sisa"].accepted
    # A doubtful box whose digit no partner has (the 2 of 270 = 1 + 76 + 193) still lets the check vouch.
    clear = {**ballots, "surat_sisa": written(76), "surat_diterima": boxes({2: 0.93, 3: 0.07}, 7, 0)}
    out = decide({n: Evidence(n, p) for n, p in clear.items()}, PPWP)
    assert (out["surat_diterima"].value, "cek:ballots" in out["surat_diterima"].agreeing) == (270, True)
