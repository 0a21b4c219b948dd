"""Officers: staff accounts with passwords, KPPS activation codes, and the tokens both become."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pwdlib import PasswordHash
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from reconcile.ids import InvalidCode, Level, RegionCode, TpsId, level, region_code, undotted
from tally.auth.scope import ROLE_DEPTHS, STAFF_ROLES, Principal, Role
from tally.auth.secrets import digest, new_code, new_token, normalise_code
from tally.db.intake import AccessTokenRow, ActivationCodeRow, StaffRow
from tally.db.regions import TpsRow
from tally.errors import Conflict, Forbidden, NotFound, Unauthorized, Unprocessable

_HASHER = PasswordHash.recommended()
_DUMMY = _HASHER.hash("tally-dummy-password")  # verified against when the user is unknown: same timing
CODE_TTL = timedelta(days=30)
BAD_LOGIN = Unauthorized("bad_login", "Nama pengguna atau kata sandi salah.")


def now() -> datetime:
    return datetime.now(UTC)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite hands back naive datetimes


@dataclass(frozen=True, slots=True)
class IssuedCode:
    tps_id: str
    code: str
    expires_at: datetime


def create_staff(session: Session, username: str, password: str, role: Role, region: str) -> None:
    if role not in STAFF_ROLES:
        raise Unprocessable("bad_role", "Peran harus pps, ppk, atau kpu.")
    try:
        code = region_code(region)
    except InvalidCode as exc:
        raise Unprocessable("bad_region", str(exc)) from exc
    if level(code) not in ROLE_DEPTHS[role]:
        raise Unprocessable("bad_region", f"Wilayah {code!r} tidak sesuai untuk peran {role.value}.")
    if len(password) < 10:
        raise Unprocessable("weak_password", "Kata sandi minimal 10 karakter.")
    if session.get(StaffRow, username) is not None:
        raise Conflict("user_exists", f"Pengguna {username!r} sudah ada.")
    session.add(
        StaffRow(
            username=username,
            password_hash=_HASHER.hash(password),
            role=role.value,
            region=code,
            created_at=now(),
        )
    )


def login(session: Session, username: str, password: str) -> tuple[str, Principal]:
    row = session.get(StaffRow, username) if "\x00" not in username else None  # PostgreSQL refuses NUL
    if row is None:
        _HASHER.verify(password, _DUMMY)
        raise BAD_LOGIN
    if not _HASHER.verify(password, row.password_hash):
        raise BAD_LOGIN
    return _grant(session, Role(row.role), row.region, username)


def _grant(session: Session, role: Role, scope: str, subject: str) -> tuple[str, Principal]:
    token = new_token()
    hashed = digest(token)
    session.add(
        AccessTokenRow(
            token_hash=hashed,
            role=role.value,
            scope=scope,
            subject=subject,
            created_at=now(),
            revoked_at=None,
        )
    )
    return token, Principal(role, scope, subject, hashed)


def tps_in(session: Session, region: RegionCode) -> list[str]:
    """Every TPS id inside a region: ids start with the region's undotted code (a key range)."""
    prefix = undotted(region)
    stmt = select(TpsRow.id).where(TpsRow.id.startswith(prefix, autoescape=True)).order_by(TpsRow.id)
    return list(session.scalars(stmt))


def issue_codes(session: Session, region: RegionCode, issued_by: str) -> list[IssuedCode]:
    """One fresh activation code per TPS of a kelurahan/desa (or of any region, from the CLI)."""
    tps = tps_in(session, region)
    if not tps:
        raise NotFound("no_tps", f"Tidak ada TPS terdaftar di wilayah {region or 'nasional'}.")
    at, out = now(), []
    for tps_id in tps:
        code = new_code()
        session.add(
            ActivationCodeRow(
                code_hash=digest(normalise_code(code)),
                tps_id=tps_id,
                issued_by=issued_by,
                issued_at=at,
                expires_at=at + CODE_TTL,
            )
        )
        out.append(IssuedCode(tps_id, code, at + CODE_TTL))
    return out


def activate(session: Session, code: str) -> tuple[str, Principal]:
    """Exchange a one-time code for a device token bound to its TPS. A used code is refused."""
    row = session.get(ActivationCodeRow, digest(normalise_code(code)), with_for_update=True)
    if row is None or _aware(row.expires_at) < now():
        raise Unauthorized(
            "bad_code",
            "Kode aktivasi tidak dikenal atau sudah kedaluwarsa. "
            "Minta kode baru kepada PPS kelurahan/desa Anda.",
        )
    if row.used_at is not None:
        raise Conflict("code_used", "Kode aktivasi ini sudah dipakai. Minta kode baru kepada PPS Anda.")
    token, principal = _grant(session, Role.KPPS, row.tps_id, f"kpps:{row.tps_id}")
    row.used_at, row.token_hash = now(), principal.token_hash
    return token, principal


def resolve(session: Session, token: str) -> Principal:
    row = session.get(AccessTokenRow, digest(token))
    if row is None or row.revoked_at is not None:
        raise Unauthorized("bad_token", "Sesi Anda tidak berlaku lagi. Masuk atau aktifkan ulang perangkat.")
    return Principal(Role(row.role), row.scope, row.subject, row.token_hash)


def revoke(session: Session, token_hash: str) -> None:
    session.execute(
        update(AccessTokenRow).where(AccessTokenRow.token_hash == token_hash).values(revoked_at=now())
    )


def require_tps(session: Session, who: Principal, tps: str) -> TpsId:
    """The TPS, if it exists and `who` may act on it; 404 before 403 leaks nothing (ids are public)."""
    if not (len(tps) == 13 and tps.isascii() and tps.isdigit()) or session.get(TpsRow, tps) is None:
        raise NotFound("unknown_tps", f"TPS {tps} tidak terdaftar. Periksa nomor TPS.")
    if not who.covers_tps(TpsId(tps)):
        raise Forbidden("out_of_scope", "Anda tidak berwenang untuk TPS ini. Periksa nomor TPS Anda.")
    return TpsId(tps)


def require_region(who: Principal, region: str) -> RegionCode:
    try:
        code = region_code(region)
    except InvalidCode as exc:
        raise NotFound("unknown_region", f"Kode wilayah {region!r} tidak dikenal.") from exc
    if not who.covers_region(code):
        raise Forbidden("out_of_scope", "Wilayah ini di luar wewenang Anda.")
    return code


def require_desa_staff(who: Principal, region: RegionCode) -> None:
    """Codes for a kelurahan are issued by its PPS (or anyone above who covers it)."""
    if who.role is Role.KPPS:
        raise Forbidden("role", "Hanya PPS, PPK atau KPU yang dapat menerbitkan kode aktivasi.")
    if level(region) is not Level.DESA:
        raise Unprocessable("bad_region", "Kode aktivasi diterbitkan per kelurahan/desa.")
