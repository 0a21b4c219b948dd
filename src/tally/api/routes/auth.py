"""Officers in and out: KPPS activation codes, staff passwords, revocation, and issuing codes.

The entry routes (activate, login) pass the front door first (`tally.auth.guard`): failures per client
address and per code prefix, and a bounded number of Argon2 checks at once. None of these answers is kept
for replay: a token or a fresh code exists only in the one answer that carries it (docs/security.md).
"""

from __future__ import annotations

from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from tally.api.deps import PrincipalDep, Services, ServicesDep, SessionDep, client_of
from tally.api.routes.common import ERRORS
from tally.api.schemas import (
    ActivateIn,
    ActivationCodeOut,
    ActivationCodesOut,
    DevicesRevokedOut,
    LoginIn,
    MeOut,
    StaffDisabledOut,
    TokenOut,
)
from tally.audit import Actor
from tally.auth import service
from tally.auth.scope import Principal, Role
from tally.errors import TallyError, Unauthorized

router = APIRouter(tags=["officers"], responses=ERRORS)
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


def _token(token: str, who: Principal) -> dict[str, object]:
    return TokenOut(token=token, role=who.role.value, scope=who.scope, subject=who.subject).model_dump()


def _staff_caller(services: Services, request: Request) -> Principal | None:
    """The staff officer whose bearer token rides along an activation, if any (named on the code)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        who = services.principal(token.strip())
    except TallyError:
        return None
    return who if who.role is not Role.KPPS else None


@router.post("/auth/activate", status_code=201, response_model=TokenOut)
async def activate(body: ActivateIn, request: Request, services: ServicesDep) -> JSONResponse:
    """A KPPS officer's one-time code → a device token bound to their TPS (valid for the election period).

    Not replayed under an Idempotency-Key: a second try with the same code is 409 `code_used`."""
    client = client_of(request)
    services.guard.check_code(client, body.code)

    def exchange() -> tuple[str, Principal]:
        by = _staff_caller(services, request)
        with services.sessions() as s, s.begin():
            return service.activate(s, body.code, by=by, origin=client, policy=services.policy)

    try:
        token, who = await to_thread.run_sync(exchange)
    except Unauthorized:
        services.guard.failed_code(client, body.code)
        raise
    return JSONResponse(_token(token, who), status_code=201, headers={"Cache-Control": "no-store"})


@router.post("/auth/login", status_code=201, response_model=TokenOut)
async def login(body: LoginIn, request: Request, services: ServicesDep) -> JSONResponse:
    """PPS, PPK and KPU staff: username and password → a token scoped to their region, for some hours."""
    client = client_of(request)
    services.guard.check_client(client)

    def check() -> tuple[str, Principal]:
        with services.sessions() as s, s.begin():
            return service.login(s, body.username, body.password, policy=services.policy, origin=client)

    with services.guard.password_slot():
        try:
            token, who = await services.guard.check_password(check)
        except Unauthorized:
            services.guard.failed_login(client)
            raise
    return JSONResponse(_token(token, who), status_code=201, headers={"Cache-Control": "no-store"})


@router.post("/auth/logout", status_code=204)
def logout(who: PrincipalDep, services: ServicesDep, session: SessionDep) -> None:
    """Revoke the token this request carries (a lost phone: the KPU kab/kota revokes the TPS's devices)."""
    service.revoke(session, who.token_hash)
    session.commit()
    services.forget(who.token_hash)


@router.get("/me", response_model=MeOut)
def me(who: PrincipalDep) -> MeOut:
    return MeOut(role=who.role.value, scope=who.scope, subject=who.subject)


@router.post("/regions/{region}/activation-codes", status_code=201, response_model=ActivationCodesOut)
def issue_codes(region: str, request: Request, who: PrincipalDep, services: ServicesDep) -> JSONResponse:
    """New one-time codes for every TPS of a kelurahan/desa, issued by the KPU kab/kota (or the role the
    operator names): every earlier code of those TPS and every device activated with one is revoked.

    Not replayed under an Idempotency-Key (the answer holds unused codes): a retry reissues."""
    code = service.require_region(who, region)
    service.require_code_issuer(who, code, services.policy)
    actor = Actor(who.subject, who.role.value, client_of(request))
    with services.sessions() as s, s.begin():
        issued = service.issue_codes(s, code, who.subject, actor=actor)
    for tps in {i.tps_id for i in issued}:  # the revoked phones are refused here at once, not in 5 s
        services.forget_all(tps)
    data = [ActivationCodeOut(tps_id=i.tps_id, code=i.code, expires_at=i.expires_at) for i in issued]
    out = ActivationCodesOut(data=data, count=len(data)).model_dump(mode="json")
    return JSONResponse(out, status_code=201, headers={"Cache-Control": "no-store"})


@router.post("/tps/{tps_id}/devices/revoke", response_model=DevicesRevokedOut)
def revoke_devices(
    tps_id: str, request: Request, who: PrincipalDep, services: ServicesDep, idempotency_key: IdemKey = None
) -> JSONResponse:
    """Revoke every KPPS device of a TPS and its unused codes (a lost or stolen phone): the code issuer or a
    KPU covering the TPS. New codes are then issued as usual."""

    def act(s: Session) -> tuple[int, dict[str, object]]:
        tps = service.require_tps(s, who, tps_id)
        service.require_device_manager(who, services.policy)
        count = service.revoke_devices(s, tps, Actor(who.subject, who.role.value, client_of(request)))
        return 200, DevicesRevokedOut(tps_id=tps, devices_revoked=count).model_dump()

    status, out = services.idempotency.run(idempotency_key, who.token_hash, f"revoke|{tps_id}", act)
    services.forget_all(str(out.get("tps_id", tps_id)))  # refused here at once (other nodes: within 5 s)
    return JSONResponse(out, status_code=status)


@router.post("/staff/{username}/disable", response_model=StaffDisabledOut)
def disable_staff(
    username: str,
    request: Request,
    who: PrincipalDep,
    services: ServicesDep,
    idempotency_key: IdemKey = None,
) -> JSONResponse:
    """Disable a PPS/PPK/KPU account inside the caller's region and revoke its sessions (KPU only)."""

    def act(s: Session) -> tuple[int, dict[str, object]]:
        service.require_staff_manager(s, who, username)
        count = service.disable_staff(s, username, Actor(who.subject, who.role.value, client_of(request)))
        return 200, StaffDisabledOut(username=username, sessions_revoked=count).model_dump()

    status, out = services.idempotency.run(idempotency_key, who.token_hash, f"disable|{username}", act)
    services.forget_all(username)  # refused here at once (other nodes: within 5 s)
    return JSONResponse(out, status_code=status)
