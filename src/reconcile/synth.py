"""A realistic election, pure given its inputs: regions, population, contest and a seed.

Layout (DOMAIN.md): per kab/kota, voters ≈ 0.72 × population, spread over its desa (log-normal weights: desa
differ in size), TPS per desa = ceil(voters / max DPT), the desa's voters split evenly over its TPS. Sheets:
the numbers an officer counts are drawn per TPS (turnout around a kab/kota mean, a kab/kota-flavoured share
per paslon, a few DPTb/DPK voters, spoilt ballots) and `consistent.derive` computes the rest, so every check
holds. Then a share of TPS gets one of the 2024 error kinds, each recorded in an `Injected` truth record.

Every kab/kota draws from its own seed stream (`[seed, kode, …]`), so a kab/kota comes out the same whether
synthesised alone or as part of the nation, and the nation can be produced chunk by chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reconcile.consistent import derive, voter_lists
from reconcile.contest import Contest
from reconcile.ids import Level, RegionCode, at_level, contains, key_length, level, undotted
from reconcile.inject import ALL_KINDS, ErrorKind, Injected, inject
from reconcile.regions import RegionTree
from reconcile.table import Int64s, SheetTable, all_pages

VOTERS_PER_PERSON = 0.72
DEFAULT_SCOPE = RegionCode("32.77")  # Kota Cimahi: 3 kecamatan, 15 kelurahan, ~1,000 TPS
Progress = Callable[[int, int], None]  # (TPS done, TPS in all)

__all__ = [
    "DEFAULT_SCOPE",
    "ErrorKind",
    "Injected",
    "Election",
    "SynthChunk",
    "layout",
    "synth_chunks",
    "synthesize",
]


@dataclass(frozen=True, slots=True, eq=False)
class SynthChunk:
    kabkota: RegionCode
    truth: SheetTable  # what the KPPS wrote: consistent
    shown: SheetTable  # what the phone read: `truth` with the injected errors
    injected: tuple[Injected, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Election:
    scope: RegionCode
    truth: SheetTable
    shown: SheetTable
    injected: tuple[Injected, ...]

    @property
    def expected(self) -> Int64s:
        return self.truth.tps


def _kabkota_in(tree: RegionTree, scope: RegionCode) -> tuple[RegionCode, ...]:
    if level(scope) >= Level.KABKOTA:
        return (at_level(scope, Level.KABKOTA),)
    return tuple(k for k in tree.at_level(Level.KABKOTA) if contains(scope, k))


def _within(tps: Int64s, scope: RegionCode) -> npt.NDArray[np.bool_]:
    if level(scope) <= Level.KABKOTA:
        return np.ones(len(tps), np.bool_)
    digits = undotted(scope)
    shift = 10 ** (key_length(Level.TPS) - len(digits))
    result: npt.NDArray[np.bool_] = tps // shift == int(digits)
    return result


def layout(
    tree: RegionTree, kabkota: RegionCode, population: int, max_dpt: int, seed: int
) -> tuple[Int64s, Int64s]:
    """(TPS ids as 13-digit ints, DPT per TPS) for one kab/kota, TPS in id order."""
    rng = np.random.default_rng([seed, int(undotted(kabkota)), 0])
    desa = tree.desa_under(kabkota)
    if not desa or population <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    weights = rng.lognormal(0.0, 0.6, len(desa))
    voters = rng.multinomial(round(VOTERS_PER_PERSON * population), weights / weights.sum())
    n_tps = -(-voters // max_dpt)
    desa_keys = np.array([int(undotted(d)) for d in desa], np.int64)
    which = np.repeat(np.arange(len(desa)), n_tps)
    first = np.repeat(np.cumsum(n_tps) - n_tps, n_tps)
    number = np.arange(len(which)) - first  # 0-based TPS number within its desa
    base, extra = voters[which] // n_tps[which], voters[which] % n_tps[which]
    dpt = base + (number < extra)
    return desa_keys[which] * 1000 + number + 1, dpt.astype(np.int64)


def _paslon_shares(contest: Contest, rng: np.random.Generator) -> npt.NDArray[np.float64]:
    k = len(contest.paslon)
    national = np.array([0.25, 0.58, 0.17]) if k == 3 else np.full(k, 1.0 / k)
    shares: npt.NDArray[np.float64] = rng.dirichlet(30 * national)  # regions lean differently
    return shares


def sheets_for(contest: Contest, tps: Int64s, dpt: Int64s, rng: np.random.Generator) -> SheetTable:
    """Consistent sheets for TPS of one kab/kota with the given DPT (every check of the contest holds)."""
    n = len(tps)
    f: dict[str, Int64s] = {}
    turnout = np.clip(rng.normal(rng.uniform(0.72, 0.88), 0.05, n), 0.4, 0.97)
    f["pemilih_dpt_l"] = rng.binomial(dpt, 0.5)
    f["pemilih_dpt_p"] = dpt - f["pemilih_dpt_l"]
    for g in "lp":
        f[f"pengguna_dpt_{g}"] = rng.binomial(f[f"pemilih_dpt_{g}"], turnout)
    received = dpt + -(-dpt * 2 // 100)
    slack = received - f["pengguna_dpt_l"] - f["pengguna_dpt_p"]  # ballots left for other voters and spoilt
    f["surat_dikembalikan"] = np.minimum(rng.binomial(3, 0.3, n), slack)
    slack = slack - f["surat_dikembalikan"]
    for lst in voter_lists(contest)[1:]:
        for g in "lp":
            f[f"pemilih_{lst}_{g}"] = rng.poisson(0.6, n)
            f[f"pengguna_{lst}_{g}"] = np.minimum(rng.binomial(f[f"pemilih_{lst}_{g}"], 0.9), slack)
            slack = slack - f[f"pengguna_{lst}_{g}"]
    for g in "lp":
        f[f"disabilitas_dpt_{g}"] = rng.binomial(f[f"pemilih_dpt_{g}"], 0.01)
        f[f"disabilitas_pengguna_{g}"] = rng.binomial(f[f"disabilitas_dpt_{g}"], turnout)
    voted = sum(f[f"pengguna_{lst}_{g}"] for lst in voter_lists(contest) for g in "lp")
    sah = voted - rng.binomial(voted, 0.02)
    shares = rng.dirichlet(60 * _paslon_shares(contest, rng), n)
    votes = rng.multinomial(sah, shares)
    for i, name in enumerate(contest.paslon_fields):
        f[name] = votes[:, i]
    derived = derive(contest, f)
    values = np.stack([derived[fd.name] for fd in contest.fields], axis=1).astype(np.int32)
    pages = np.full(n, all_pages(contest), np.uint8)
    return SheetTable(contest, tps, values, pages)


def synth_chunks(
    tree: RegionTree,
    population: Mapping[RegionCode, int],
    contest: Contest,
    *,
    scope: RegionCode = DEFAULT_SCOPE,
    seed: int = 0,
    error_share: float = 0.01,
    kinds: Sequence[ErrorKind] = ALL_KINDS,
    progress: Progress | None = None,
) -> Iterator[SynthChunk]:
    """One chunk per kab/kota in `scope` (cut to `scope` when it is a kecamatan or desa)."""
    plans = []
    for kab in _kabkota_in(tree, scope):
        tps, dpt = layout(tree, kab, population[kab], contest.max_dpt, seed)
        keep = _within(tps, scope)
        plans.append((kab, tps, dpt, keep))
    total, done = sum(int(keep.sum()) for *_, keep in plans), 0
    for kab, tps, dpt, keep in plans:
        rng = np.random.default_rng([seed, int(undotted(kab)), 1])
        truth = sheets_for(contest, tps, dpt, rng).take(keep)
        shown, injected = inject(
            truth, error_share, kinds, np.random.default_rng([seed, int(undotted(kab)), 2])
        )
        done += len(truth)
        if progress is not None:
            progress(done, total)
        yield SynthChunk(kab, truth, shown, injected)


def synthesize(
    tree: RegionTree,
    population: Mapping[RegionCode, int],
    contest: Contest,
    *,
    scope: RegionCode = DEFAULT_SCOPE,
    seed: int = 0,
    error_share: float = 0.01,
    kinds: Sequence[ErrorKind] = ALL_KINDS,
    progress: Progress | None = None,
) -> Election:
    chunks = list(
        synth_chunks(
            tree,
            population,
            contest,
            scope=scope,
            seed=seed,
            error_share=error_share,
            kinds=kinds,
            progress=progress,
        )
    )
    return Election(
        scope,
        SheetTable.concat(contest, [c.truth for c in chunks]),
        SheetTable.concat(contest, [c.shown for c in chunks]),
        tuple(i for c in chunks for i in c.injected),
    )
