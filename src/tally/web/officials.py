"""`/petugas/kode`: the code issuer's and KPU's page (issues 14 #1, 16 §5). Pick a kelurahan/desa, issue
KPPS activation codes for its TPS (or one TPS) and print them (HTML or the PDF `tally officers issue-codes
--pdf` makes), revoke a TPS's devices (a lost phone), disable a staff account of the region.

Who may do what is the backend's rule, never decided here: the page is for `device_managers` (the code
issuer and KPU); issuing asks `require_code_issuer`, revoking `require_device_manager`, disabling
`require_staff_manager`. Every change is a service call that writes its own audit entry naming the officer.
A code is in clear only in the answer of the POST that issued it (it is stored hashed): that answer is the
print view (or the PDF), never cached.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from reconcile.ids import Level, RegionCode, level
from tally.auth.code_sheet import CUT_NOTE, activation_steps, codes_pdf, local_time, slips
from tally.auth.codes import ISSUER_NAMES
from tally.auth.roster import StaffAccount, desas_in, staff_in, tps_keys
from tally.auth.scope import Principal, Role
from tally.auth.service import (
    device_managers,
    disable_staff,
    issue_codes,
    require_code_issuer,
    require_device_manager,
    require_region,
    require_staff_manager,
    require_tps,
    revoke_devices,
)
from tally.db.base import aware
from tally.db.regions import RegionRow, TpsRow
from tally.errors import Forbidden, NotFound, Unprocessable
from tally.web import csrf
from tally.web.officer_common import PRIVATE, Officer, SessionForm, actor, page, see_other, services_of
from tally.web.pages import OFFICER_PAGES

HOME = "/petugas/kode"
YES = "ya"
ROLE_NAMES = {Role.PPS: "PPS", Role.PPK: "PPK", Role.KPU: "KPU"}

router = APIRouter(tags=[OFFICER_PAGES])


def official(request: Request, who: Officer) -> Principal:
    policy = services_of(request).policy
    if who.role not in device_managers(policy):
        raise Forbidden(
            "role",
            f"Kode aktivasi KPPS dan akun petugas dikelola oleh {ISSUER_NAMES[policy.code_issuer]} dan KPU. "
            "Hubungi mereka bila ponsel KPPS hilang atau sebuah akun perlu dinonaktifkan.",
        )
    return who


Official = Annotated[Principal, Depends(official)]


def _may_issue(request: Request, who: Principal, desa: RegionCode) -> bool:
    try:
        require_code_issuer(who, desa, services_of(request).policy)
    except (Forbidden, Unprocessable):
        return False
    return True


NOT_CONFIRMED = Unprocessable(
    "not_confirmed",
    "Belum dikonfirmasi. Kembali ke halaman sebelumnya, centang kotak konfirmasi, lalu tekan tombolnya lagi.",
)


def _confirmed(yakin: str) -> None:
    if yakin != YES:
        raise NOT_CONFIRMED


def _desa(who: Principal, desa: str) -> RegionCode:
    code = require_region(who, desa)
    if level(code) is not Level.DESA:
        raise NotFound("unknown_region", "Pilih satu kelurahan/desa.")
    return code


def _staff_status(account: StaffAccount) -> str:
    if account.disabled_at is not None:
        return f"Nonaktif sejak {local_time(account.disabled_at, account.region)}."
    if account.locked_until is not None and aware(account.locked_until) > datetime.now(UTC):
        return "Aktif; dikunci sementara karena kata sandi salah berkali-kali."
    return "Aktif."


@router.get(HOME, response_class=HTMLResponse)
def officials_page(request: Request, who: Official, cari: str = "", nonaktif: str = "") -> Response:
    services = services_of(request)
    region = RegionCode(who.scope)
    cari = cari.replace("\x00", "")[:100]  # PostgreSQL text holds no NUL
    with services.sessions() as s:
        desas, desa_total = desas_in(s, region, cari)
        staff, staff_total = (
            staff_in(s, region, besides=who.subject, search=cari) if who.role is Role.KPU else ([], 0)
        )
        region_name = s.get(RegionRow, region).name if region else "Indonesia"  # type: ignore[union-attr]
    return page(
        request,
        "officer/kode.html",
        who=who,
        region_name=region_name,
        cari=cari.strip(),
        desas=desas,
        desa_total=desa_total,
        staff=staff,
        staff_total=staff_total,
        manages_staff=who.role is Role.KPU,
        issuer_name=ISSUER_NAMES[services.policy.code_issuer],
        role_names=ROLE_NAMES,
        staff_status={a.username: _staff_status(a) for a in staff},
        disabled=next((a for a in staff if a.username == nonaktif and a.disabled_at), None),
    )


@router.get(HOME + "/{desa}", response_class=HTMLResponse)
def desa_page(request: Request, who: Official, desa: str, dicabut: str = "", perangkat: int = 0) -> Response:
    services = services_of(request)
    code = _desa(who, desa)
    with services.sessions() as s:
        row = s.get(RegionRow, code)
        kec = s.get(RegionRow, row.parent) if row is not None and row.parent else None
        keys = tps_keys(s, code)
    if row is None:
        raise NotFound("unknown_region", "Kelurahan/desa ini tidak terdaftar.")
    return page(
        request,
        "officer/kode_desa.html",
        who=who,
        desa=code,
        desa_name=row.name,
        kecamatan_name=kec.name if kec else "",
        keys=keys,
        may_issue=_may_issue(request, who, code),
        issuer_name=ISSUER_NAMES[services.policy.code_issuer],
        expires={k.tps_id: local_time(k.code_expires, code) for k in keys if k.code_expires},
        live_devices=sum(k.devices for k in keys),
        live_codes=sum(k.unused_codes for k in keys),
        revoked=next((k for k in keys if k.tps_id == dicabut), None),
        revoked_devices=perangkat,
    )


@router.post(HOME + "/{desa}/terbitkan", dependencies=[SessionForm])
def issue_post(
    request: Request,
    who: Official,
    desa: str,
    tps: Annotated[str, Form()] = "",
    yakin: Annotated[str, Form()] = "",
    bentuk: Annotated[str, Form()] = "cetak",
) -> Response:
    services = services_of(request)
    code = _desa(who, desa)
    require_code_issuer(who, code, services.policy)
    only = tps.strip() or None
    with services.sessions() as s, s.begin():
        if only is not None and (not (only.isascii() and only.isdigit()) or s.get(TpsRow, only) is None):
            raise NotFound("unknown_tps", f"TPS {only} tidak terdaftar di kelurahan/desa ini.")
        live = [k for k in tps_keys(s, code) if only is None or k.tps_id == only]
        if any(k.devices or k.unused_codes for k in live):
            _confirmed(yakin)
        issued = issue_codes(s, code, who.subject, actor=actor(request, who), only_tps=only)
        sheet = slips(s, issued)
    for i in issued:  # a reissue revoked the TPS's devices: refused here at once
        services.forget_all(i.tps_id)
    base_url = services.settings.public_url.rstrip("/") or csrf.own_origin(request, "")
    if bentuk == "pdf":
        name = f"kode-kpps-{code.replace('.', '')}{'-' + only[-3:] if only else ''}.pdf"
        headers = {"Cache-Control": PRIVATE, "Content-Disposition": f'attachment; filename="{name}"'}
        return Response(codes_pdf(sheet, base_url, code), media_type="application/pdf", headers=headers)
    return page(
        request,
        "officer/kode_cetak.html",
        who=who,
        desa=code,
        slips=sheet,
        steps=activation_steps(base_url),
        cut_note=CUT_NOTE,
        login_url=f"{base_url}/petugas/masuk",
    )


@router.post(HOME + "/tps/{tps}/cabut", dependencies=[SessionForm])
def revoke_post(request: Request, who: Official, tps: str, yakin: Annotated[str, Form()] = "") -> Response:
    services = services_of(request)
    with services.sessions() as s, s.begin():
        tps_id = require_tps(s, who, tps)
        require_device_manager(who, services.policy)
        _confirmed(yakin)
        count = revoke_devices(s, tps_id, actor(request, who))
        desa = s.get(TpsRow, tps_id).desa  # type: ignore[union-attr]
    services.forget_all(tps_id)
    return see_other(f"{HOME}/{desa}?dicabut={tps_id}&perangkat={count}#tps-{tps_id}")


@router.post(HOME + "/staf/{username}/nonaktifkan", dependencies=[SessionForm])
def disable_post(
    request: Request, who: Official, username: str, yakin: Annotated[str, Form()] = ""
) -> Response:
    services = services_of(request)
    with services.sessions() as s, s.begin():
        require_staff_manager(s, who, username)
        _confirmed(yakin)
        disable_staff(s, username, actor(request, who))
    services.forget_all(username)
    return see_other(f"{HOME}?nonaktif={quote(username, safe='')}#staf")
