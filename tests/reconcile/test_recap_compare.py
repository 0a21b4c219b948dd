"""Keyed recaps (D.Hasil) against the roll-up, and several uploads of one TPS."""

from __future__ import annotations

import dataclasses

from reconcile_sheets import consistent, with_values

from reconcile.compare import Agreement, consensus
from reconcile.contest import builtin_contest
from reconcile.flags import Rule
from reconcile.ids import RegionCode, SheetId, tps_id
from reconcile.recap import KeyedRecap, check_recaps
from reconcile.regions import RegionTree
from reconcile.report import reconcile
from reconcile.sheet import Source

PPWP = builtin_contest("ppwp-2024")
KEC = RegionCode("31.73.04")
NORTH, SOUTH = RegionCode("31.73.04.1007"), RegionCode("31.73.04.1008")
TREE = RegionTree.from_rows(
    [
        ("31", "DKI"),
        ("31.73", "Jakbar"),
        ("31.73.04", "Kebon Jeruk"),
        (NORTH, "Kedoya Utara"),
        (SOUTH, "Selatan"),
    ]
)
N1, N2, S1 = tps_id(NORTH, 1), tps_id(NORTH, 2), tps_id(SOUTH, 1)
SHEETS = [
    consistent(PPWP, tps=N1, votes=(74, 80, 36)),
    consistent(PPWP, tps=N2, votes=(60, 90, 40)),
    consistent(PPWP, tps=S1, votes=(10, 120, 60)),
]


def test_matching_recaps_raise_nothing() -> None:
    rollup = reconcile(TREE, SHEETS, PPWP).rollup
    keyed = [KeyedRecap(KEC, PPWP.id, {"suara_paslon_1": 144, "suara_paslon_2": 290, "suara_sah": 570})]
    assert check_recaps(rollup, keyed) == []


def test_recap_mismatch_names_the_child_whose_own_recap_differs() -> None:
    rollup = reconcile(TREE, SHEETS, PPWP).rollup
    keyed = [
        KeyedRecap(KEC, PPWP.id, {"suara_paslon_1": 818}),  # 74 keyed as 748 at Kedoya Utara's recap
        KeyedRecap(NORTH, PPWP.id, {"suara_paslon_1": 808}),
        KeyedRecap(SOUTH, PPWP.id, {"suara_paslon_1": 10}),
    ]
    flags = check_recaps(rollup, keyed)
    assert [(f.region, f.rule, f.expected, f.actual) for f in flags] == [
        (KEC, Rule.RECAP_MISMATCH, 818, 144),
        (NORTH, Rule.RECAP_MISMATCH, 808, 134),
    ]
    assert "tertulis 818, hitungan TPS 144 (selisih +674). Periksa 31.73.04.1007." in flags[0].hint


def test_recap_mismatch_points_at_the_child_with_uncounted_tps() -> None:
    pending = dataclasses.replace(SHEETS[2], pages=frozenset({1, 2}))
    rollup = reconcile(TREE, [*SHEETS[:2], pending], PPWP).rollup
    (flag,) = check_recaps(rollup, [KeyedRecap(KEC, PPWP.id, {"suara_paslon_1": 144})])
    assert (flag.expected, flag.actual) == (144, 134) and flag.hint.endswith("Periksa 31.73.04.1008.")


def test_two_agreeing_uploads_agree_and_a_single_reading_is_single() -> None:
    first = consistent(PPWP, tps=N1)
    second = dataclasses.replace(with_values(first, suara_sah=None), id=SheetId("s-2"))
    settled = consensus([first, second], PPWP)
    assert settled.flags == ()
    assert settled.field("suara_paslon_1").agreement is Agreement.AGREE
    assert settled.field("suara_sah").agreement is Agreement.SINGLE
    assert settled.sheet.values == first.values


def test_disagreeing_uploads_leave_the_field_pending_until_a_correction() -> None:
    first = consistent(PPWP, tps=N1)
    second = dataclasses.replace(with_values(first, suara_paslon_2=30), id=SheetId("s-2"))
    settled = consensus([first, second], PPWP)
    (flag,) = settled.flags
    assert (flag.rule, flag.expected, flag.actual) == (Rule.UPLOAD_CONFLICT, 80, 30)
    assert settled.sheet.values["suara_paslon_2"] is None
    old_fix = dataclasses.replace(with_values(first, suara_paslon_2=31), id="c1", source=Source.CORRECTION)
    new_fix = dataclasses.replace(first, id="c2", source=Source.CORRECTION, version=2)
    fixed = consensus([first, second, new_fix, old_fix], PPWP)
    assert fixed.flags == () and fixed.field("suara_paslon_2").agreement is Agreement.CORRECTED
    assert fixed.sheet.values["suara_paslon_2"] == 80 and fixed.sheet.id == "c2"


def test_a_later_decode_of_the_same_photos_supersedes_and_another_photo_must_agree() -> None:
    """Issue 18, finding 2: page 2 read alone (114), then decoded again with page 3 (124, as the paper
    says) is one upload read better, not two that disagree. A different photo of page 2 still must agree."""
    alone = dataclasses.replace(
        with_values(consistent(PPWP, tps=N1), suara_paslon_2=114),
        id=SheetId("p2"), basis=frozenset({"a", "b"}), version=1, doubtful=frozenset({"suara_paslon_2"}),
    )  # fmt: skip
    joint = dataclasses.replace(consistent(PPWP, tps=N1), id=SheetId("p3"), basis=frozenset("abc"), version=2)
    settled = consensus([joint, alone], PPWP)
    assert settled.flags == () and settled.sheet.id == "p3"
    assert settled.field("suara_paslon_2").value == 80 and settled.sheet.doubtful == frozenset()
    # A blind settle decodes the same photos again (version 3): it supersedes the joint decode too.
    blind = dataclasses.replace(joint, id=SheetId("b1"), version=3)
    assert consensus([alone, joint, blind], PPWP).sheet.id == "b1"
    # A retake of page 2 (photo "d" instead of "b") is another upload: its number must agree.
    retake = dataclasses.replace(
        with_values(joint, suara_paslon_2=30), id=SheetId("r"), basis=frozenset("adc"), version=4
    )
    (flag,) = consensus([alone, joint, retake], PPWP).flags
    assert (flag.rule, flag.expected, flag.actual) == (Rule.UPLOAD_CONFLICT, 80, 30)
    # Sheets without a basis (synthetic, keyed) are never superseded, whatever their version.
    keyed = dataclasses.replace(
        with_values(joint, suara_paslon_2=30), id=SheetId("k"), basis=frozenset(), version=9
    )
    assert consensus([keyed, dataclasses.replace(keyed, id=SheetId("k2"), version=10)], PPWP).flags == ()
    assert (
        consensus([dataclasses.replace(keyed, version=1), joint], PPWP).field("suara_paslon_2").value is None
    )
