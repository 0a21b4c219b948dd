"""Who is asking and where they may act. A scope is a region code prefix; the nation is ""."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from reconcile.ids import RegionCode, TpsId, contains


class Role(StrEnum):
    KPPS = "kpps"  # one TPS, through a device token
    PPS = "pps"  # a kelurahan/desa
    PPK = "ppk"  # a kecamatan
    KPU = "kpu"  # a kab/kota, a provinsi, or the nation


STAFF_ROLES = (Role.PPS, Role.PPK, Role.KPU)
# The region depth (dotted parts) each staff role works at; KPU may sit at any depth 0–2.
ROLE_DEPTHS = {Role.PPS: (4,), Role.PPK: (3,), Role.KPU: (0, 1, 2)}


@dataclass(frozen=True, slots=True)
class Principal:
    role: Role
    scope: str  # TPS id (KPPS) or dotted region code (staff)
    subject: str
    token_hash: str

    def covers_tps(self, tps: TpsId) -> bool:
        return contains(RegionCode(self.scope), tps)  # a KPPS's scope is its TPS id, which holds only itself

    def covers_region(self, region: RegionCode) -> bool:
        if self.role is Role.KPPS:
            return False
        return contains(RegionCode(self.scope), region)
