"""Doubts settled blind, for a phone app: the TPS's fields to read from the paper (crops, never the
machine's number), the blind answers, the changes a second officer decides, the KPPS's final confirmation,
and the PPS's requests for a new photo. The rules are `tally.review.worklist` / `tally.review.blind`; the
KPPS page (`/petugas/kpps/ragu`) and the PPS page (`/petugas/pps/tps/{tps}`) are the same services."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tally.api.deps import PrincipalDep, RowId, ServicesDep, SessionDep, client_of
from tally.api.routes.common import ERRORS
from tally.api.schemas import (
    ApprovalOut,
    BlindAnswerIn,
    BlindOutcomeOut,
    ConfirmationOut,
    DecisionIn,
    DecisionOut,
    DoubtOut,
    DoubtsOut,
    RetakeIn,
    RetakeOut,
)
from tally.audit import Actor
from tally.auth.scope import Principal
from tally.auth.service import require_tps
from tally.db.blind import open_retakes
from tally.errors import NotFound, Unprocessable
from tally.review.blind import confirm, request_retake
from tally.review.changes import decide
from tally.review.crops import crop_of
from tally.review.worklist import check_message, type_in, work

router = APIRouter(tags=["doubts"], responses=ERRORS)


def _actor(request: Request, who: Principal) -> Actor:
    return Actor(who.subject, who.role.value, client_of(request))


def _crop_url(tps_id: str, field: str, sha: str | None) -> str | None:
    return f"/api/v1/tps/{tps_id}/doubts/{field}/crop.png" if sha else None


@router.get("/tps/{tps_id}/doubts", response_model=DoubtsOut)
def get_doubts(tps_id: str, who: PrincipalDep, session: SessionDep, services: ServicesDep) -> DoubtsOut:
    """The fields the caller is asked to read from the paper, with a crop of each (the machine's number is
    shown only in the answer's reply); for a PPS/PPK also the changes waiting for their decision, side by
    side; and any open request for a new photo."""
    require_tps(session, who, tps_id)
    todo = work(session, services.contest, who, tps_id)
    doubts = [
        DoubtOut(
            field=d.field, label=d.label, page=d.page, crop_url=_crop_url(tps_id, d.field, d.photo_sha256)
        )
        for d in todo.todo
    ]
    approvals = [
        ApprovalOut(
            change=a.change.id,
            field=a.change.field,
            label=a.label,
            page=a.page,
            machine=a.machine,
            kpps=a.kpps,
            proposed=a.change.after,
            crop_url=_crop_url(tps_id, a.change.field, a.photo_sha256),
        )
        for a in todo.approvals
    ]
    return DoubtsOut(tps=tps_id, doubts=doubts, approvals=approvals, retakes=open_retakes(session, tps_id))


@router.get("/tps/{tps_id}/doubts/{field}/crop.png", response_class=Response)
def get_crop(
    tps_id: str, field: str, who: PrincipalDep, session: SessionDep, services: ServicesDep
) -> Response:
    """PNG of the field's boxes (and bubbles) cut from the photo it was read from."""
    require_tps(session, who, tps_id)
    todo = work(session, services.contest, who, tps_id)
    where = {d.field: d.photo_sha256 for d in todo.todo} | {
        a.change.field: a.photo_sha256 for a in todo.approvals
    }
    sha = where.get(field)
    if sha is None:
        raise NotFound("no_crop", "Kolom ini tidak sedang perlu dicek.")
    png = crop_of(session, services.store, services.crops, services.contest.id, sha, field)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


@router.post("/tps/{tps_id}/doubts/{field}", response_model=BlindOutcomeOut)
def post_answer(
    tps_id: str, field: str, body: BlindAnswerIn, request: Request, who: PrincipalDep, services: ServicesDep
) -> BlindOutcomeOut:
    """The number the officer read from the paper. For a reader's doubt, agreeing with the machine's own
    reading (and every check holding) settles the field; otherwise it waits for the PPS, both readings side
    by side. For a field a check names (PPS/PPK), the number that counts is confirmed, or corrected for a
    second officer to decide."""
    if field not in {f.name for f in services.contest.fields}:
        raise Unprocessable("unknown_field", "Kolom ini tidak ada di formulir.")
    with services.sessions() as s, s.begin():
        require_tps(s, who, tps_id)
        out = type_in(s, services.contest, who, _actor(request, who), tps_id, field, body.value)
    return BlindOutcomeOut(
        field=out.field,
        value=out.value,
        machine=out.machine,
        agreed=out.agreed,
        again=out.again,
        message=out.message,
    )


@router.post("/changes/{change_id}", response_model=DecisionOut)
def post_decision(
    change_id: RowId, body: DecisionIn, request: Request, who: PrincipalDep, services: ServicesDep
) -> DecisionOut:
    """A second officer (PPS/PPK of the TPS, never the one who made it) approves or refuses a change."""
    with services.sessions() as s, s.begin():
        row = decide(
            s,
            services.contest,
            who,
            _actor(request, who),
            change_id,
            approve=body.approve,
            reason=body.reason,
        )
        return DecisionOut(change=row.id, field=row.field, state=row.state, message=check_message(row))


@router.post("/tps/{tps_id}/confirmation", response_model=ConfirmationOut)
def post_confirmation(
    tps_id: str, request: Request, who: PrincipalDep, services: ServicesDep
) -> ConfirmationOut:
    """The KPPS's "Periksa & kirim": refused (409) while a doubt still waits for their answer."""
    with services.sessions() as s, s.begin():
        require_tps(s, who, tps_id)
        row = confirm(s, services.contest, who, _actor(request, who), tps_id)
        return ConfirmationOut(
            tps=tps_id, sheet=row.sheet_id, confirmed_by=row.confirmed_by, at=row.created_at
        )


@router.post("/tps/{tps_id}/retakes", response_model=RetakeOut, status_code=201)
def post_retake(
    tps_id: str, body: RetakeIn, request: Request, who: PrincipalDep, services: ServicesDep
) -> RetakeOut:
    """A PPS asks the TPS's KPPS for a new photo of one page, with the reason they will read."""
    with services.sessions() as s, s.begin():
        require_tps(s, who, tps_id)
        row = request_retake(s, services.contest, who, _actor(request, who), tps_id, body.page, body.reason)
        return RetakeOut(id=row.id, tps=tps_id, page=row.page, reason=row.reason)
