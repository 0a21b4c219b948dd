"""Hand-made consistent sheets for the example tests (the 2024 cases start from these)."""

from __future__ import annotations

from reconcile.consistent import derive
from reconcile.contest import Contest
from reconcile.ids import SheetId, TpsId
from reconcile.sheet import Source, TallySheet

TPS = TpsId("3173041007005")


def consistent(
    contest: Contest,
    *,
    dpt: tuple[int, int] = (120, 125),
    voted: tuple[int, int] = (100, 98),
    votes: tuple[int, ...] = (74, 80, 36),
    tps: TpsId = TPS,
) -> TallySheet:
    """A sheet where every check holds: DPT 245, 198 voters, 2 from DPTb, 1 spoilt ballot by default."""
    free = dict.fromkeys(("pemilih_dptb_l", "pemilih_dpph_l", "pemilih_dpk_l", "pemilih_dpk_p"), 0)
    free |= {"pemilih_dptb_l": 1, "pemilih_dptb_p": 1, "pengguna_dptb_l": 1, "pengguna_dptb_p": 1}
    free |= {
        "pemilih_dpt_l": dpt[0],
        "pemilih_dpt_p": dpt[1],
        "pengguna_dpt_l": voted[0],
        "pengguna_dpt_p": voted[1],
    }
    free |= {
        "disabilitas_dpt_l": 2,
        "disabilitas_dpt_p": 1,
        "disabilitas_pengguna_l": 1,
        "disabilitas_pengguna_p": 1,
    }
    free |= {"surat_dikembalikan": 1}
    free |= dict(zip(contest.paslon_fields, votes, strict=True))
    for lst in ("dpph", "dpk"):
        for g in "lp":
            free.setdefault(f"pemilih_{lst}_{g}", 0)
            free.setdefault(f"pengguna_{lst}_{g}", 0)
    values: dict[str, int | None] = dict(derive(contest, free))
    return TallySheet(SheetId(f"s-{tps}"), tps, contest.id, values, frozenset({1, 2, 3}), Source.KEYED)


def with_values(sheet: TallySheet, **changes: int | None) -> TallySheet:
    return TallySheet(
        sheet.id, sheet.tps, sheet.contest, {**sheet.values, **changes}, sheet.pages, sheet.source
    )
