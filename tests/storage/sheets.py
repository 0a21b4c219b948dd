"""A consistent sheet for storage tests, with chosen values overridden."""

from __future__ import annotations

import math
import random

from reconcile.contest import Contest
from reconcile.ids import SheetId, TpsId
from reconcile.sheet import Source, TallySheet


def sheet(contest: Contest, tps: str, dpt: int, rng: random.Random, **changes: int | None) -> TallySheet:
    values: dict[str, int | None] = dict(consistent_values(contest, dpt, rng))
    values.update(changes)
    return TallySheet(
        id=SheetId(f"t-{tps}"), tps=TpsId(tps), contest=contest.id, values=values,
        pages=frozenset(range(1, contest.pages + 1)), source=Source.SYNTH,
    )  # fmt: skip


def consistent_values(contest: Contest, dpt: int, rng: random.Random) -> dict[str, int]:
    """Values for every field of `contest` such that every check holds."""
    names = {f.name for f in contest.fields}
    lists = sorted({n.split("_")[1] for n in names if n.startswith("pemilih_")})
    # Few voters off the main list, so everyone who voted fits in DPT + the 2 % ballot reserve.
    registered = {lst: (dpt if lst == "dpt" else rng.randint(0, 3 if dpt >= 10 else 0)) for lst in lists}
    used = dict(registered)
    used["dpt"] = max(0, rng.randint(dpt // 2, dpt) - sum(registered.values()) + dpt)
    v: dict[str, int] = {}
    for lst in lists:
        for kind, n in (("pemilih", registered[lst]), ("pengguna", used[lst])):
            men = rng.randint(0, n)
            v |= {f"{kind}_{lst}_l": men, f"{kind}_{lst}_p": n - men, f"{kind}_{lst}_j": n}
    total = sum(used.values())
    men = sum(v[f"pengguna_{lst}_l"] for lst in lists)
    v |= {"pengguna_total_l": men, "pengguna_total_p": total - men, "pengguna_total_j": total}
    received = min(dpt + math.ceil(dpt * 2 / 100), total + rng.randint(0, 5))
    spoiled = rng.randint(0, received - total)
    v |= {"surat_diterima": received, "surat_digunakan": total, "surat_dikembalikan": spoiled}
    v["surat_sisa"] = received - total - spoiled
    dis = rng.randint(0, 3)
    dis_used = rng.randint(0, dis)
    v |= {"disabilitas_dpt_l": dis, "disabilitas_dpt_p": 0, "disabilitas_dpt_j": dis}
    v |= {"disabilitas_pengguna_l": dis_used, "disabilitas_pengguna_p": 0, "disabilitas_pengguna_j": dis_used}
    invalid = rng.randint(0, total // 20)
    cuts = sorted(rng.randint(0, total - invalid) for _ in range(len(contest.paslon) - 1))
    split = [b - a for a, b in zip([0, *cuts], [*cuts, total - invalid], strict=True)]
    v |= dict(zip(contest.paslon_fields, split, strict=True))
    v |= {"suara_sah": total - invalid, "suara_tidak_sah": invalid, "suara_total": total}
    return v
