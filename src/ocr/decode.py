"""Joint decoding: the most probable reading of a TPS that satisfies the contest's checks, and the decision
to accept a field or send it to a person.

Each field's three digit boxes give a distribution over its value (0–999, or blank): a leading box may hold
an X (class 10) or a 0. The contest's declarative checks (EQUAL / AT_MOST, `reconcile.contest`) tie the
fields together; the OMR bubbles and the tally subtotals are independent readings of the same number.

A field is ``accepted`` only when all of these hold, otherwise it goes to ``review`` with the reason:
1. its own digits clearly pick one value (posterior ≥ MIN_POSTERIOR and ≥ MIN_MARGIN × the runner-up);
2. the joint decoder, under the checks, did not move it to another value;
3. every check it takes part in holds, and at least one independent reading agrees: a bubble column or a
   tally sum equal to it, or an EQUAL check that holds with every other field in it confident too.
A wrong number thus needs a confident misread that the bubbles or the arithmetic confirm by coincidence.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from reconcile.contest import Check, Contest, Relation

BLANK_CLASS = 10
MIN_POSTERIOR = 0.985
MIN_MARGIN = 50.0
TOP_K = 5
MAX_JOINT = 20_000  # assignments tried by the joint search; beyond it the per-field best stands

_VALUES = np.arange(1000)
_DIGITS = np.stack([_VALUES // 100, _VALUES // 10 % 10, _VALUES % 10], axis=1)  # 1000×3


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the page says about one field: digit-box probabilities (3×11) and independent readings."""

    name: str
    probs: NDArray[np.float64]
    omr: int | None = None  # the total the bubbles spell, None when not legible or not on the page
    tally: int | None = None  # Σ of the row subtotals / marks, None when not legible


@dataclass(frozen=True, slots=True)
class Decision:
    name: str
    value: int | None
    posterior: float
    accepted: bool
    candidates: tuple[tuple[int | None, float], ...]
    reason: str | None = None
    agreeing: tuple[str, ...] = field(default=())  # which independent readings agreed


def value_distribution(probs: NDArray[np.float64], k: int = TOP_K) -> list[tuple[int | None, float]]:
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


def check_holds(check: Check, values: dict[str, int | None]) -> bool | None:
    """True/False when every field of the check has a value, None when it cannot be judged yet."""
    if any(values.get(n) is None for n in check.fields()):
        return None
    left = sum(values[n] or 0 for n in check.left)
    right = sum(values[n] or 0 for n in check.right)
    if check.relation is Relation.EQUAL:
        return left == right
    if check.right:
        return left <= check.bound(right)
    return left <= (check.limit if check.limit is not None else math.inf)


def _applicable(contest: Contest, names: Iterable[str]) -> list[Check]:
    present = set(names)
    return [c for c in contest.checks if set(c.fields()) <= present]


def max_value(contest: Contest) -> int:
    """No number on a TPS's form can exceed its largest DPT plus the 2% ballot reserve."""
    return contest.max_dpt + math.ceil(contest.max_dpt * 0.02)


def _valid(values: dict[str, int | None], checks: list[Check], limit: int) -> bool:
    in_range = all(v is None or v <= limit for v in values.values())
    return in_range and all(check_holds(c, values) is not False for c in checks)


def joint_best(
    dists: dict[str, list[tuple[int | None, float]]], checks: list[Check], limit: int = 999
) -> dict[str, int | None] | None:
    """The most probable assignment of top candidates that breaks no check and stays in range, or None
    when none is found (then the fields go to review with their own best).

    Each field's own best is kept unless it takes part in a broken check (or is out of range); only those
    fields are searched jointly, over their top candidates, the others held fixed. So a clean TPS costs one
    pass, and the search stays small where it is needed."""
    own = {n: d[0][0] for n, d in dists.items()}
    if _valid(own, checks, limit):
        return own
    suspects = {n for c in checks if check_holds(c, own) is False for n in c.fields()}
    suspects |= {n for n, v in own.items() if v is not None and v > limit}
    names = sorted(suspects)
    for k in (TOP_K, 3, 2):
        options = [[(v, p) for v, p in dists[n][:k] if p > 1e-6] for n in names]
        if math.prod(len(o) for o in options) <= MAX_JOINT:
            break
    else:
        return None
    best: tuple[float, dict[str, int | None]] | None = None
    for combo in itertools.product(*options):
        values = dict(own)
        values.update({n: v for n, (v, _) in zip(names, combo, strict=True)})
        if _valid(values, checks, limit):
            score = sum(math.log(p) for _, p in combo)
            if best is None or score > best[0]:
                best = (score, values)
    return None if best is None else best[1]


def decide(evidence: dict[str, Evidence], contest: Contest) -> dict[str, Decision]:
    """Decode the fields at hand (one page, or all pages of a TPS) and decide each one."""
    dists = {n: value_distribution(e.probs) for n, e in evidence.items()}
    checks = _applicable(contest, evidence)
    own = {n: d[0][0] for n, d in dists.items()}
    limit = max_value(contest)
    joint = joint_best(dists, checks, limit)
    chosen = joint if joint is not None else own
    confident = {n: _clear(dists[n]) for n in dists}
    out: dict[str, Decision] = {}
    for name, ev in evidence.items():
        value = chosen[name]
        dist = dists[name]
        agreeing: list[str] = []
        if ev.omr is not None and ev.omr == value:
            agreeing.append("omr")
        if ev.tally is not None and ev.tally == value:
            agreeing.append("tally")
        mine = [c for c in checks if name in c.fields()]
        broken = [c for c in mine if check_holds(c, chosen) is False]
        for c in mine:
            others_sure = all(confident[o] and chosen[o] == own[o] for o in c.fields() if o != name)
            if c.relation is Relation.EQUAL and check_holds(c, chosen) and others_sure:
                agreeing.append(f"cek:{c.rule.value}")
        reason = _reason(ev, value, dist, own[name], confident[name], broken, agreeing, joint is None)
        if reason is None and value is not None and value > limit:
            reason = f"Angka {value} melebihi batas {limit} untuk satu TPS — kemungkinan salah baca."
        cands = tuple(dist) if value == own[name] else ((value, _prob(dist, value)), *dist)
        out[name] = Decision(
            name, value, _prob(dist, value), reason is None, cands[:TOP_K], reason, tuple(agreeing)
        )
    return out


def _prob(dist: list[tuple[int | None, float]], value: int | None) -> float:
    return next((p for v, p in dist if v == value), 0.0)


def _clear(dist: list[tuple[int | None, float]]) -> bool:
    p1 = dist[0][1]
    p2 = dist[1][1] if len(dist) > 1 else 0.0
    return dist[0][0] is not None and p1 >= MIN_POSTERIOR and p1 >= MIN_MARGIN * p2


def _reason(
    ev: Evidence,
    value: int | None,
    dist: list[tuple[int | None, float]],
    own: int | None,
    clear: bool,
    broken: list[Check],
    agreeing: list[str],
    no_joint: bool,
) -> str | None:
    """Why this field needs a person (Bahasa Indonesia), or None when it may be accepted."""
    if value is None:
        return "Kotak angka kosong atau tidak terbaca — isi/periksa angka ini."
    if own is not None and own != value and ev.omr == own:
        return f"Angka terbaca {own}, tetapi aturan penjumlahan menunjuk {value} — periksa angka ini."
    if ev.omr is not None and ev.omr != value:
        return f"Bulatan OMR menunjukkan {ev.omr}, angka tulisan terbaca {value} — periksa keduanya."
    if ev.tally is not None and ev.tally != value:
        return f"Jumlah turus/jumlah tiap baris {ev.tally} tidak sama dengan angka {value}."
    if broken:
        return broken[0].hint or "Angka ini tidak cocok dengan aturan penjumlahan formulir."
    if no_joint:
        return "Tidak ada pembacaan yang memenuhi semua aturan penjumlahan — periksa angka."
    if value != own:
        return f"Angka terbaca {own}, tetapi aturan penjumlahan menunjuk {value} — periksa angka ini."
    if not clear:
        alt = dist[1][0] if len(dist) > 1 else None
        return f"Tulisan angka kurang jelas (mungkin {alt}) — periksa angka ini."
    if not agreeing:
        return "Belum ada bacaan lain (bulatan/penjumlahan) yang menguatkan angka ini."
    return None
