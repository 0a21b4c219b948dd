"""The seam between storage and the pure engine: layout, synthesis and judgement of one scope.

`judge` is `reconcile.report.reconcile` (consensus per TPS, rules, outliers, roll-up). `reconcile.synth` had
not landed when this was written, so `layout` and `synthesize` are a minimal stand-in with the same inputs
and outputs: the TPS layout of DOMAIN.md (voters ≈ 0.72 × population per kab/kota, spread over its desa,
TPS = ceil(voters / max DPT)) and consistent sheets with a share of the 2024 error kinds. Replacing their
bodies with calls into `reconcile.synth` changes nothing else in `tally`.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from reconcile.contest import Contest
from reconcile.flags import Flag
from reconcile.ids import Level, RegionCode, SheetId, TpsId, tps_id
from reconcile.regions import RegionTree
from reconcile.report import Report, reconcile
from reconcile.sheet import Source, TallySheet
from tally.election.store import Tps
from tally.regions import Region, kabkota_of

ERROR_KINDS = ("trailing_digit", "leading_digit", "x_as_digit", "sah_tidak_sah", "missing_page")


def layout(regions: Iterable[Region], population: Mapping[RegionCode, int], contest: Contest) -> list[Tps]:
    """The TPS of every desa in `regions`, sized from its kab/kota's population."""
    desa_of: dict[RegionCode, list[RegionCode]] = defaultdict(list)
    for r in regions:
        if r.level is Level.DESA:
            desa_of[kabkota_of(r.code)].append(r.code)
    out: list[Tps] = []
    for kab, desas in sorted(desa_of.items()):
        voters = 0.72 * population.get(kab, 0) / len(desas)
        n = max(1, math.ceil(voters / contest.max_dpt))
        dpt = max(1, min(contest.max_dpt, round(voters / n)))
        out.extend(Tps(tps_id(desa, number), dpt) for desa in sorted(desas) for number in range(1, n + 1))
    return out


def synthesize(contest: Contest, tps: Sequence[Tps], error_share: float, seed: int) -> list[TallySheet]:
    """One consistent sheet per TPS; a share `error_share` carries one 2024 error kind each."""
    rng = random.Random(seed)
    sheets: list[TallySheet] = []
    for t in tps:
        values: dict[str, int | None] = dict(consistent_values(contest, t.dpt, rng))
        pages = frozenset(range(1, contest.pages + 1))
        if rng.random() < error_share:
            pages = _inject(contest, values, pages, rng.choice(ERROR_KINDS), rng)
        sheets.append(TallySheet(SheetId(f"synth-{t.id}"), t.id, contest.id, values, pages, Source.SYNTH))
    return sheets


def _inject(
    contest: Contest, v: dict[str, int | None], pages: frozenset[int], kind: str, rng: random.Random
) -> frozenset[int]:
    name = rng.choice(contest.paslon_fields)
    old = v[name] or 0
    if kind == "trailing_digit" and old < 100:  # an extra trailing digit: 74 → 748
        v[name] = old * 10 + rng.randint(0, 9)
    elif kind in ("trailing_digit", "leading_digit", "x_as_digit"):
        if old < 100:  # the crossed-out blank box read as a digit: 16 → 716
            v[name] = old + 100 * rng.randint(1, 9)
        else:  # a wrong leading digit: 117 → 617
            v[name] = old % 100 + 100 * rng.choice([d for d in range(1, 10) if d != old // 100])
    elif kind == "sah_tidak_sah":
        v["suara_tidak_sah"] = (v["suara_tidak_sah"] or 0) + rng.randint(1, 9)
    else:  # missing page: nothing of the votes page was read
        for f in contest.fields_on_page(contest.pages):
            v[f.name] = None
        return pages - {contest.pages}
    return pages


@dataclass(frozen=True, slots=True)
class Verdict:
    current: list[TallySheet]  # the settled sheet of each TPS (`reconcile.compare.consensus`)
    counted: set[TpsId]  # TPS in the totals: complete and without an error flag
    flags: list[Flag]  # upload conflicts, rule breaks and outliers
    report: Report


def judge(
    contest: Contest, tree: RegionTree, sheets: Iterable[TallySheet], expected: Iterable[TpsId] = ()
) -> Verdict:
    """Settle, check and roll up with `reconcile.report.reconcile`; keep what storage needs."""
    report = reconcile(tree, sheets, contest, expected=expected)
    current = [report.current[t] for t in sorted(report.current)]
    counted = {s.tps for s in current if report.rollup.totals(s.tps).tps_counted}
    return Verdict(current, counted, list(report.flags), report)


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
