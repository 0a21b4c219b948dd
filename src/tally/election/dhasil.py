"""The D.Hasil as officials key it: one row per child region (a kecamatan's D.Hasil has a row per
kelurahan/desa, a kab/kota's a row per kecamatan, …) with every number a C.Hasil holds that a recap sums —
the voter list, who voted, the ballots (II), voters with a disability, the votes per paslon, suara sah,
tidak sah and their sum — each compared with the same sum over the counted TPS.

The TPS-derived sums come from the counted sheets' values (`tps_result` → `sheet_value`), one GROUP BY per
level, so every field of the form can be compared, not only the handful `region_total` keeps. A row's keyed
numbers are stored at the child region (`keyed_recap`), the region's own total at the region: the sum of
the rows, for each field every row has. A mismatch is followed one level down (to the TPS of a kelurahan)
with `reconcile.recap.suspects`, the rule `tally.election.mismatch` applies to the stored totals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from reconcile.contest import Contest
from reconcile.ids import Level, RegionCode, TpsId, key_length, level, region_code, tps_number, undotted
from reconcile.recap import Child, RecapMismatch, Why, suspects
from reconcile.rules import describe
from tally.db.regions import TpsRow
from tally.db.results import TpsResultRow, TpsValueRow
from tally.db.scope import in_region
from tally.election.mismatch import MAX_BRANCH, Mismatch, Step
from tally.election.recap_lines import child_names, keyed_values, region_name

__all__ = [
    "SECTIONS",
    "Cell",
    "DHasil",
    "Row",
    "dhasil",
    "dhasil_fields",
    "mismatches_of",
    "row_mismatches",
    "section_of",
    "total_of",
]

# The parts of the form a D.Hasil sums, in its order: (heading, field-name prefixes).
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("I. Data pemilih dan pengguna hak pilih", ("pemilih_", "pengguna_")),
    ("II. Penggunaan surat suara", ("surat_",)),
    ("III. Pemilih disabilitas", ("disabilitas_",)),
    ("IV. Perolehan suara", ("suara_paslon_",)),
    ("V. Suara sah dan tidak sah", ("suara_sah", "suara_tidak_sah", "suara_total")),
)


def dhasil_fields(contest: Contest) -> tuple[str, ...]:
    """Every number of C.Hasil pages 1–3 a recap sums: each row's jumlah (a D.Hasil keys the L/P split of
    neither), the ballots, the votes and their sums — in the form's order."""
    return tuple(f.name for f in contest.fields if 1 <= f.page <= 3 and not f.name.endswith(("_l", "_p")))


def section_of(name: str) -> str:
    return next(title for title, prefixes in SECTIONS if name.startswith(prefixes))


@dataclass(frozen=True, slots=True)
class Cell:
    field: str
    keyed: int | None  # the latest keyed number, None while not keyed
    computed: int  # the sum over the counted TPS

    @property
    def differs(self) -> bool:
        return self.keyed is not None and self.keyed != self.computed


@dataclass(frozen=True, slots=True)
class Row:
    code: RegionCode  # dotted
    name: str
    tps_counted: int
    tps_expected: int
    cells: tuple[Cell, ...]

    def cell(self, name: str) -> Cell:
        return next(c for c in self.cells if c.field == name)

    @property
    def keyed_count(self) -> int:
        return sum(c.keyed is not None for c in self.cells)

    @property
    def differing(self) -> tuple[Cell, ...]:
        return tuple(c for c in self.cells if c.differs)


@dataclass(frozen=True, slots=True)
class DHasil:
    region: RegionCode
    name: str
    fields: tuple[str, ...]
    rows: tuple[Row, ...]  # one per child region, in code order
    total: Row  # the region itself: keyed total (the rows' sum) against Tally's


Sums = dict[str, dict[str, int]]  # undotted area → field → sum over its counted TPS


def _sums(conn: Connection, contest: Contest, region: RegionCode, length: int, fields: Iterable[str]) -> Sums:
    """Per undotted area of `length` digits: each field summed over the counted TPS's settled values."""
    v = TpsValueRow
    area = func.substr(v.tps_id, 1, length)
    stmt = (
        select(area, v.field, func.sum(v.value))
        .where(v.contest_id == contest.id, in_region(v.tps_id, region), v.field.in_(tuple(fields)))
        .group_by(area, v.field)
    )
    out: Sums = {}
    for code, name, total in conn.execute(stmt):
        out.setdefault(str(code), {})[str(name)] = int(total or 0)
    return out


def _counts(
    conn: Connection, contest: Contest, region: RegionCode, length: int
) -> dict[str, tuple[int, int]]:
    """(counted, expected) TPS per undotted area of `length` digits inside `region`."""
    expected_area = func.substr(TpsRow.id, 1, length)
    expected = {
        str(a): int(n)
        for a, n in conn.execute(
            select(expected_area, func.count()).where(in_region(TpsRow.id, region)).group_by(expected_area)
        )
    }
    counted_area = func.substr(TpsResultRow.tps_id, 1, length)
    counted = {
        str(a): int(n)
        for a, n in conn.execute(
            select(counted_area, func.count())
            .where(
                TpsResultRow.contest_id == contest.id,
                TpsResultRow.counted == 1,
                in_region(TpsResultRow.tps_id, region),
            )
            .group_by(counted_area)
        )
    }
    return {a: (counted.get(a, 0), n) for a, n in expected.items()}


def dhasil(conn: Connection, contest: Contest, region: RegionCode) -> DHasil:
    """The D.Hasil of `region` (a kecamatan or above): its rows, keyed and computed, and its total."""
    fields = dhasil_fields(contest)
    length = key_length(Level(level(region) + 1))
    sums = _sums(conn, contest, region, length, fields)
    counts = _counts(conn, contest, region, length)
    rows = []
    for area, name in sorted(child_names(conn, region).items()):
        code = region_code(area)
        keyed = keyed_values(conn, contest.id, code)
        got = sums.get(area, {})
        counted, expected = counts.get(area, (0, 0))
        cells = tuple(Cell(f, keyed.get(f), got.get(f, 0)) for f in fields)
        rows.append(Row(code, name, counted, expected, cells))
    keyed_total = keyed_values(conn, contest.id, region)
    total_cells = tuple(Cell(f, keyed_total.get(f), sum(r.cell(f).computed for r in rows)) for f in fields)
    total = Row(
        region,
        region_name(conn, region),
        sum(r.tps_counted for r in rows),
        sum(r.tps_expected for r in rows),
        total_cells,
    )
    return DHasil(region, total.name, fields, tuple(rows), total)


def total_of(rows: Iterable[Mapping[str, int]], fields: Iterable[str]) -> dict[str, int]:
    """The region's keyed total: for each field every row has, their sum (a D.Hasil's jumlah column)."""
    rows = list(rows)
    if not rows:
        return {}
    return {f: sum(r[f] for r in rows) for f in fields if all(f in r for r in rows)}


_NOTES = {
    Why.OWN_RECAP_DIFFERS: "rekap resmi baris ini {keyed}, hitungan TPS {value}",
    Why.NOT_FULLY_COUNTED: "baru {counted} dari {expected} TPS terhitung",
    Why.EQUALS_DIFFERENCE: "angkanya sama dengan selisih",
}


def _trail(conn: Connection, contest: Contest, row: Row, name: str, diff: int) -> tuple[Step, ...]:
    """The areas inside `row` (its TPS, for a kelurahan) that can hold `diff` on field `name`."""
    below = Level(level(row.code) + 1)
    length = key_length(below)
    sums = _sums(conn, contest, row.code, length, (name,))
    counts = _counts(conn, contest, row.code, length)
    names = {} if below is Level.TPS else child_names(conn, row.code)
    children = []
    for area, (counted, expected) in sorted(counts.items()):
        keyed = None if below is Level.TPS else keyed_values(conn, contest.id, region_code(area)).get(name)
        children.append(Child(area, sums.get(area, {}).get(name, 0), keyed, counted, expected))
    steps = []
    for child, why in suspects(children, diff)[:MAX_BRANCH]:
        note = _NOTES[why].format(
            keyed=child.keyed, value=child.computed, counted=child.tps_counted, expected=child.tps_expected
        )
        if below is Level.TPS:
            steps.append(
                Step(child.code, f"TPS {tps_number(TpsId(child.code)):03d}", True, child.computed, note)
            )
        else:
            code = region_code(child.code)
            steps.append(Step(code, names.get(child.code, code), False, child.computed, note))
    return tuple(steps)


def _total_trail(result: DHasil, name: str, diff: int) -> tuple[Step, ...]:
    kids = [
        Child(r.code, r.cell(name).computed, r.cell(name).keyed, r.tps_counted, r.tps_expected)
        for r in result.rows
    ]
    by_code = {r.code: r for r in result.rows}
    return tuple(
        Step(
            c.code,
            by_code[RegionCode(c.code)].name,
            False,
            c.computed,
            _NOTES[why].format(
                keyed=c.keyed, value=c.computed, counted=c.tps_counted, expected=c.tps_expected
            ),
        )
        for c, why in suspects(kids, diff)[:MAX_BRANCH]
    )


def _mismatch(region: RegionCode, cell: Cell, trail: tuple[Step, ...]) -> Mismatch:
    assert cell.keyed is not None
    first = tuple(RegionCode(s.code) for s in trail)
    hint = RecapMismatch(region, cell.field, cell.keyed, cell.computed, first).flag().hint
    return Mismatch(cell.field, describe((cell.field,)), cell.keyed, cell.computed, trail, hint)


def row_mismatches(conn: Connection, contest: Contest, result: DHasil) -> dict[RegionCode, list[Mismatch]]:
    """Every keyed number of the D.Hasil (each row's and the total's) that differs from the TPS sum, with the
    areas that can explain it; keyed by the region the number belongs to (the total's first)."""
    out: dict[RegionCode, list[Mismatch]] = {
        result.region: [
            _mismatch(result.region, c, _total_trail(result, c.field, c.keyed - c.computed))
            for c in result.total.differing
            if c.keyed is not None
        ]
    }
    for row in result.rows:
        out[row.code] = [
            _mismatch(row.code, c, _trail(conn, contest, row, c.field, c.keyed - c.computed))
            for c in row.differing
            if c.keyed is not None
        ]
    return out


def mismatches_of(conn: Connection, contest: Contest, code: RegionCode) -> list[Mismatch]:
    """Every number keyed for `code` (a D.Hasil row or total) that differs from the sum over its counted
    TPS, each with the areas one level down that can explain it: what `tally reconcile` can re-store for
    every keyed region (`store_flags`), over every field, as a save of the D.Hasil does."""
    fields = dhasil_fields(contest)
    keyed = keyed_values(conn, contest.id, code)
    if not keyed:
        return []
    length = key_length(level(code))
    got = _sums(conn, contest, code, length, fields).get(undotted(code), {})
    counted, expected = _counts(conn, contest, code, length).get(undotted(code), (0, 0))
    cells = tuple(Cell(f, keyed.get(f), got.get(f, 0)) for f in fields)
    row = Row(code, region_name(conn, code), counted, expected, cells)
    return [
        _mismatch(code, c, _trail(conn, contest, row, c.field, c.keyed - c.computed))
        for c in row.differing
        if c.keyed is not None
    ]
