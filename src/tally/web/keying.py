"""PPK / KPU page: key in the level's recap (D.Hasil), one row per child region, and see each mismatch with
the TPS sums, down to the TPS that explain it."""

from __future__ import annotations

import re
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from reconcile.ids import RegionCode, level, undotted
from tally.auth.scope import Principal, Role
from tally.election.dhasil import dhasil, row_mismatches, section_of
from tally.review.keying import KeyedRows, Saved, key_in, require_keyer
from tally.review.numbers import RECAP_DIGITS
from tally.web.officer_common import (
    Officer,
    SessionForm,
    actor,
    number,
    page,
    see_other,
    services_of,
)
from tally.web.pages import OFFICER_PAGES

LEVEL_FORMS = {
    0: ("D.Hasil nasional", "provinsi"),
    1: ("D.Hasil provinsi", "kabupaten/kota"),
    2: ("D.Hasil kabupaten/kota", "kecamatan"),
    3: ("D.Hasil kecamatan", "kelurahan/desa"),
}
ROW = re.compile(r"[0-9.]{1,13}", re.ASCII)  # the row a save button names, for the page to return to
SEP = ":"  # a number's form name: "<row region code>:<field>", e.g. "31.73.04.1007:suara_sah"


def keyer(who: Officer) -> Principal:
    require_keyer(who, RegionCode(who.scope))
    return who


Keyer = Annotated[Principal, Depends(keyer)]
router = APIRouter(tags=[OFFICER_PAGES])


@router.get("/petugas/rekap", response_class=HTMLResponse)
def keying_page(request: Request, who: Keyer, tersimpan: int | None = None, baris: str = "") -> Response:
    region = RegionCode(who.scope)
    services = services_of(request)
    contest = services.contest
    with services.sessions() as s:
        conn = s.connection()
        result = dhasil(conn, contest, region)
        found = row_mismatches(conn, contest, result)
    form_name, row_kind = LEVEL_FORMS[int(level(region))]
    names = {r.code: r.name for r in result.rows} | {region: result.name}
    sections: list[tuple[str, list[str]]] = []
    for f in result.fields:
        title = section_of(f)
        if not sections or sections[-1][0] != title:
            sections.append((title, []))
        sections[-1][1].append(f)
    return page(
        request,
        "officer/rekap.html",
        who=who,
        region=region,
        form_name=form_name,
        row_kind=row_kind,
        result=result,
        sections=sections,
        labels={f: contest.field(f).label for f in result.fields},
        mismatches=[(code, names.get(code, code), m) for code, ms in found.items() for m in ms],
        saved=tersimpan,
        saved_row=names.get(RegionCode(baris), ""),
        is_ppk=who.role is Role.PPK,
        sep=SEP,
        undotted=undotted,
    )


def parse_rows(form: dict[str, str]) -> KeyedRows:
    """The typed numbers of the form, by row; blank boxes are left out (a save never erases a number)."""
    rows: dict[RegionCode, dict[str, int]] = {}
    for name, raw in form.items():
        code, sep, field = name.partition(SEP)
        if sep and raw.strip():
            rows.setdefault(RegionCode(code), {})[field] = number(raw, RECAP_DIGITS)
    return rows


@router.post("/petugas/rekap", dependencies=[SessionForm])
async def keying_post(request: Request, who: Keyer) -> Response:
    form = await request.form()  # one field per number, "<row>:<field>" (already checked by SessionForm)
    rows = parse_rows({k: v for k, v in form.items() if isinstance(v, str)})
    services = services_of(request)
    row = str(form.get("baris", ""))
    row = row if ROW.fullmatch(row) else ""

    def save() -> Saved:
        with services.sessions() as s, s.begin():
            return key_in(s, services.contest, who, actor(request, who), RegionCode(who.scope), rows)

    saved = await to_thread.run_sync(save)
    anchor = f"#baris-{undotted(RegionCode(row))}" if row else "#selisih"
    return see_other(f"/petugas/rekap?tersimpan={saved.changed}&baris={row}{anchor}")
