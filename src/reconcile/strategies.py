"""Hypothesis strategies beside the domain: consistent sheets, small region trees and their TPS.

Shipped with `reconcile` so that anyone testing against it (this repository's tests, or a caller's) draws the
same sheets and trees. Hypothesis is a development dependency: import this module from tests only.
"""

from __future__ import annotations

from hypothesis import strategies as st

from reconcile.consistent import derive, voter_lists
from reconcile.contest import Contest
from reconcile.ids import RegionCode, SheetId, TpsId, tps_id
from reconcile.regions import RegionTree
from reconcile.sheet import Source, TallySheet


@st.composite
def free_counts(draw: st.DrawFn, contest: Contest) -> dict[str, int]:
    """The numbers an officer counts, drawn so that every check of the contest holds once derived."""
    f: dict[str, int] = {}
    dpt = draw(st.integers(0, contest.max_dpt))
    f["pemilih_dpt_l"] = draw(st.integers(0, dpt))
    f["pemilih_dpt_p"] = dpt - f["pemilih_dpt_l"]
    for g in "lp":
        f[f"pengguna_dpt_{g}"] = draw(st.integers(0, f[f"pemilih_dpt_{g}"]))
    slack = dpt + -(-dpt * 2 // 100) - f["pengguna_dpt_l"] - f["pengguna_dpt_p"]
    f["surat_dikembalikan"] = draw(st.integers(0, min(slack, 5)))
    slack -= f["surat_dikembalikan"]
    for lst in voter_lists(contest)[1:]:
        for g in "lp":
            f[f"pemilih_{lst}_{g}"] = draw(st.integers(0, 8))
            f[f"pengguna_{lst}_{g}"] = draw(st.integers(0, min(slack, f[f"pemilih_{lst}_{g}"])))
            slack -= f[f"pengguna_{lst}_{g}"]
    for g in "lp":
        f[f"disabilitas_dpt_{g}"] = draw(st.integers(0, min(f[f"pemilih_dpt_{g}"], 9)))
        f[f"disabilitas_pengguna_{g}"] = draw(st.integers(0, f[f"disabilitas_dpt_{g}"]))
    left = sum(f[f"pengguna_{lst}_{g}"] for lst in voter_lists(contest) for g in "lp")
    left -= draw(st.integers(0, min(left, 20)))  # suara tidak sah
    for name in contest.paslon_fields[:-1]:
        f[name] = draw(st.integers(0, left))
        left -= f[name]
    f[contest.paslon_fields[-1]] = left
    return f


def consistent_sheets(
    contest: Contest, tps: st.SearchStrategy[TpsId] | None = None
) -> st.SearchStrategy[TallySheet]:
    ids = st.just(TpsId("3173041007001")) if tps is None else tps

    def build(t: TpsId, free: dict[str, int]) -> TallySheet:
        values: dict[str, int | None] = dict(derive(contest, free))
        return TallySheet(
            SheetId(f"h-{t}"), t, contest.id, values, frozenset(range(1, contest.pages + 1)), Source.OCR
        )

    return st.builds(build, ids, free_counts(contest))


@st.composite
def region_trees(draw: st.DrawFn) -> tuple[RegionTree, list[TpsId]]:
    """A small country (1–3 provinsi, down to desa) and the TPS of its desa (1–3 each)."""
    rows: list[tuple[str, str]] = []
    tps: list[TpsId] = []
    for p in draw(st.lists(st.integers(11, 94), min_size=1, max_size=3, unique=True)):
        rows.append((f"{p}", f"Provinsi {p}"))
        for k in draw(st.lists(st.integers(1, 79), min_size=1, max_size=2, unique=True)):
            kab = f"{p}.{k:02d}"
            rows.append((kab, f"Kab {kab}"))
            for c in draw(st.lists(st.integers(1, 30), min_size=1, max_size=2, unique=True)):
                kec = f"{kab}.{c:02d}"
                rows.append((kec, f"Kec {kec}"))
                for d in draw(st.lists(st.integers(1001, 2020), min_size=1, max_size=3, unique=True)):
                    desa = RegionCode(f"{kec}.{d}")
                    rows.append((desa, f"Desa {desa}"))
                    tps += [tps_id(desa, n) for n in range(1, draw(st.integers(1, 3)) + 1)]
    return RegionTree.from_rows(rows), tps
