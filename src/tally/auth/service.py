"""Officers: staff accounts with passwords, the tokens they and KPPS devices hold, and where each may act.

Activation codes live in `tally.auth.codes` (re-exported here). Tokens expire (`Policy`): a KPPS device lasts
the election period, a staff login some hours. Wrong passwords in a row lock the account for a while,
doubling; a disabled account cannot log in and its sessions are revoked. Every login, disabling and device
revocation is an audit entry naming who did it (docs/security.md).
"""

from __future__ import annotations

import math
from datetime import datetime

from pwdlib import PasswordHash
from sqlalchemy import update
from sqlalchemy.orm import Session

from reconcile.ids import InvalidCode, RegionCode, TpsId, level, region_code
from tally.audit import Action, Actor, append
from tally.auth.codes import (
    IssuedCode,
    activate,
    device_managers,
    grant,
    issue_codes,
    now,
    require_code_issuer,
    require_device_manager,
    require_independent,
    revoke_devices,
    tps_in,
)
from tally.auth.policy import DEFAULT, Policy
from tally.auth.scope import ROLE_DEPTHS, STAFF_ROLES, Principal, Role
from tally.auth.secrets import digest, new_token
from tally.db.base import aware
from tally.db.intake import AccessTokenRow, StaffRow
from tally.db.regions import TpsRow
from tally.errors import Conflict, Forbidden, NotFound, TooManyRequests, Unauthorized, Unprocessable

__all__ = [
    "BAD_LOGIN",
    "IssuedCode",
    "activate",
    "create_staff",
    "device_managers",
    "disable_staff",
    "issue_codes",
    "login",
    "require_code_issuer",
    "require_device_manager",
    "require_independent",
    "require_region",
    "require_staff_manager",
    "require_tps",
    "resolve",
    "revoke",
    "revoke_devices",
    "tps_in",
]

_HASHER = PasswordHash.recommended()
_DUMMY = _HASHER.hash("tally-dummy-password")  # verified against when the user is unknown: same timing
BAD_LOGIN = Unauthorized("bad_login", "Nama pengguna atau kata sandi salah.")
LOGIN, DISABLED = Action.LOGIN, Action.STAFF_DISABLED


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
            failed_logins=0,
        )
    )


def locked(until: datetime) -> TooManyRequests:
    wait = max(1, math.ceil((until - now()).total_seconds()))
    minutes = max(1, math.ceil(wait / 60))
    return TooManyRequests(
        "login_locked",
        f"Terlalu banyak kata sandi salah untuk akun ini. Akun dikunci sementara; coba lagi dalam {minutes} "
        "menit, atau hubungi KPU kabupaten/kota bila Anda lupa kata sandi.",
        retry_after=wait,
    )


def login(
    session: Session, username: str, password: str, *, policy: Policy = DEFAULT, origin: str = ""
) -> tuple[str, Principal]:
    """Username and password → a staff token for `policy.staff_ttl`. A locked account is refused before
    any password is checked (so a locked account costs no Argon2); a wrong one counts towards the lock."""
    row = session.get(StaffRow, username) if "\x00" not in username else None  # PostgreSQL refuses NUL
    if row is None:
        _HASHER.verify(password, _DUMMY)
        raise BAD_LOGIN
    if row.locked_until is not None and aware(row.locked_until) > now():
        raise locked(aware(row.locked_until))
    if not _HASHER.verify(password, row.password_hash):
        until = _count_failure(session, username, policy)
        if until is not None:
            raise locked(until)
        raise BAD_LOGIN
    if row.disabled_at is not None:
        raise Forbidden("account_disabled", "Akun Anda dinonaktifkan. Hubungi KPU kabupaten/kota.")
    if row.failed_logins or row.locked_until is not None:
        row.failed_logins, row.locked_until = 0, None
    at = now()
    token = new_token()
    who = grant(session, Role(row.role), row.region, username, at + policy.staff_ttl, token=token)
    after = {"region": row.region or "nasional", "expires_at": (at + policy.staff_ttl).isoformat()}
    append(session, Actor(username, row.role, origin), LOGIN, f"petugas:{username}", None, after, at=at)
    return token, who


def _count_failure(session: Session, username: str, policy: Policy) -> datetime | None:
    """One more wrong password, committed on its own (the caller's transaction rolls back with the
    refusal). Returns the end of the lock when this failure locks the account."""
    with Session(session.get_bind()) as own, own.begin():
        failures = own.execute(
            update(StaffRow)
            .where(StaffRow.username == username)
            .values(failed_logins=StaffRow.failed_logins + 1)
            .returning(StaffRow.failed_logins)
        ).scalar_one()
        lock = policy.lock_for(int(failures))
        if not lock:
            return None
        until = now() + lock
        own.execute(update(StaffRow).where(StaffRow.username == username).values(locked_until=until))
    return until


def resolve(session: Session, token: str) -> Principal:
    row = session.get(AccessTokenRow, digest(token))
    if row is None or row.revoked_at is not None or row.expires_at is None or aware(row.expires_at) <= now():
        raise Unauthorized("bad_token", "Sesi Anda tidak berlaku lagi. Masuk atau aktifkan ulang perangkat.")
    return Principal(Role(row.role), row.scope, row.subject, row.token_hash)


def revoke(session: Session, token_hash: str) -> None:
    session.execute(
        update(AccessTokenRow).where(AccessTokenRow.token_hash == token_hash).values(revoked_at=now())
    )


def disable_staff(session: Session, username: str, actor: Actor) -> int:
    """Disable a staff account and revoke its sessions. Returns how many sessions were revoked."""
    row = session.get(StaffRow, username)
    if row is None:
        raise NotFound("unknown_staff", f"Pengguna {username!r} tidak ada.")
    at = now()
    row.disabled_at = at
    gone = session.execute(
        update(AccessTokenRow)
        .where(AccessTokenRow.subject == username, AccessTokenRow.revoked_at.is_(None))
        .values(revoked_at=at)
        .execution_options(synchronize_session=False)
    )
    count = int(gone.rowcount)  # type: ignore[attr-defined]
    append(session, actor, DISABLED, f"petugas:{username}", None, {"sessions_revoked": count}, at=at)
    return count


def require_staff_manager(session: Session, who: Principal, username: str) -> None:
    """A KPU officer may disable staff accounts inside their region (never their own)."""
    row = session.get(StaffRow, username) if "\x00" not in username else None
    if row is None:
        raise NotFound("unknown_staff", f"Pengguna {username!r} tidak ada.")
    if who.role is not Role.KPU:
        raise Forbidden("role", "Hanya KPU yang dapat menonaktifkan akun petugas.")
    if username == who.subject or not who.covers_region(region_code(row.region)):
        raise Forbidden("out_of_scope", "Akun ini di luar wewenang Anda.")


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
