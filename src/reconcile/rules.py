"""Per-sheet rules: the contest's declarative checks evaluated on one TPS's numbers.

A field that is missing or None has not been read yet: every check that names it is skipped (the sheet is
pending, not wrong). A page the contest has but the sheet lacks is one MISSING_PAGE flag. Each broken check
becomes one `Flag` naming the rule, the fields, expected vs actual and a hint in Bahasa Indonesia that names
the numbers, e.g. "Suara sah + suara tidak sah (170) tidak sama dengan jumlah seluruh suara (162)".
"""

from __future__ import annotations

from collections.abc import Mapping

from reconcile.contest import PASLON_PREFIX, Check, Contest, Relation
from reconcile.flags import Flag, Rule
from reconcile.sheet import TallySheet

# Short names an officer knows, for hints; the contest's labels are long (they name the form section).
_SHORT = {
    "suara_sah": "suara sah",
    "suara_tidak_sah": "suara tidak sah",
    "suara_total": "jumlah seluruh suara",
    "surat_diterima": "surat suara diterima",
    "surat_digunakan": "surat suara digunakan",
    "surat_dikembalikan": "surat suara rusak",
    "surat_sisa": "surat suara sisa",
    "pemilih_dpt_j": "DPT",
    "pemilih_dptb_j": "DPTb",
    "pemilih_dpk_j": "DPK",
    "pengguna_total_j": "jumlah pengguna hak pilih",
    "pengguna_dpt_j": "pengguna DPT",
    "pengguna_dptb_j": "pengguna DPTb",
    "pengguna_dpk_j": "pengguna DPK",
    "disabilitas_dpt_j": "pemilih disabilitas terdaftar",
    "disabilitas_pengguna_j": "pemilih disabilitas yang memilih",
}
_GENDER = {"l": "laki-laki", "p": "perempuan", "j": "jumlah"}
_PLACES = ("satuan", "puluhan", "ratusan", "ribuan", "puluhan ribu", "ratusan ribu")


def describe(names: tuple[str, ...]) -> str:
    """One side of a check in words: 'suara paslon', 'suara sah + suara tidak sah', 'DPT laki-laki + …'."""
    if names and all(n.startswith(PASLON_PREFIX) for n in names):
        return "suara paslon" if len(names) > 1 else f"suara paslon {names[0].removeprefix(PASLON_PREFIX)}"
    return " + ".join(_short(n) for n in names)


def _short(name: str) -> str:
    if name in _SHORT:
        return _SHORT[name]
    stem, _, tail = name.rpartition("_")
    if tail in _GENDER and stem + "_j" in _SHORT:
        return f"{_SHORT[stem + '_j']} {_GENDER[tail]}"
    return name.replace("_", " ")


def _sum(values: Mapping[str, int | None], names: tuple[str, ...]) -> int | None:
    total = 0
    for n in names:
        v = values.get(n)
        if v is None:
            return None
        total += v
    return total


def evaluate(check: Check, values: Mapping[str, int | None]) -> tuple[int, int] | None:
    """(left sum, bound) when the check is broken; None when it holds or a field is pending."""
    left = _sum(values, check.left)
    if left is None:
        return None
    if check.relation is Relation.EQUAL:
        right = _sum(values, check.right)
        return None if right is None or left == right else (left, right)
    bound: int | None = check.limit
    if check.right:
        right = _sum(values, check.right)
        if right is None:
            return None
        bound = check.bound(right)
    return None if bound is None or left <= bound else (left, bound)


def angka(n: int) -> str:
    """A number as Indonesians write it: 1.100, not 1100 (a hint is read beside the page's numbers)."""
    return f"{n:,}".replace(",", ".")


def digit_hint(written: int, bound: int) -> str:
    """Which digit of `written` to look at first when it exceeds `bound`: an extra digit (74 read as 748),
    else the highest place where the two differ (285 over 255: the tens digit, not the hundreds)."""
    w, b = str(written), str(bound)
    if len(w) > len(b):
        return f"{angka(written)} punya digit lebih banyak daripada {angka(bound)}: periksa digit tambahan"
    place = next((len(w) - 1 - i for i, (x, y) in enumerate(zip(w, b, strict=True)) if x != y), 0)
    return f"periksa digit {_PLACES[min(place, len(_PLACES) - 1)]}"


def hint(check: Check, left: int, bound: int) -> str:
    what, other = describe(check.left), describe(check.right)
    if check.relation is Relation.EQUAL:
        gap = angka(abs(left - bound))
        said = f"{what} ({angka(left)}) tidak sama dengan {other} ({angka(bound)}), selisih {gap}"
    elif not check.right:
        said = f"{what} ({angka(left)}) melebihi batas {angka(bound)}; {digit_hint(left, bound)}"
    elif check.reserve_percent:
        said = (
            f"{what} ({angka(left)}) melebihi {other} + {check.reserve_percent}% cadangan ({angka(bound)}); "
            f"{digit_hint(left, bound)}"
        )
    else:
        said = f"{what} ({angka(left)}) melebihi {other} ({angka(bound)}); {digit_hint(left, bound)}"
    return f"{said[0].upper()}{said[1:]}. {check.hint}".strip()


def check_flag(check: Check, sheet: TallySheet) -> Flag | None:
    broken = evaluate(check, sheet.values)
    if broken is None:
        return None
    left, bound = broken
    return Flag(sheet.tps, check.rule, check.fields(), bound, left, hint(check, left, bound))


def missing_pages(sheet: TallySheet, contest: Contest) -> tuple[int, ...]:
    return tuple(p for p in range(1, contest.pages + 1) if p not in sheet.pages)


def missing_page_flag(sheet: TallySheet, contest: Contest) -> Flag | None:
    gone = missing_pages(sheet, contest)
    if not gone:
        return None
    fields = tuple(f.name for f in contest.fields if f.page in gone)
    pages = ", ".join(str(p) for p in gone)
    return Flag(
        sheet.tps,
        Rule.MISSING_PAGE,
        fields,
        contest.pages,
        contest.pages - len(gone),
        f"Halaman {pages} dari {contest.pages} belum diunggah; foto dan unggah halaman itu.",
    )


def check_sheet(sheet: TallySheet, contest: Contest) -> list[Flag]:
    """Every broken rule of one sheet, in the contest's order, MISSING_PAGE first."""
    flags: list[Flag] = []
    page_flag = missing_page_flag(sheet, contest)
    if page_flag is not None:
        flags.append(page_flag)
    for check in contest.checks:
        flag = check_flag(check, sheet)
        if flag is not None:
            flags.append(flag)
    return flags


def pending_fields(sheet: TallySheet, contest: Contest) -> tuple[str, ...]:
    """Fields of the contest not read yet (missing or None)."""
    return tuple(f.name for f in contest.fields if sheet.values.get(f.name) is None)
