"""Joint decoding: the most probable reading of a TPS under the contest's checks, and the decision to
accept a field or send it to a person.

Each field's three digit boxes give a distribution over its value (0–999, or blank): a leading box may hold
an X (class 10) or a 0. The contest's declarative checks (EQUAL / AT_MOST, `reconcile.contest`) tie the
fields together; the OMR bubbles and the tally subtotals are independent readings of the same number, and so
is a person's blind reading: the number a KPPS or PPS officer typed from the paper (or the crop) before seeing
what the machine read.

The model behind the decision: the officer's numbers obey every check unless the officer made a slip
(prior ``SLIP_SMALL`` for a check off by a few, ``SLIP_LARGE`` for one off by more: an arithmetic slip is
usually small, a misread hundreds digit is not); the bubbles, the tally and a person's blind reading misread
rarely (``OMR_MISS``, ``TALLY_MISS``, ``HUMAN_MISS``). Under that model each field gets a posterior given
everything else on the page(s), and the most probable assignment is found by coordinate ascent with pair
moves.

A field is ``accepted`` only when all of these hold, otherwise it goes to ``review`` with the reason:
1. the decoder kept the value its own digits read best (a value the arithmetic picked over the
   handwriting always goes to a person, shown first);
2. its posterior given the rest of the page is ≥ MIN_POSTERIOR;
3. no check it takes part in is broken and no independent reading disagrees (for a field a person read
   blind as the machine did, a check is judged with the people's numbers in it: a check broken only by a
   partner where a person and the machine disagree, which goes to the next officer, holds);
4. at least one independent reading agrees: a bubble column, a tally sum or a blind human reading equal to
   it, or an EQUAL check (`vouches`) that holds with every other field in it read as its own digits say (at
   ≥ PARTNER_MIN; moved by the arithmetic to a value they gave ≥ MOVED_MIN) and caught in no broken check,
   or pinned to its value by another check of such fields without this one; and that no one writer's
   confusion made twice (`same_hand_twin`) nor two misreads, each plausible or jointly a rival of the pair
   read (`two_misreads_balance`), could balance as well;
5. a field with a box flag the classifier cannot see past (`UNSEEN_INK`: two digits in a box, ink beside
   it) has a witness that reads the number apart from its boxes: the bubbles, the tally, a person, or such
   a check none of whose other fields is flagged (one officer's habit flags a whole row alike).
A wrong number thus needs a confident misread that the bubbles or the arithmetic confirm by coincidence.
A person's number never overrules the photo: a typed value other than the machine's own decoded reading (the
page decoded without the person) fails rule 1 and goes to the next officer with both readings (the 2024
lesson: one tired "sesuai" must not settle a number alone).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from itertools import product

import numpy as np
from numpy.typing import NDArray

from reconcile.contest import Check, Contest, Relation

BLANK_CLASS = 10
MIN_POSTERIOR = 0.995
PARTNER_MIN = 0.8  # a field vouches for its check partners only when its own digits read it this surely
MOVED_MIN = 0.1  # … or, when the arithmetic moved it, when its digits gave the value it moved to this much
BOX_SURE = 0.95  # a box read below this is doubtful: its runner-up may be one writer's confusion (twins)
PLAUSIBLE = 0.005  # a value its digits give this much may be what was written: a check must rule it out
RIVAL = 1e-3  # two misreads this likely, jointly, beside the pair read are a rival reading of a check
TOP_K = 16  # values per field the decoder considers; the rest of the mass counts as "something else"
SHOWN = 5  # candidates kept in a decision for the reviewer
SLIP_SMALL = 0.02  # P(an officer's check is off by ≤ SMALL_SLIP) — e.g. a units digit mis-added
SLIP_LARGE = 0.002  # P(off by more): a hundred-vote arithmetic slip is rarer than a misread hundreds box
SMALL_SLIP = 10
OMR_MISS = 0.01  # P(legible bubbles spell another number than the one written)
TALLY_MISS = 0.05  # P(a legible tally sum differs from the number written)
# P(a person typing blind from the paper lands on one particular wrong value). Officers slip in ~2-3 % of
# numbers (a typo, the neighbouring row), but a slip spreads over many values: landing exactly on the one
# the reader confused is far rarer.
HUMAN_MISS = 0.005
MAX_SWEEPS = 4
# Ink a digit box's classifier cannot see past, and what the reviewer is told. A flagged field needs a
# witness that reads the number another way: a person's blind reading, the bubbles, the tally, or a check
# none of whose other fields is flagged (one officer who wrote every number of a row a box to the right,
# units outside, makes 125 + 103 = 228 read 12 + 10 = 22, which holds).
NO_WITNESS = "Belum ada bacaan lain (bulatan/penjumlahan) yang menguatkan angka ini."
UNSEEN_INK = {
    "two_digits": "Ada dua angka dalam satu kotak — periksa angka ini.",
    "ink_outside": "Ada coretan di luar kotak angka — periksa apakah ada angka tambahan.",
}

_VALUES = np.arange(1000)
_DIGITS = np.stack([_VALUES // 100, _VALUES // 10 % 10, _VALUES % 10], axis=1)  # 1000×3

Value = int | None
Dist = list[tuple[Value, float]]


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the page says about one field: digit-box probabilities (3×11) and independent readings."""

    name: str
    probs: NDArray[np.float64]
    omr: int | None = None  # the total the bubbles spell, None when not legible or not on the page
    tally: int | None = None  # Σ of the row subtotals / marks, None when not legible
    human: int | None = None  # what an officer typed blind from the paper, None when nobody was asked
    # Box flags for ink the classifier cannot see past (`UNSEEN_INK`): two digits in one box, ink beside it.
    flags: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Decision:
    name: str
    value: int | None
    posterior: float
    accepted: bool
    candidates: tuple[tuple[int | None, float], ...]
    reason: str | None = None
    agreeing: tuple[str, ...] = field(default=())  # which independent readings agreed


def value_distribution(probs: NDArray[np.float64], k: int = TOP_K) -> Dist:
    """The k most probable values of a field, normalised over all 1000 values and blank."""
    p = np.clip(np.asarray(probs, dtype=np.float64), 1e-9, 1.0)
    logp = np.log(p)
    n_boxes = p.shape[0]
    digits = _DIGITS[:, 3 - n_boxes :]
    vals = _VALUES[: 10**n_boxes]
    digits = digits[: len(vals)]
    score = np.zeros(len(vals))
    leading = np.ones(len(vals), dtype=bool)
    for b in range(n_boxes):
        d = digits[:, b]
        as_digit = logp[b, d]
        # An unused leading box is crossed out (X) or, by some officers, written as 0.
        is_lead_zero = leading & (d == 0) & (b < n_boxes - 1)
        as_blank = np.where(is_lead_zero, logp[b, BLANK_CLASS], -np.inf)
        score += np.maximum(as_digit, as_blank)
        leading &= d == 0
    blank = float(logp[:, BLANK_CLASS].sum())
    all_scores = np.append(score, blank)
    z = np.exp(all_scores - all_scores.max())
    z /= z.sum()
    order = np.argsort(-z)[:k]
    return [(None if i == len(vals) else int(i), float(z[i])) for i in order]


def _gap(check: Check, values: dict[str, Value], *, blank_as_zero: bool = False) -> int | None:
    """How far a check is from holding (0 = holds); None when a field of it has no value yet, unless
    `blank_as_zero` (a box read blank adds nothing to a sum)."""
    if not blank_as_zero and any(values.get(n) is None for n in check.fields()):
        return None
    left = sum(values[n] or 0 for n in check.left)
    right = sum(values[n] or 0 for n in check.right)
    if check.relation is Relation.EQUAL:
        return abs(left - right)
    bound = check.bound(right) if check.right else check.limit
    return 0 if bound is None else max(0, left - bound)


def check_holds(check: Check, values: dict[str, Value]) -> bool | None:
    """True/False when every field of the check has a value, None when it cannot be judged yet."""
    gap = _gap(check, values)
    return None if gap is None else gap == 0


def _slip(gap: int | None) -> float:
    """The prior weight of a check's state: 1 when it holds or cannot be judged, else an officer's slip."""
    if not gap:
        return 1.0
    return SLIP_SMALL if gap <= SMALL_SLIP else SLIP_LARGE


def _applicable(contest: Contest, names: Iterable[str]) -> list[Check]:
    present = set(names)
    return [c for c in contest.checks if set(c.fields()) <= present]


def max_value(contest: Contest) -> int:
    """No number on a TPS's form can exceed its largest DPT plus the 2% ballot reserve."""
    return contest.max_dpt + math.ceil(contest.max_dpt * 0.02)


class _Page:
    """The decoding problem: each field's candidate values, the checks, the independent readings."""

    def __init__(self, evidence: dict[str, Evidence], checks: list[Check], limit: int) -> None:
        self.evidence = evidence
        self.dists = {n: value_distribution(e.probs) for n, e in evidence.items()}
        self.checks = checks
        self.limit = limit
        self.of = {n: [c for c in checks if n in c.fields()] for n in evidence}

    def own_weight(self, name: str, value: Value, p: float) -> float:
        """The digits' probability times what the bubbles and the tally say about `value`."""
        ev = self.evidence[name]
        w = p if value is None or value <= self.limit else 0.0
        if ev.omr is not None:
            w *= 1.0 if ev.omr == value else OMR_MISS
        if ev.tally is not None:
            w *= 1.0 if ev.tally == value else TALLY_MISS
        if ev.human is not None:
            w *= 1.0 if ev.human == value else HUMAN_MISS
        return w

    def weights(self, name: str, values: dict[str, Value]) -> tuple[Dist, float]:
        """Each candidate of `name` weighted given the others' values, and the weight of 'none of them'."""
        out: Dist = []
        trial = dict(values)
        for v, p in self.dists[name]:
            trial[name] = v
            w = self.own_weight(name, v, p)
            for c in self.of[name]:
                w *= _slip(_gap(c, trial, blank_as_zero=True))
            out.append((v, w))
        rest = max(0.0, 1.0 - sum(p for _, p in self.dists[name]))
        if any(c.relation is Relation.EQUAL for c in self.of[name]):
            rest *= SLIP_SMALL  # any value not listed breaks the EQUAL check it takes part in
        ev = self.evidence[name]
        listed = {v for v, _ in self.dists[name]}
        if ev.omr is not None and ev.omr in listed:
            rest *= OMR_MISS  # … and disagrees with the bubbles (when those spell a listed value)
        if ev.tally is not None and ev.tally in listed:
            rest *= TALLY_MISS
        if ev.human is not None and ev.human in listed:
            rest *= HUMAN_MISS
        return out, rest

    def score(self, values: dict[str, Value]) -> float:
        total = 0.0
        for n, v in values.items():
            p = next(q for u, q in self.dists[n] if u == v)
            total += math.log(max(self.own_weight(n, v, p), 1e-300))
        for c in self.checks:
            total += math.log(_slip(_gap(c, values, blank_as_zero=True)))
        return total

    def best(self) -> dict[str, Value]:
        """Coordinate ascent from each field's own best, then pair moves inside each broken check."""
        values = {n: self._own_best(n) for n in self.dists}
        for _ in range(MAX_SWEEPS):
            changed = False
            for n in self.dists:
                w, _ = self.weights(n, values)
                top = max(w, key=lambda t: t[1])[0]
                if top != values[n]:
                    values[n], changed = top, True
            for c in self.checks:
                if not check_holds(c, values):
                    changed |= self._pair_move(c, values)
            if not changed:
                break
        return values

    def _own_best(self, name: str) -> Value:
        return max(((v, self.own_weight(name, v, p)) for v, p in self.dists[name]), key=lambda t: t[1])[0]

    def _pair_move(self, check: Check, values: dict[str, Value]) -> bool:
        """Two fields of a broken check changed together, when that scores better (two misreads)."""
        base = self.score(values)
        best: tuple[float, dict[str, Value]] | None = None
        names = check.fields()
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                for va, _ in self.dists[a]:
                    for vb, _ in self.dists[b]:
                        trial = {**values, a: va, b: vb}
                        if check_holds(check, trial):
                            s = self.score(trial)
                            if s > base and (best is None or s > best[0]):
                                best = (s, trial)
        if best is None:
            return False
        values.update(best[1])
        return True


def decide(evidence: dict[str, Evidence], contest: Contest) -> dict[str, Decision]:
    """Decode the fields at hand (one page, or all pages of a TPS) and decide each one."""
    page = _Page(evidence, _applicable(contest, evidence), max_value(contest))
    own = {n: d[0][0] for n, d in page.dists.items()}
    chosen = page.best()
    # What a person's blind reading must agree with is the machine's own decoded reading: the page decoded
    # without it (digits, bubbles, tally and checks), not the digits alone.
    machine = own
    if any(e.human is not None for e in evidence.values()):
        alone = {n: replace(e, human=None) for n, e in evidence.items()}
        machine = _Page(alone, page.checks, page.limit).best()
    # A check confirms a field only through partners caught in no broken check (one in a mismatch may be the
    # misread itself) whose own digits make their value likely: read so at ≥ PARTNER_MIN, or, for a partner
    # the arithmetic moved off what it read, giving the value it moved to ≥ MOVED_MIN (then what it read is
    # a rival `two_misreads_balance` weighs, and its misread a confusion `same_hand_twin` tries elsewhere).
    # Two X boxes both misread as 8 (one writer's X, read the same way twice) can make 3 + 85 = 88 hold: the
    # twin rule stops a doubtful 88 vouching for 85. PARTNER_MIN stays 0.8 for what no rule models: at 0.5
    # a 209 read at 0.70 (three doubtful boxes) vouched for 1 in 289 = 206 + 2 + 81, one writer's 8 read as
    # 0 and as X (bench/ocr.py seed 31341 #633). A partner whose boxes carry a flag (ink the classifier
    # cannot see) and that the arithmetic moved is doubly unread: 140 moved to 240 vouched for 113 in
    # 115 + 127 = 242 (#4128, page 1 alone).
    broken_fields = {n for c in page.checks if check_holds(c, chosen) is False for n in c.fields()}
    sound = {
        n
        for n, d in page.dists.items()
        if n not in broken_fields
        and not (evidence[n].flags and chosen[n] != own[n])
        and dict(d).get(chosen[n], 0.0) >= (PARTNER_MIN if chosen[n] == own[n] else MOVED_MIN)
    }
    # A partner the arithmetic moved, or read doubtfully, still vouches when another check pins its value
    # from sound fields alone, a check without the field vouched for (no circle): V.C = ballots used pins a
    # doubtful "ballots used", which then vouches in the ballot sum for the ballots returned.
    pins = {
        n: [c for c in page.of[n] if vouches(c, n, lambda o, *_: o in sound, evidence, page, chosen)]
        for n in page.dists
        if n not in sound and n not in broken_fields and chosen[n] is not None and not evidence[n].flags
    }

    def stands(partner: str, check: Check, name: str) -> bool:
        pinned_by = pins.get(partner, ())
        return partner in sound or any(p is not check and name not in p.fields() for p in pinned_by)

    # What the people typed, over the decoded values: a check broken only by a field where a person and the
    # machine disagree (that field goes to the next officer with both readings) holds on the people's numbers.
    said = chosen | {n: e.human for n, e in evidence.items() if e.human is not None}
    out: dict[str, Decision] = {}
    for name, ev in evidence.items():
        value = chosen[name]
        # A field a person read as the machine did is judged on the people's numbers; others as decoded.
        view = said if ev.human is not None and ev.human == value else chosen
        weights, rest = page.weights(name, view)
        z = sum(w for _, w in weights) + rest
        post = [(v, w / z if z > 0 else 0.0) for v, w in sorted(weights, key=lambda t: -t[1])]
        posterior = next((p for v, p in post if v == value), 0.0)
        agreeing: list[str] = []
        if ev.omr is not None and ev.omr == value:
            agreeing.append("omr")
        if ev.tally is not None and ev.tally == value:
            agreeing.append("tally")
        if ev.human is not None and ev.human == value:
            agreeing.append("human")
        mine = page.of[name]
        broken = [c for c in mine if check_holds(c, chosen) is False and check_holds(c, view) is not True]
        sees_ink = bool(agreeing)  # the bubbles, the tally or a person read the number apart from its boxes
        for c in mine:
            if vouches(c, name, stands, evidence, page, chosen):
                agreeing.append(f"cek:{c.rule.value}")
                sees_ink |= not any(evidence[o].flags for o in c.fields() if o != name)
        read = machine[name] if ev.human is not None else own[name]
        reason = _reason(ev, value, post, read, posterior, broken, agreeing)
        if ev.flags and not sees_ink and reason in (None, NO_WITNESS):  # the ink says more than "no witness"
            reason = UNSEEN_INK[min(ev.flags)]
        if reason is None and value is not None and value > page.limit:
            reason = f"Angka {value} melebihi batas {page.limit} untuk satu TPS — kemungkinan salah baca."
        out[name] = Decision(
            name, value, posterior, reason is None, tuple(post[:SHOWN]), reason, tuple(agreeing)
        )
    return out


def vouches(
    check: Check,
    name: str,
    stands: Callable[[str, Check, str], bool],
    evidence: dict[str, Evidence],
    page: _Page,
    chosen: dict[str, Value],
) -> bool:
    """Does an EQUAL check confirm `name`'s value? It holds; every other field of it stands (`stands(partner,
    check, name)`: in `decide`, sound — in no broken check, its digits giving its value ≥ PARTNER_MIN, or
    ≥ MOVED_MIN where the arithmetic moved it — or pinned by another check); and neither one writer's
    confusion made twice nor two misreads could balance it as well."""
    return (
        check.relation is Relation.EQUAL
        and bool(check_holds(check, chosen))
        and all(o == name or stands(o, check, name) for o in check.fields())
        and not same_hand_twin(check, name, evidence, chosen)
        and not two_misreads_balance(check, name, page.dists, chosen)
    )


def _doubtful_boxes(ev: Evidence) -> list[tuple[int, int, int]]:
    """(box, read digit, runner-up digit) of each box of the field read below BOX_SURE. A runner-up X
    counts as a 0 too: an X in a leading box is a leading 0 of the value, and one writer's X read as 8 twice
    (3 + 85 = 88 for 3 + 5 = 8, bench/ocr.py seed 31337 #939) is the same confusion in two fields."""
    out = []
    for b, row in enumerate(ev.probs):
        top = int(np.argmax(row))
        if top == BLANK_CLASS or row[top] >= BOX_SURE:
            continue
        order = [int(k) for k in np.argsort(-row) if int(k) != top]
        if order[0] == BLANK_CLASS and top != 0:  # a 0 whose runner-up is X is the same number
            out.append((b, top, 0))
        out.append((b, top, next(k for k in order if k != BLANK_CLASS)))
    return out


def _confusions(ev: Evidence, digits: str) -> list[tuple[int, int, int]]:
    """(the field as the writer may have meant it, digit read, digit meant) for each confusion its boxes
    show: a doubtful box read as `digits` says (meant: its runner-up), and a box the arithmetic moved off
    what it read (meant: the digit the decoder chose, the field itself as chosen)."""
    out = []
    for box, read, other in _doubtful_boxes(ev):
        if digits[box] == str(read):
            out.append((int(digits[:box] + str(other) + digits[box + 1 :]), read, other))
    for box, row in enumerate(ev.probs):
        top = int(np.argmax(row))
        if top != BLANK_CLASS and str(top) != digits[box]:
            out.append((int(digits), top, int(digits[box])))
    return out


def _swapped(value: int, read: int, other: int) -> set[int]:
    """`value` with any of its digits `read` written `other` instead (the same hand, the same confusion)."""
    digits = str(value)
    spots = [i for i, ch in enumerate(digits) if ch == str(read)]
    out = set()
    for mask in range(1, 1 << len(spots)):
        chars = list(digits)
        for j, i in enumerate(spots):
            if mask >> j & 1:
                chars[i] = str(other)
        out.add(int("".join(chars)))
    return out


def same_hand_twin(check: Check, name: str, evidence: dict[str, Evidence], chosen: dict[str, Value]) -> bool:
    """Can one writer's confusion explain the check holding? A doubtful box of any field of the check read
    `d` (runner-up `e`): when that field with `e`, and the others with some of their `d` boxes read as `e`
    (`name` among them), satisfy the check too, the arithmetic cannot tell the two apart — a writer whose 7
    reads as 1 writes 270 = 1 + 76 + 193 that reads 210 = 1 + 16 + 193 (bench/ocr.py, seed 47001 #177).
    The doubt may sit in `name` (the 1 of 210 at 0.93) or in a partner (then it is 16, its 1 read surely,
    that the confusion explains). A box the arithmetic moved off what it read is a confusion shown outright
    (read `d`, meant the chosen `e`: `_confusions`); the field's own other `d` boxes may be `e` as well. The
    check then vouches for nothing."""
    if chosen.get(name) is None:
        return False
    fields = check.fields()
    for source in fields:
        value = chosen.get(source)
        if value is None:
            continue
        digits = f"{value:0{len(evidence[source].probs)}d}"
        others = [o for o in fields if o != source]
        for twin, read, other in _confusions(evidence[source], digits):
            options: list[list[Value]] = [
                [v, *sorted(_swapped(v, read, other))] if (v := chosen[o]) is not None else [None]
                for o in others
            ]
            # The writer's other `read` digits, in this field too, may be the same confusion.
            for combo in product([twin, *sorted(_swapped(twin, read, other))], *options):
                trial = {**chosen, **dict(zip([source, *others], combo, strict=True))}
                if trial[name] != chosen[name] and check_holds(check, trial):
                    return True
    return False


def two_misreads_balance(check: Check, name: str, dists: dict[str, Dist], chosen: dict[str, Value]) -> bool:
    """Could `name` and one partner both be misread and the check still hold? Each with another value its
    digits make plausible (≥ PLAUSIBLE): 124 + 6 = 130 read for 129 + 1 = 130 (4 at 0.81, 9 at 0.19; 6 at
    0.94, 1 at 0.03: bench/ocr.py seed 31339 #1706); or a pair of other values whose joint probability is
    within RIVAL of the pair read: a field read surely beside a doubtful partner (the 6 at 0.55) is vouched
    for only when no unlikely misread of its own pairs with the partner's likely one. Two different
    confusions that balance are rarer than one, but a check that cannot tell them apart vouches for neither
    field; a field read surely beside sure partners is still vouched for by it."""
    prob = {n: dict(dists[n]) for n in check.fields()}
    for mine, p_mine in dists[name]:
        if mine == chosen[name]:
            continue
        for other in check.fields():
            if other == name:
                continue
            read = prob[name].get(chosen[name], 0.0) * prob[other].get(chosen[other], 0.0)
            for theirs, p_theirs in dists[other]:
                if theirs == chosen[other]:
                    continue
                plausible = min(p_mine, p_theirs) >= PLAUSIBLE or p_mine * p_theirs >= RIVAL * read
                if plausible and check_holds(check, {**chosen, name: mine, other: theirs}):
                    return True
    return False


def _reason(
    ev: Evidence,
    value: Value,
    post: Dist,
    own: Value,
    posterior: float,
    broken: list[Check],
    agreeing: list[str],
) -> str | None:
    """Why this field needs a person (Bahasa Indonesia), or None when it may be accepted."""
    if ev.human is not None and ev.human != own:
        # Both readings go to the next officer side by side; neither wins alone.
        machine = "mesin tidak dapat membacanya" if own is None else f"mesin membaca {own}"
        return f"Petugas menulis {ev.human}, {machine} — putuskan dari foto."
    if value is None:
        return "Kotak angka kosong atau tidak terbaca — isi/periksa angka ini."
    if own is not None and own != value and ev.omr == own:
        return f"Angka terbaca {own}, tetapi aturan penjumlahan menunjuk {value} — periksa angka ini."
    if ev.omr is not None and ev.omr != value:
        return f"Bulatan OMR menunjukkan {ev.omr}, angka tulisan terbaca {value} — periksa keduanya."
    if ev.tally is not None and ev.tally != value and ev.omr != value:  # bubbles outweigh a tally misread
        return f"Jumlah turus/jumlah tiap baris {ev.tally} tidak sama dengan angka {value}."
    if broken:
        return broken[0].hint or "Angka ini tidak cocok dengan aturan penjumlahan formulir."
    if value != own:
        return f"Angka terbaca {own}, tetapi bacaan lain menunjuk {value} — periksa angka ini."
    if posterior < MIN_POSTERIOR:
        alt = next((v for v, _ in post if v != value), None)
        return f"Tulisan angka kurang jelas (mungkin {alt}) — periksa angka ini."
    if not agreeing:
        return NO_WITNESS
    return None
