"""The arithmetic of a consistent C.Hasil: from the numbers an officer counts, every number the form derives.

An officer counts registered and voting men and women per voter list, disabled voters, spoilt ballots and
each paslon's votes; everything else on the form follows (jumlah = L + P, B.4 = B.1 + B.2 + B.3, ballots
used = voters, received = DPT + 2% reserve, V.A = Σ paslon, …). `derive` works on ints (one sheet, tests)
and on numpy arrays (a whole country at once, `reconcile.synth`) with the same expressions, so the two cannot
drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from reconcile.contest import Contest

V = TypeVar("V", int, npt.NDArray[np.int64])


def voter_lists(contest: Contest) -> tuple[str, ...]:
    """Page 1's voter lists in form order: ("dpt", "dptb", "dpk") or, on the KWK, ("dpt", "dpph", "dptb")."""
    names = [f.name for f in contest.fields]
    return tuple(n[len("pemilih_") : -2] for n in names if n.startswith("pemilih_") and n.endswith("_j"))


def reserve_percent(contest: Contest) -> int:
    """The ballot reserve over DPT (2% in 2024), read from the contest's capacity check."""
    for c in contest.checks:
        if c.left == ("surat_diterima",) and c.reserve_percent:
            return c.reserve_percent
    return 0


def free_fields(contest: Contest) -> tuple[str, ...]:
    """The numbers an officer counts; `derive` computes the rest."""
    out: list[str] = []
    for lst in voter_lists(contest):
        out += [f"pemilih_{lst}_l", f"pemilih_{lst}_p"]
    for lst in voter_lists(contest):
        out += [f"pengguna_{lst}_l", f"pengguna_{lst}_p"]
    out += ["disabilitas_dpt_l", "disabilitas_dpt_p", "disabilitas_pengguna_l", "disabilitas_pengguna_p"]
    out += ["surat_dikembalikan", *contest.paslon_fields]
    return tuple(out)


def derive(contest: Contest, free: Mapping[str, V]) -> dict[str, V]:
    """Every field of the contest from the free ones (see `free_fields`); no check of ranges."""
    v: dict[str, V] = dict(free)
    rows = [f"{kind}_{lst}" for kind in ("pemilih", "pengguna") for lst in voter_lists(contest)]
    rows += ["disabilitas_dpt", "disabilitas_pengguna"]
    for row in rows:
        v[f"{row}_j"] = v[f"{row}_l"] + v[f"{row}_p"]
    for g in ("l", "p", "j"):
        parts = [v[f"pengguna_{lst}_{g}"] for lst in voter_lists(contest)]
        total = parts[0]
        for part in parts[1:]:
            total = total + part
        v[f"pengguna_total_{g}"] = total
    dpt = v["pemilih_dpt_j"]
    v["surat_digunakan"] = v["pengguna_total_j"]
    v["surat_diterima"] = dpt + -(-dpt * reserve_percent(contest) // 100)  # the reserve is rounded up
    v["surat_sisa"] = v["surat_diterima"] - v["surat_digunakan"] - v["surat_dikembalikan"]
    v["suara_total"] = v["surat_digunakan"]
    sah = v[contest.paslon_fields[0]]
    for name in contest.paslon_fields[1:]:
        sah = sah + v[name]
    v["suara_sah"] = sah
    v["suara_tidak_sah"] = v["suara_total"] - sah
    return {f.name: v[f.name] for f in contest.fields}
