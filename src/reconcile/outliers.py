"""Outliers: numbers that can be true but deserve a second look. Always Severity.OUTLIER, never ERROR.

- turnout ≥ 98% of everyone registered at the TPS (DPT + DPTb + DPK),
- one paslon with ≥ 95% of the valid votes where at least 100 valid votes were cast (more than 100% is
  an arithmetic error, flagged by the rules instead),
- votes above DPT: suara total or one paslon above the DPT (DPTb/DPK voters can explain a little of it; a
  misread 748 for 74 at a TPS of 245 cannot).
`sheet_outliers` is the per-sheet form; `outlier_counts` the same tests over a `SheetTable` at once.
"""

from __future__ import annotations

import numpy as np

from reconcile.consistent import voter_lists
from reconcile.contest import Contest
from reconcile.flags import Flag, Rule, Severity
from reconcile.rules import angka, digit_hint
from reconcile.sheet import TallySheet
from reconcile.table import PENDING, Int32s, SheetTable

TURNOUT_PERCENT = 98
LANDSLIDE_PERCENT = 95
LANDSLIDE_MIN_SAH = 100


def _registered(contest: Contest) -> tuple[str, ...]:
    return tuple(f"pemilih_{lst}_j" for lst in voter_lists(contest))


def sheet_outliers(sheet: TallySheet, contest: Contest) -> list[Flag]:
    v = sheet.values
    out: list[Flag] = []
    reg = [v.get(n) for n in _registered(contest)]
    voted = v.get("pengguna_total_j")
    if voted is not None and None not in reg:
        registered = sum(r or 0 for r in reg)
        if registered > 0 and voted * 100 >= TURNOUT_PERCENT * registered:
            share = round(100 * voted / registered)
            of = f"{angka(voted)} dari {angka(registered)} pemilih terdaftar"
            hint = f"Partisipasi {share}% ({of}); layak diperiksa."
            fields = ("pengguna_total_j", *_registered(contest))
            out.append(Flag(sheet.tps, Rule.TURNOUT_HIGH, fields, registered, voted, hint, Severity.OUTLIER))
    sah = v.get("suara_sah")
    votes = [v.get(n) for n in contest.paslon_fields]
    if sah is not None and sah >= LANDSLIDE_MIN_SAH and None not in votes:
        top = max(x or 0 for x in votes)
        if sah >= top and top * 100 >= LANDSLIDE_PERCENT * sah:  # top > sah is an error, not a landslide
            who = contest.paslon_fields[[x or 0 for x in votes].index(top)]
            share = round(100 * top / sah)
            of = f"{angka(top)} dari {angka(sah)}"
            hint = f"Satu paslon mendapat {share}% suara sah ({of}); layak diperiksa."
            out.append(Flag(sheet.tps, Rule.LANDSLIDE, (who, "suara_sah"), sah, top, hint, Severity.OUTLIER))
    dpt = v.get("pemilih_dpt_j")
    if dpt is not None:
        named = [(n, v.get(n)) for n in ("suara_total", *contest.paslon_fields)]
        above = [(n, x) for n, x in named if x is not None and x > dpt]
        if above:
            name, most = max(above, key=lambda p: p[1])
            hint = f"Suara ({angka(most)}) melebihi DPT ({angka(dpt)}); {digit_hint(most, dpt)}."
            fields = (name, "pemilih_dpt_j")
            out.append(Flag(sheet.tps, Rule.VOTES_ABOVE_DPT, fields, dpt, most, hint, Severity.OUTLIER))
    return out


def outlier_counts(table: SheetTable) -> Int32s:
    """How many outlier flags `sheet_outliers` would give each row, computed over the whole table."""
    c = table.contest
    reg_cols = [table.column(n).astype(np.int64) for n in _registered(c)]
    voted = table.column("pengguna_total_j").astype(np.int64)
    registered = np.sum(reg_cols, axis=0)
    known = (voted != PENDING) & np.all([r != PENDING for r in reg_cols], axis=0)
    turnout = known & (registered > 0) & (voted * 100 >= TURNOUT_PERCENT * registered)
    sah = table.column("suara_sah").astype(np.int64)
    votes = np.stack([table.column(n) for n in c.paslon_fields]).astype(np.int64)
    top = votes.max(axis=0)
    landslide = (sah >= LANDSLIDE_MIN_SAH) & np.all(votes != PENDING, axis=0)
    landslide &= (sah >= top) & (top * 100 >= LANDSLIDE_PERCENT * sah)
    dpt = table.column("pemilih_dpt_j").astype(np.int64)
    most = np.maximum(top, table.column("suara_total"))  # PENDING (-1) never exceeds a read DPT
    above = (dpt != PENDING) & (most > dpt)
    counts: Int32s = (turnout.astype(np.int32) + landslide + above).astype(np.int32)
    return counts
