"""Named ids for regions, TPS and sheets, and the one place that knows how a code nests.

Kepmendagri codes are dotted: provinsi ``PP``, kabupaten/kota ``PP.KK``, kecamatan ``PP.KK.CC``,
kelurahan/desa ``PP.KK.CC.DDDD``. KPU writes them without dots; a TPS id is the 10-digit desa code plus a
3-digit TPS number (``3173041007`` + ``005``). The nation is the empty code ``""``.
"""

from __future__ import annotations

import re
from enum import IntEnum
from typing import NewType

RegionCode = NewType("RegionCode", str)
TpsId = NewType("TpsId", str)
SheetId = NewType("SheetId", str)

NASIONAL = RegionCode("")

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
    if "." not in text and text.isdigit() and len(text) in (2, 4, 6, 10):
        cuts = [2, 4, 6][: {2: 0, 4: 1, 6: 2, 10: 3}[len(text)]]
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
        return region_code(code[:10])
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
    region_code(text[:10])
    return TpsId(text)


def tps_number(tps: TpsId) -> int:
    return int(tps[10:])


def undotted(code: RegionCode) -> str:
    """KPU's spelling of a region code."""
    return code.replace(".", "")
