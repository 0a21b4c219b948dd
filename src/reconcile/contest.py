"""Contests as data: the fields of a C.Hasil form and the arithmetic that ties them.

A contest is one TOML file in ``reconcile/contests/``; adding one (a Pilkada with five paslon, a DPR
ballot) is a new file, not new code. The file is parsed here into frozen values; the rules engine, the OCR
decoder and the renderer all read the same `Contest`.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from dataclasses import field as dc_field
from enum import StrEnum
from importlib import resources
from typing import Any

from reconcile.flags import Rule

PASLON_PREFIX = "suara_paslon_"


class Relation(StrEnum):
    EQUAL = "equal"  # Σ left = Σ right
    AT_MOST = "at_most"  # Σ left ≤ Σ right (+ reserve %, rounded up) or ≤ limit


@dataclass(frozen=True, slots=True)
class FieldDef:
    name: str
    page: int
    label: str


@dataclass(frozen=True, slots=True)
class Check:
    """One arithmetic tie between fields; `hint` is what the officer should do when it breaks."""

    rule: Rule
    relation: Relation
    left: tuple[str, ...]
    right: tuple[str, ...] = ()
    limit: int | None = None
    reserve_percent: int = 0
    hint: str = ""

    def fields(self) -> tuple[str, ...]:
        return self.left + self.right

    def bound(self, right_sum: int) -> int:
        """The largest allowed left sum for an AT_MOST check with a right-hand side."""
        return right_sum + math.ceil(right_sum * self.reserve_percent / 100)


@dataclass(frozen=True, slots=True)
class Contest:
    id: str
    name: str
    form: str
    pages: int
    max_dpt: int
    paslon: tuple[str, ...]
    fields: tuple[FieldDef, ...]
    checks: tuple[Check, ...]
    source: str = dc_field(default="", repr=False, compare=False)  # the TOML text, to re-slate

    @property
    def paslon_fields(self) -> tuple[str, ...]:
        return tuple(f"{PASLON_PREFIX}{i}" for i in range(1, len(self.paslon) + 1))

    def field(self, name: str) -> FieldDef:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def fields_on_page(self, page: int) -> tuple[FieldDef, ...]:
        return tuple(f for f in self.fields if f.page == page)

    def with_paslon(self, names: tuple[str, ...]) -> Contest:
        """The same contest with another slate (Pilkada: 1–6 paslon, one paslon = kotak kosong)."""
        return parse_contest(self.source, paslon=names)


def parse_contest(text: str, *, paslon: tuple[str, ...] | None = None) -> Contest:
    return _build(tomllib.loads(text), text, paslon=paslon)


def _expand(names: list[str], paslon_fields: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for n in names:
        out.extend(paslon_fields if n == PASLON_PREFIX + "*" else (n,))
    return tuple(out)


def _build(raw: dict[str, Any], source: str, *, paslon: tuple[str, ...] | None) -> Contest:
    slate = tuple(paslon) if paslon is not None else tuple(raw["paslon"])
    if not slate:
        raise ValueError(f"{raw['id']}: a contest needs at least one paslon")
    if len(slate) == 1 and raw.get("single_paslon_kotak_kosong"):
        slate = (*slate, "Kotak Kosong")
    paslon_page = int(raw["paslon_page"])
    paslon_fields = tuple(f"{PASLON_PREFIX}{i}" for i in range(1, len(slate) + 1))
    fields: list[FieldDef] = []
    for f in raw["fields"]:
        if f["name"] == PASLON_PREFIX + "*":
            fields.extend(
                FieldDef(name, paslon_page, f"{f['label']} {i}. {who}")
                for i, (name, who) in enumerate(zip(paslon_fields, slate, strict=True), start=1)
            )
        else:
            fields.append(FieldDef(f["name"], int(f["page"]), f["label"]))
    names = {f.name for f in fields}
    checks: list[Check] = []
    for c in raw["checks"]:
        check = Check(
            rule=Rule(c["rule"]),
            relation=Relation(c["relation"]),
            left=_expand(c["left"], paslon_fields),
            right=_expand(c.get("right", []), paslon_fields),
            limit=c.get("limit"),
            reserve_percent=int(c.get("reserve_percent", 0)),
            hint=c.get("hint", ""),
        )
        unknown = set(check.fields()) - names
        if unknown:
            raise ValueError(f"{raw['id']}: check {c['rule']} names unknown fields {sorted(unknown)}")
        checks.append(check)
    return Contest(
        id=str(raw["id"]),
        name=str(raw["name"]),
        form=str(raw["form"]),
        pages=int(raw["pages"]),
        max_dpt=int(raw["max_dpt"]),
        paslon=slate,
        fields=tuple(fields),
        checks=tuple(checks),
        source=source,
    )


def builtin_contest(contest_id: str) -> Contest:
    """A contest shipped with Tally (`ppwp-2024`, `pilkada-kwk-2024`), read from package data."""
    try:
        text = resources.files("reconcile.contests").joinpath(f"{contest_id}.toml").read_text("utf-8")
    except FileNotFoundError as exc:
        raise KeyError(f"kontes tidak dikenal: {contest_id}") from exc
    return parse_contest(text)


def builtin_contest_ids() -> list[str]:
    root = resources.files("reconcile.contests")
    return sorted(p.name.removesuffix(".toml") for p in root.iterdir() if p.name.endswith(".toml"))
