"""What the public pages show, as frozen values: the templates, the CSV and the JSON exports read these."""

from __future__ import annotations

from dataclasses import dataclass, field

from reconcile.ids import Level
from tally.election.recap import Recap


@dataclass(frozen=True, slots=True)
class Crumb:
    code: str  # "" for nasional
    name: str


@dataclass(frozen=True, slots=True)
class RegionPage:
    """A region's recap (the foundation's `Recap`) with what a page adds: where it sits and where it links."""

    recap: Recap
    contest_name: str
    level: Level
    crumbs: tuple[Crumb, ...]  # nasional first, this region last
    child_level: Level
    links: dict[str, str] = field(default_factory=dict)  # child line code → page path
    child_flags: dict[str, int] = field(default_factory=dict)  # child line code → error flags inside it


def shares(votes: tuple[int, ...]) -> tuple[float, ...]:
    total = sum(votes)
    return tuple(v / total if total else 0.0 for v in votes)


@dataclass(frozen=True, slots=True)
class FlagView:
    subject: str
    rule: str
    fields: str
    expected: int | None
    actual: int | None
    hint: str
    severity: str


@dataclass(frozen=True, slots=True)
class SheetView:
    id: str
    source: str
    version: int
    pages: str
    created_at: str
    photo_sha256: str | None
    counts: bool


@dataclass(frozen=True, slots=True)
class TpsPage:
    contest_id: str
    contest_name: str
    paslon: tuple[str, ...]
    tps_id: str
    number: int
    dpt: int
    crumbs: tuple[Crumb, ...]
    status: str  # "masuk" (counts), "tertunda" (pending), "belum" (nothing yet)
    values: tuple[tuple[str, str, int | None], ...]  # (field, label, value) in form order
    flags: tuple[FlagView, ...]
    sheets: tuple[SheetView, ...]
    updated_at: str = ""

    def value(self, name: str) -> int | None:
        for field_name, _, value in self.values:
            if field_name == name:
                return value
        return None
