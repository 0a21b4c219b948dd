"""What an official sees before acting (`/petugas/kode`): the kelurahan/desa of their region, each TPS's
live codes and devices, and the staff accounts of their region. Reads only; every change goes through
`tally.auth.codes` and `tally.auth.service`, which write the audit entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from reconcile.ids import Level, RegionCode
from tally.auth.scope import Role
from tally.db.intake import AccessTokenRow, ActivationCodeRow, StaffRow
from tally.db.regions import RegionRow, TpsRow
from tally.db.scope import codes_in, in_region


@dataclass(frozen=True, slots=True)
class Desa:
    code: str
    name: str
    kecamatan: str


@dataclass(frozen=True, slots=True)
class TpsKeys:
    """One TPS's live activation codes and KPPS devices."""

    tps_id: str
    number: int
    devices: int  # device tokens neither revoked nor expired
    unused_codes: int  # codes neither used, revoked nor expired
    code_expires: datetime | None  # the latest expiry among the unused codes
    issued: int  # codes ever issued


@dataclass(frozen=True, slots=True)
class StaffAccount:
    username: str
    role: Role
    region: str
    region_name: str
    disabled_at: datetime | None
    locked_until: datetime | None


def _pattern(search: str) -> str:
    return search.strip().lower()


def desas_in(
    session: Session, region: RegionCode, search: str = "", limit: int = 60
) -> tuple[list[Desa], int]:
    """The kelurahan/desa inside `region` whose name (or kecamatan's) holds `search`, by kecamatan and name;
    at most `limit`, and how many matched in all."""
    kec = aliased(RegionRow)
    stmt = (
        select(RegionRow.code, RegionRow.name, kec.name)
        .join(kec, kec.code == RegionRow.parent)
        .where(RegionRow.level == Level.DESA, codes_in(RegionRow.code, region))
    )
    if pattern := _pattern(search):
        stmt = stmt.where(
            func.lower(RegionRow.name).contains(pattern, autoescape=True)
            | func.lower(kec.name).contains(pattern, autoescape=True)
        )
    total = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    rows = session.execute(stmt.order_by(kec.name, RegionRow.name).limit(limit)).all()
    return [Desa(code, name, kname) for code, name, kname in rows], total


def tps_keys(session: Session, desa: RegionCode, at: datetime | None = None) -> list[TpsKeys]:
    """Every TPS of `desa` with its live devices and unused codes (four grouped range reads)."""
    at = at or datetime.now(UTC)
    tps = session.execute(
        select(TpsRow.id, TpsRow.number).where(TpsRow.desa == desa).order_by(TpsRow.number)
    ).all()
    devices = dict(
        session.execute(
            select(AccessTokenRow.scope, func.count())
            .where(
                in_region(AccessTokenRow.scope, desa),
                AccessTokenRow.role == Role.KPPS.value,
                AccessTokenRow.revoked_at.is_(None),
                AccessTokenRow.expires_at > at,
            )
            .group_by(AccessTokenRow.scope)
        ).all()
    )
    code = ActivationCodeRow
    live = {
        t: (n, exp)
        for t, n, exp in session.execute(
            select(code.tps_id, func.count(), func.max(code.expires_at))
            .where(
                in_region(code.tps_id, desa),
                code.used_at.is_(None),
                code.revoked_at.is_(None),
                code.expires_at > at,
            )
            .group_by(code.tps_id)
        )
    }
    issued = dict(
        session.execute(
            select(code.tps_id, func.count()).where(in_region(code.tps_id, desa)).group_by(code.tps_id)
        ).all()
    )
    none: tuple[int, datetime | None] = (0, None)
    return [TpsKeys(t, n, devices.get(t, 0), *live.get(t, none), issued.get(t, 0)) for t, n in tps]


def staff_in(
    session: Session, region: RegionCode, *, besides: str, search: str = "", limit: int = 100
) -> tuple[list[StaffAccount], int]:
    """The staff accounts working inside `region` (not `besides`, the official themselves), by region and
    name; at most `limit`, and how many matched in all."""
    stmt = (
        select(StaffRow, RegionRow.name)
        .outerjoin(RegionRow, RegionRow.code == StaffRow.region)
        .where(codes_in(StaffRow.region, region), StaffRow.username != besides)
    )
    if pattern := _pattern(search):
        stmt = stmt.where(
            func.lower(StaffRow.username).contains(pattern, autoescape=True)
            | func.lower(RegionRow.name).contains(pattern, autoescape=True)
        )
    total = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    rows = session.execute(stmt.order_by(StaffRow.region, StaffRow.username).limit(limit)).all()
    return [
        StaffAccount(r.username, Role(r.role), r.region, name or "nasional", r.disabled_at, r.locked_until)
        for r, name in rows
    ], total
