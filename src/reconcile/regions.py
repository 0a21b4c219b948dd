"""The region tree: Kepmendagri codes with their names, nested by `reconcile.ids.parent` alone.

Built once from (dotted code, name) rows — the whole country is 91,599 rows — and then read-only. Children are
kept sorted so every listing (pages, exports, roll-up indexes) comes out in code order.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from reconcile.ids import NASIONAL, Level, RegionCode, code_range, contains, parent, region_code
from reconcile.ids import level as code_level

_NO_CHILDREN: tuple[RegionCode, ...] = ()
_DOTTED = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")


@dataclass(frozen=True, slots=True)
class RegionTree:
    """Names and nesting of every region; the nation is the root with code ``""``."""

    names: Mapping[RegionCode, str]
    _children: Mapping[RegionCode, tuple[RegionCode, ...]]
    _levels: tuple[tuple[RegionCode, ...], ...]  # per Level, sorted; `desa_under` is a prefix range of DESA

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str]]) -> RegionTree:
        names: dict[RegionCode, str] = {NASIONAL: "Indonesia"}
        kids: dict[RegionCode, list[RegionCode]] = {}
        by_level: list[list[RegionCode]] = [[NASIONAL], [], [], [], []]
        for raw, name in rows:
            # Dotted codes (the CSV's spelling) skip the general parser: this loop runs 91,599 times.
            code = RegionCode(raw) if _DOTTED.match(raw) else region_code(raw)
            if code == NASIONAL:
                continue
            if code in names:
                raise ValueError(f"kode wilayah ganda: {code}")
            names[code] = name
            head, dot, _ = code.rpartition(".")
            kids.setdefault(RegionCode(head) if dot else NASIONAL, []).append(code)
            by_level[code.count(".") + 1].append(code)
        children = {k: tuple(sorted(v)) for k, v in kids.items()}
        levels = tuple(tuple(sorted(codes)) for codes in by_level)
        return cls(MappingProxyType(names), MappingProxyType(children), levels)

    def __contains__(self, code: object) -> bool:
        return code in self.names

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self) -> Iterator[RegionCode]:
        return iter(self.names)

    def name(self, code: RegionCode) -> str:
        try:
            return self.names[code]
        except KeyError:
            raise KeyError(f"wilayah tidak dikenal: {code!r}") from None

    def children(self, code: RegionCode) -> tuple[RegionCode, ...]:
        return self._children.get(code, _NO_CHILDREN)

    def parent(self, code: RegionCode) -> RegionCode | None:
        return parent(code)

    def level(self, code: RegionCode) -> Level:
        return code_level(code)

    def at_level(self, lvl: Level) -> tuple[RegionCode, ...]:
        """Every region of one level, in code order."""
        return self._levels[lvl] if lvl < len(self._levels) else _NO_CHILDREN

    def desa_under(self, code: RegionCode) -> tuple[RegionCode, ...]:
        """Every kelurahan/desa inside `code` (itself if it is one), in code order."""
        desa = self._levels[Level.DESA]
        if code == NASIONAL:
            return desa
        if code_level(code) is Level.DESA:
            return (code,) if code in self.names else _NO_CHILDREN
        low, high = code_range(code)
        assert high is not None  # only the nation is unbounded
        return desa[bisect_left(desa, low) : bisect_left(desa, high)]

    def subtree(self, code: RegionCode) -> RegionTree:
        """The tree cut to `code`, its ancestors and everything below it (a synth or recap scope)."""
        keep = [c for c in self.names if c != NASIONAL and contains(code, c)]
        up = parent(code)
        while up is not None and up != NASIONAL:
            keep.append(up)
            up = parent(up)
        return RegionTree.from_rows((c, self.names[c]) for c in keep)

