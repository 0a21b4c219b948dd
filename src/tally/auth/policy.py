"""The officer rules an operator may tune, as one value read from `Settings` (docs/security.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from tally.auth.scope import Role

if TYPE_CHECKING:
    from tally.settings import Settings


@dataclass(frozen=True, slots=True)
class Policy:
    code_issuer: Role = Role.KPU  # KPU means a KPU kab/kota account; PPK/PPS when the operator says so
    device_ttl: timedelta = timedelta(days=14)
    staff_ttl: timedelta = timedelta(hours=12)
    lock_after: int = 5  # wrong passwords in a row before the account is locked
    lock_first: timedelta = timedelta(minutes=1)  # doubling with every further wrong password
    lock_longest: timedelta = timedelta(hours=1)

    @classmethod
    def of(cls, settings: Settings) -> Policy:
        return cls(
            code_issuer=Role(settings.code_issuer_role),
            device_ttl=timedelta(days=settings.device_token_days),
            staff_ttl=timedelta(hours=settings.staff_session_hours),
            lock_after=settings.login_lock_after,
        )

    def lock_for(self, failures: int) -> timedelta:
        """How long the account stays locked after `failures` wrong passwords in a row (0: not locked)."""
        if failures < self.lock_after:
            return timedelta(0)
        longer: timedelta = self.lock_first * (2 ** min(failures - self.lock_after, 16))
        return min(self.lock_longest, longer)


DEFAULT = Policy()
