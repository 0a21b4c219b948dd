"""Who is asking and where they may act. A scope is a region code prefix; the nation is ""."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from reconcile.ids import RegionCode, TpsId, undotted


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

    @property
    def prefix(self) -> str:
        """The undotted prefix every TPS id inside this scope starts with."""
        return self.scope if self.role is Role.KPPS else undotted(RegionCode(self.scope))

    def covers_tps(self, tps: TpsId) -> bool:
        return tps == self.scope if self.role is Role.KPPS else tps.startswith(self.prefix)

    def covers_region(self, region: RegionCode) -> bool:
        if self.role is Role.KPPS:
            return False
        return undotted(region).startswith(self.prefix)
