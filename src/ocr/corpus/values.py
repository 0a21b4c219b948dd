"""True numbers for one TPS: a consistent C.Hasil sheet, every contest check holding.

The numbers are what the officer writes; what the photo shows is decided by `fill`. A sheet honours the
contest's arithmetic: L + P = J on every row, pengguna ≤ pemilih, B4 = B1 + B2 + B3, diterima = digunakan +
rusak + sisa ≤ DPT + 2%, Σ paslon = sah, sah + tidak sah = total = digunakan.
"""

from __future__ import annotations

import math

import numpy as np

from reconcile.contest import Contest

Sheet = dict[str, int]


def _split(rng: np.random.Generator, total: int, parts: int) -> list[int]:
    """`total` split into `parts` non-negative counts, uneven as real paslon shares are."""
    w = rng.dirichlet(np.full(parts, 0.9))
    out = np.floor(w * total).astype(int)
    out[int(rng.integers(parts))] += total - int(out.sum())
    return [int(v) for v in out]


def _gender(sheet: Sheet, prefix: str, j: int, rng: np.random.Generator) -> None:
    lo = int(rng.binomial(j, 0.5)) if j else 0
    sheet[f"{prefix}_l"], sheet[f"{prefix}_p"], sheet[f"{prefix}_j"] = lo, j - lo, j


def consistent_sheet(contest: Contest, rng: np.random.Generator) -> Sheet:
    """A sheet on which every check of `contest` holds."""
    lists = [
        f.name.removeprefix("pemilih_").removesuffix("_j")
        for f in contest.fields
        if f.name.startswith("pemilih_") and f.name.endswith("_j")
    ]  # dpt, then the others
    s: Sheet = {}
    dpt = int(rng.integers(contest.max_dpt // 2, contest.max_dpt + 1))
    registered = {"dpt": dpt, **{k: int(rng.integers(0, 12)) for k in lists[1:]}}
    turnout = float(rng.uniform(0.55, 0.95))
    used = {k: int(rng.binomial(v, turnout if k == "dpt" else 0.9)) for k, v in registered.items()}
    received = dpt + math.ceil(dpt * 0.02)
    used["dpt"] -= max(0, sum(used.values()) - received)  # every voter needs a ballot of the TPS's stock
    for k in lists:
        _gender(s, f"pemilih_{k}", registered[k], rng)
        _gender(s, f"pengguna_{k}", used[k], rng)
    total = sum(used.values())
    s["pengguna_total_l"] = sum(s[f"pengguna_{k}_l"] for k in lists)
    s["pengguna_total_p"] = sum(s[f"pengguna_{k}_p"] for k in lists)
    s["pengguna_total_j"] = total
    spoiled = int(rng.integers(0, 4))
    spoiled = min(spoiled, received - total)
    s["surat_diterima"], s["surat_digunakan"] = received, total
    s["surat_dikembalikan"], s["surat_sisa"] = spoiled, received - total - spoiled
    dis = int(rng.integers(0, 8))
    _gender(s, "disabilitas_dpt", dis, rng)
    _gender(s, "disabilitas_pengguna", int(rng.binomial(dis, 0.7)), rng)
    invalid = int(rng.binomial(total, float(rng.uniform(0.0, 0.05))))
    valid = total - invalid
    for name, v in zip(contest.paslon_fields, _split(rng, valid, len(contest.paslon_fields)), strict=True):
        s[name] = v
    s["suara_sah"], s["suara_tidak_sah"], s["suara_total"] = valid, invalid, total
    missing = {f.name for f in contest.fields} - set(s)
    if missing:
        raise ValueError(f"{contest.id}: no values for {sorted(missing)}")
    return s


def broken_checks(contest: Contest, sheet: Sheet) -> list[str]:
    """The rules of `contest` the sheet breaks, as ``rule:left`` strings (empty for a consistent sheet)."""
    out = []
    for c in contest.checks:
        left = sum(sheet[f] for f in c.left)
        right = sum(sheet[f] for f in c.right)
        if c.relation == "equal":
            ok = left == right
        elif c.right:
            ok = left <= c.bound(right)
        else:
            ok = c.limit is None or left <= c.limit
        if not ok:
            out.append(f"{c.rule.value}:{'+'.join(c.left)}")
    return out
