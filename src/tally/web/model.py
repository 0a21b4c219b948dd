"""What the public pages show, as frozen values: the templates, the CSV and the JSON exports read these."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from reconcile.ids import Level
from tally import words
from tally.db.audit import AuditEntry
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

    @property
    def counted(self) -> SheetView | None:
        return next((s for s in self.sheets if s.counts), None)

    @property
    def sources(self) -> tuple[SourceLine, ...]:
        """The sheets grouped by where their numbers came from, newest first: one line per kind, not one per
        version (a TPS corrected field by field has dozens of versions)."""
        lines: dict[str, list[SheetView]] = {}
        for s in self.sheets:
            lines.setdefault(s.source, []).append(s)
        said = words.SOURCES
        return tuple(
            SourceLine(said.get(k, "kiriman lain"), len(v), v[0].created_at, any(s.counts for s in v))
            for k, v in lines.items()
        )

    @property
    def photos(self) -> tuple[tuple[str, str], ...]:
        """(pages, SHA-256) of each photo the numbers were read from, once each, newest first."""
        seen: dict[str, str] = {}
        for s in self.sheets:
            if s.photo_sha256 and s.photo_sha256 not in seen:
                seen[s.photo_sha256] = s.pages
        return tuple((pages, sha) for sha, pages in seen.items())


@dataclass(frozen=True, slots=True)
class SourceLine:
    label: str  # "dibaca dari foto", "dikoreksi PPS (disetujui petugas kedua)"
    count: int
    latest: str  # when the newest of them arrived
    counts: bool  # the sheet that counts is one of them


@dataclass(frozen=True, slots=True)
class HistoryLine:
    """A run of log entries of one kind by one role, newest first: "perbaikan disetujui oleh PPS, 12 kali"."""

    action: str
    role: str
    count: int
    first_seq: int
    last_seq: int
    last_at: str


def history_lines(entries: Iterable[AuditEntry]) -> list[HistoryLine]:
    out: list[HistoryLine] = []
    for e in entries:  # newest first
        label, who = words.action(e.action), words.role(e.actor_role)
        last = out[-1] if out else None
        if last is not None and (last.action, last.role) == (label, who):
            out[-1] = HistoryLine(label, who, last.count + 1, e.seq, last.last_seq, last.last_at)
        else:
            out.append(HistoryLine(label, who, 1, e.seq, e.seq, e.at.strftime("%Y-%m-%d %H:%M")))
    return out
