"""KPPS activation codes and the devices they become: issued by the code issuer (KPU kab/kota by default),
exchanged once, revoked by a reissue, and every step an audit entry naming who did it.

One-time holds under concurrency on both engines: the exchange is a conditional
`UPDATE activation_code … WHERE used_at IS NULL AND revoked_at IS NULL` whose row count decides the winner
(PostgreSQL re-checks the condition after the row lock; SQLite evaluates it under its one write lock).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session

from reconcile.ids import Level, RegionCode, level, region_code
from tally.audit import Action, Actor, append
from tally.auth.policy import DEFAULT, Policy
from tally.auth.scope import Principal, Role
from tally.auth.secrets import digest, new_code, new_token, normalise_code
from tally.db.base import aware
from tally.db.intake import AccessTokenRow, ActivationCodeRow
from tally.db.regions import TpsRow
from tally.db.scope import in_region
from tally.errors import Conflict, Forbidden, NotFound, Unauthorized, Unprocessable

CODE_TTL = timedelta(days=30)
ISSUED, ACTIVATED, REVOKED = Action.CODE_ISSUED, Action.DEVICE_ACTIVATED, Action.DEVICES_REVOKED
ISSUER_NAMES = {Role.KPU: "KPU kabupaten/kota", Role.PPK: "PPK", Role.PPS: "PPS"}
BAD_CODE = Unauthorized(
    "bad_code",
    "Kode aktivasi tidak dikenal atau sudah kedaluwarsa. Minta kode baru kepada KPU kabupaten/kota Anda.",
)
CODE_USED = Conflict(
    "code_used", "Kode aktivasi ini sudah dipakai. Minta kode baru kepada KPU kabupaten/kota Anda."
)
CODE_REVOKED = Unauthorized(
    "code_revoked",
    "Kode aktivasi ini sudah dicabut karena kode baru diterbitkan untuk TPS Anda. Pakai kode yang terbaru.",
)
NOT_INDEPENDENT = Forbidden(
    "issuer_not_second",
    "Anda menerbitkan atau mengaktifkan kode KPPS untuk TPS ini, jadi tidak dapat menjadi orang kedua yang "
    "menyetujui perubahan angkanya. Minta PPS atau PPK lain memeriksanya.",
)


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class IssuedCode:
    tps_id: str
    code: str
    expires_at: datetime


def tps_in(session: Session, region: RegionCode) -> list[str]:
    """Every TPS id inside a region: ids start with the region's undotted code (a key range)."""
    stmt = select(TpsRow.id).where(in_region(TpsRow.id, region)).order_by(TpsRow.id)
    return list(session.scalars(stmt))


def require_code_issuer(who: Principal, region: RegionCode, policy: Policy = DEFAULT) -> None:
    """Codes are issued by the operator's issuer role (KPU kab/kota by default), per kelurahan/desa."""
    name = ISSUER_NAMES[policy.code_issuer]
    if who.role is not policy.code_issuer or (
        who.role is Role.KPU and level(region_code(who.scope)) is not Level.KABKOTA
    ):
        raise Forbidden("code_issuer", f"Kode aktivasi KPPS hanya diterbitkan oleh {name}.")
    if level(region) is not Level.DESA:
        raise Unprocessable("bad_region", "Kode aktivasi diterbitkan per kelurahan/desa.")


def device_managers(policy: Policy = DEFAULT) -> frozenset[Role]:
    """The roles that may revoke a TPS's devices (inside their region): the code issuer, and KPU."""
    return frozenset({policy.code_issuer, Role.KPU})


def require_device_manager(who: Principal, policy: Policy = DEFAULT) -> None:
    if who.role not in device_managers(policy):
        raise Forbidden("role", "Hanya penerbit kode aktivasi atau KPU yang dapat mencabut perangkat KPPS.")


def issue_codes(
    session: Session,
    region: RegionCode,
    issued_by: str,
    *,
    actor: Actor | None = None,
    only_tps: str | None = None,
) -> list[IssuedCode]:
    """One fresh code per TPS of `region` (or for `only_tps` in it). A reissue: every earlier code of those
    TPS, used or not, is revoked, and so is every device activated with one. One audit entry per TPS."""
    tps = tps_in(session, region)
    if only_tps is not None:
        tps = [t for t in tps if t == only_tps]
    if not tps:
        raise NotFound("no_tps", f"Tidak ada TPS terdaftar di wilayah {region or 'nasional'}.")
    at = now()
    expires = at + CODE_TTL
    where = ActivationCodeRow.tps_id == only_tps if only_tps else in_region(ActivationCodeRow.tps_id, region)
    session.execute(
        update(ActivationCodeRow)
        .where(where, ActivationCodeRow.revoked_at.is_(None))
        .values(revoked_at=at)
        .execution_options(synchronize_session=False)
    )
    tokens = AccessTokenRow.scope == only_tps if only_tps else in_region(AccessTokenRow.scope, region)
    session.execute(
        update(AccessTokenRow)
        .where(tokens, AccessTokenRow.role == Role.KPPS.value, AccessTokenRow.revoked_at.is_(None))
        .values(revoked_at=at)
        .execution_options(synchronize_session=False)
    )
    who = actor or Actor(issued_by, "system")
    out = []
    for tps_id in tps:
        code = new_code()
        session.add(
            ActivationCodeRow(
                code_hash=digest(normalise_code(code)),
                tps_id=tps_id,
                issued_by=issued_by,
                issued_at=at,
                expires_at=expires,
            )
        )
        after = {"issued_by": issued_by, "expires_at": expires.isoformat(), "earlier_codes": "revoked"}
        append(session, who, ISSUED, tps_id, None, after, at=at)
        out.append(IssuedCode(tps_id, code, expires))
    return out


def activate(
    session: Session,
    code: str,
    *,
    by: Principal | None = None,
    origin: str = "",
    policy: Policy = DEFAULT,
) -> tuple[str, Principal]:
    """Exchange a one-time code for a device token bound to its TPS. A used or revoked code is refused.

    `by`: the staff officer whose session made the request, if any (the web page or a bearer header): named
    on the code, so they never count as the second person for that TPS."""
    hashed_code = digest(normalise_code(code))
    row = session.get(ActivationCodeRow, hashed_code)
    if row is None or aware(row.expires_at) < now():
        raise BAD_CODE
    if row.revoked_at is not None:
        raise CODE_REVOKED
    if row.used_at is not None:
        raise CODE_USED
    tps_id, at = row.tps_id, now()
    staff = by.subject if by is not None and by.role is not Role.KPPS else None
    token = new_token()
    won = session.execute(
        update(ActivationCodeRow)
        .where(
            ActivationCodeRow.code_hash == hashed_code,
            ActivationCodeRow.used_at.is_(None),
            ActivationCodeRow.revoked_at.is_(None),
        )
        .values(used_at=at, token_hash=digest(token), activated_by=staff)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        raise CODE_USED  # a concurrent request exchanged it first (or a reissue revoked it meanwhile)
    subject = f"kpps:{tps_id}"
    principal = grant(session, Role.KPPS, tps_id, subject, at + policy.device_ttl, token=token)
    after = {"activated_by": staff or subject, "expires_at": (at + policy.device_ttl).isoformat()}
    append(session, Actor(staff or subject, by.role.value if staff and by else "kpps", origin), ACTIVATED,
           tps_id, None, after, at=at)  # fmt: skip
    return token, principal


def grant(
    session: Session, role: Role, scope: str, subject: str, expires_at: datetime, *, token: str
) -> Principal:
    hashed = digest(token)
    session.add(
        AccessTokenRow(
            token_hash=hashed,
            role=role.value,
            scope=scope,
            subject=subject,
            created_at=now(),
            revoked_at=None,
            expires_at=expires_at,
        )
    )
    return Principal(role, scope, subject, hashed)


def revoke_devices(session: Session, tps_id: str, actor: Actor) -> int:
    """Revoke every device of a TPS and every code not yet used (a lost or stolen phone). Returns devices."""
    at = now()
    session.execute(
        update(ActivationCodeRow)
        .where(ActivationCodeRow.tps_id == tps_id, ActivationCodeRow.revoked_at.is_(None))
        .values(revoked_at=at)
        .execution_options(synchronize_session=False)
    )
    gone = session.execute(
        update(AccessTokenRow)
        .where(
            AccessTokenRow.scope == tps_id,
            AccessTokenRow.role == Role.KPPS.value,
            AccessTokenRow.revoked_at.is_(None),
        )
        .values(revoked_at=at)
        .execution_options(synchronize_session=False)
    )
    count = int(gone.rowcount)  # type: ignore[attr-defined]
    append(session, actor, REVOKED, tps_id, None, {"devices": count, "codes": "revoked"}, at=at)
    return count


def took_part_in_codes(session: Session, subject: str, tps_id: str) -> bool:
    """Did `subject` issue (or print) a code of this TPS, or activate a device with one?"""
    stmt = select(
        exists().where(
            ActivationCodeRow.tps_id == tps_id,
            or_(ActivationCodeRow.issued_by == subject, ActivationCodeRow.activated_by == subject),
        )
    )
    return bool(session.scalar(stmt))


def require_independent(session: Session, who: Principal, tps_id: str) -> None:
    """The rule of two: whoever issued, printed or activated this TPS's codes is never its second person."""
    if took_part_in_codes(session, who.subject, tps_id):
        raise NOT_INDEPENDENT
