"""Named ids for regions, TPS and sheets, and the one place that knows how a code nests.

Kepmendagri codes are dotted: provinsi ``PP``, kabupaten/kota ``PP.KK``, kecamatan ``PP.KK.CC``,
kelurahan/desa ``PP.KK.CC.DDDD``. KPU writes them without dots; a TPS id is the 10-digit desa code plus a
3-digit TPS number (``3173041007`` + ``005``). The nation is the empty code ``""``.

Every part has a fixed width, so a region's undotted code is a prefix of every code and TPS id inside it:
"inside this region" is `contains` in Python and `key_range` (undotted keys) or `code_range` (dotted codes)
as an index range in SQL. Nothing else slices codes or keeps a table of their lengths.
"""

from __future__ import annotations

import re
from enum import IntEnum
from typing import NewType

RegionCode = NewType("RegionCode", str)
TpsId = NewType("TpsId", str)
SheetId = NewType("SheetId", str)

NASIONAL = RegionCode("")

_KEY_LENGTH = (0, 2, 4, 6, 10, 13)  # undotted length per Level: nasional, provinsi … desa, then a TPS id
_REGION = re.compile(r"^(\d{2})(\.\d{2})?(\.\d{2})?(\.\d{4})?$")
_TPS = re.compile(r"^\d{13}$")


class Level(IntEnum):
    """Depth in the tree; the int value is the number of dotted parts of the code."""

    NASIONAL = 0
    PROVINSI = 1
    KABKOTA = 2
    KECAMATAN = 3
    DESA = 4
    TPS = 5


class InvalidCode(ValueError):
    """A region code or TPS id that does not follow the Kepmendagri/KPU shape."""


def region_code(text: str) -> RegionCode:
    """Parse a dotted (``31.73.04.1007``) or KPU-style undotted (``3173041007``) region code."""
    text = text.strip()
    if text == "":
        return NASIONAL
    if "." not in text and text.isdigit() and len(text) in _KEY_LENGTH[Level.PROVINSI : Level.TPS]:
        cuts = list(_KEY_LENGTH[Level.PROVINSI : _KEY_LENGTH.index(len(text))])
        parts, start = [], 0
        for cut in cuts:
            parts.append(text[start:cut])
            start = cut
        parts.append(text[start:])
        text = ".".join(parts)
    if not _REGION.match(text):
        raise InvalidCode(f"kode wilayah tidak dikenal: {text!r}")
    return RegionCode(text)


def level(code: RegionCode | TpsId) -> Level:
    if _TPS.match(code):
        return Level.TPS
    if code == "":
        return Level.NASIONAL
    return Level(code.count(".") + 1)


def parent(code: RegionCode | TpsId) -> RegionCode | None:
    """The enclosing region: TPS → desa → kecamatan → kab/kota → provinsi → nasional → None."""
    if _TPS.match(code):
        return region_code(code[: _KEY_LENGTH[Level.DESA]])
    if code == "":
        return None
    head, dot, _ = code.rpartition(".")
    return RegionCode(head) if dot else NASIONAL


def ancestors(code: RegionCode | TpsId) -> list[RegionCode]:
    """Every enclosing region, nearest first, ending with NASIONAL."""
    out: list[RegionCode] = []
    up = parent(code)
    while up is not None:
        out.append(up)
        up = parent(up)
    return out


def tps_id(desa: RegionCode, number: int) -> TpsId:
    if level(desa) is not Level.DESA:
        raise InvalidCode(f"TPS harus berada di kelurahan/desa, bukan {desa!r}")
    if not 1 <= number <= 999:
        raise InvalidCode(f"nomor TPS harus 1–999, bukan {number}")
    return TpsId(desa.replace(".", "") + f"{number:03d}")


def parse_tps_id(text: str) -> TpsId:
    text = text.strip().replace(".", "")
    if not _TPS.match(text):
        raise InvalidCode(f"ID TPS harus 13 angka (10 kode desa + 3 nomor TPS), bukan {text!r}")
    region_code(text[: _KEY_LENGTH[Level.DESA]])
    return TpsId(text)


def tps_number(tps: TpsId) -> int:
    return int(tps[_KEY_LENGTH[Level.DESA] :])


def undotted(code: RegionCode) -> str:
    """KPU's spelling of a region code."""
    return code.replace(".", "")


def key_length(lvl: Level) -> int:
    """The length of an undotted key at `lvl`: a TPS id's first `key_length(lvl)` digits name its region."""
    return _KEY_LENGTH[lvl]


def contains(region: RegionCode | TpsId, code: RegionCode | TpsId | str) -> bool:
    """`code` (a region code, dotted or not, or a TPS id) is `region` or lies inside it; a TPS holds only
    itself."""
    if _TPS.match(region):
        return code == region
    return undotted(RegionCode(code)).startswith(undotted(RegionCode(region)))


def at_level(code: RegionCode | TpsId, lvl: Level) -> RegionCode:
    """The region of level `lvl` that holds `code` (`code` itself when it is at that level)."""
    if level(code) is lvl:
        return RegionCode(code)
    found = next((a for a in ancestors(code) if level(a) is lvl), None)
    if found is None:
        raise InvalidCode(f"{code!r} tidak berada di bawah tingkat {lvl.name.lower()}")
    return found


def key_range(region: RegionCode) -> tuple[str, str | None]:
    """`[low, high)` of the undotted keys (TPS ids, flag areas) inside `region`; `high` is None when there
    is no bound (the nation)."""
    low = undotted(region)
    if low == "":
        return "", None
    high = str(int(low) + 1).zfill(len(low))
    return low, (high if len(high) == len(low) else None)


def code_range(region: RegionCode) -> tuple[str, str | None]:
    """`[low, high)` of the dotted codes of `region` and every region inside it ("/" sorts right after
    "."); `high` is None for the nation."""
    if region == NASIONAL:
        return "", None
    return region, region + "/"
