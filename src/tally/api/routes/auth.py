"""Officers in and out: KPPS activation codes, staff passwords, token revocation, and issuing codes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from tally.api.deps import PrincipalDep, ServicesDep, SessionDep
from tally.api.routes.common import ERRORS
from tally.api.schemas import ActivateIn, ActivationCodeOut, ActivationCodesOut, LoginIn, MeOut, TokenOut
from tally.auth import service
from tally.auth.scope import Principal

router = APIRouter(tags=["officers"], responses=ERRORS)
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


def _token(token: str, who: Principal) -> dict[str, object]:
    return TokenOut(token=token, role=who.role.value, scope=who.scope, subject=who.subject).model_dump()


@router.post("/auth/activate", status_code=201, response_model=TokenOut)
def activate(body: ActivateIn, services: ServicesDep, idempotency_key: IdemKey = None) -> JSONResponse:
    """A KPPS officer's one-time code → a device token bound to their TPS."""
    status, out = services.idempotency.run(
        idempotency_key,
        "anon",
        f"activate|{body.model_dump_json()}",
        lambda s: (201, _token(*service.activate(s, body.code))),
    )
    return JSONResponse(out, status_code=status)


@router.post("/auth/login", status_code=201, response_model=TokenOut)
def login(body: LoginIn, services: ServicesDep, idempotency_key: IdemKey = None) -> JSONResponse:
    """PPS, PPK and KPU staff: username and password → a token scoped to their region."""
    status, out = services.idempotency.run(
        idempotency_key,
        "anon",
        f"login|{body.model_dump_json()}",
        lambda s: (201, _token(*service.login(s, body.username, body.password))),
    )
    return JSONResponse(out, status_code=status)


@router.post("/auth/logout", status_code=204)
def logout(who: PrincipalDep, services: ServicesDep, session: SessionDep) -> None:
    """Revoke the token this request carries (a lost phone: the PPS issues a new code)."""
    service.revoke(session, who.token_hash)
    session.commit()
    services.forget(who.token_hash)


@router.get("/me", response_model=MeOut)
def me(who: PrincipalDep) -> MeOut:
    return MeOut(role=who.role.value, scope=who.scope, subject=who.subject)


@router.post("/regions/{region}/activation-codes", status_code=201, response_model=ActivationCodesOut)
def issue_codes(
    region: str, who: PrincipalDep, services: ServicesDep, idempotency_key: IdemKey = None
) -> JSONResponse:
    """New one-time codes for every TPS of a kelurahan/desa (its PPS, or staff above it)."""
    code = service.require_region(who, region)
    service.require_desa_staff(who, code)

    def act(s: Session) -> tuple[int, dict[str, object]]:
        issued = service.issue_codes(s, code, who.subject)
        data = [ActivationCodeOut(tps_id=i.tps_id, code=i.code, expires_at=i.expires_at) for i in issued]
        return 201, ActivationCodesOut(data=data, count=len(data)).model_dump(mode="json")

    status, out = services.idempotency.run(idempotency_key, who.token_hash, f"codes|{code}", act)
    return JSONResponse(out, status_code=status)
