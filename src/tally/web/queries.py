"""Reads the recap tables into page values.

Totals come from the foundation's `tally.election.recap.recap` (one place for the arithmetic); this module
adds what only a page needs: breadcrumbs, links, flags per child, a TPS's fields and its sheets.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reconcile.contest import Contest, parse_contest
from reconcile.flags import Severity
from reconcile.ids import (
    Level,
    RegionCode,
    TpsId,
    ancestors,
    key_length,
    level,
    region_code,
    tps_number,
    undotted,
)
from tally.db.audit import AuditEntry
from tally.db.flags import FlagRow
from tally.db.regions import RegionRow, TpsRow
from tally.db.results import TpsResultRow
from tally.db.scope import in_region
from tally.db.sheets import ContestRow, SheetRow
from tally.election.recap import recap
from tally.errors import NotFound
from tally.review.sheets import current
from tally.web.model import Crumb, FlagView, RegionPage, SheetView, TpsPage

__all__ = ["RegionPage", "TpsPage"]

NASIONAL = RegionCode("")
NASIONAL_NAME = "Indonesia"


def contests(session: Session) -> list[tuple[str, str]]:
    return [(r.id, r.name) for r in session.execute(select(ContestRow).order_by(ContestRow.id)).scalars()]


def load_contest(session: Session, contest_id: str | None) -> Contest:
    stmt = select(ContestRow).order_by(ContestRow.id).limit(1)
    if contest_id:
        stmt = select(ContestRow).where(ContestRow.id == contest_id)
    row = None if contest_id and "\x00" in contest_id else session.execute(stmt).scalar_one_or_none()
    if row is None:  # (a NUL never reaches PostgreSQL, which refuses it in text)
        raise NotFound("unknown_contest", f"kontes tidak ditemukan: {contest_id or '(belum ada)'}")
    return parse_contest(row.source)


def crumbs_for(session: Session, code: RegionCode) -> tuple[Crumb, ...]:
    chain = [c for c in reversed(ancestors(code)) if c] + ([code] if code else [])
    names = dict(
        session.execute(select(RegionRow.code, RegionRow.name).where(RegionRow.code.in_(chain))).all()
    )
    return (Crumb("", NASIONAL_NAME), *(Crumb(c, names.get(c, c)) for c in chain))


def region_page(session: Session, contest: Contest, code: RegionCode) -> RegionPage:
    depth = level(code)
    if depth >= Level.TPS:
        raise NotFound("not_a_region", f"{code} adalah TPS, bukan wilayah: buka /tps/{code}")
    if code and session.get(RegionRow, code) is None:
        raise NotFound("unknown_region", f"wilayah tidak ditemukan: {code}")
    summary = recap(session.connection(), contest, code)
    child_level = Level(int(depth) + 1)
    if child_level is Level.TPS:
        links = {c.code: f"/tps/{c.code}" for c in summary.children}
    else:
        links = {c.code: f"/wilayah/{region_code(c.code)}" for c in summary.children}
    return RegionPage(
        recap=summary,
        contest_name=contest.name,
        level=depth,
        crumbs=crumbs_for(session, code),
        child_level=child_level,
        links=links,
        child_flags=_child_flags(session, contest.id, code, len(undotted(code)) and key_length(child_level)),
    )


def _child_flags(session: Session, contest_id: str, code: RegionCode, cut: int) -> dict[str, int]:
    """Error flags per child: counted by the child's key prefix on the flag area index."""
    cut = cut or 2
    key = func.substr(FlagRow.area, 1, cut)
    rows = session.execute(
        select(key, func.count())
        .where(
            FlagRow.contest_id == contest_id,
            FlagRow.severity == Severity.ERROR.value,
            func.length(FlagRow.area) >= cut,
            in_region(FlagRow.area, code),
        )
        .group_by(key)
    ).all()
    return {str(k): int(n) for k, n in rows}


def flags_in(
    session: Session, contest_id: str, code: RegionCode, severity: str | None = None, limit: int = 200
) -> list[FlagView]:
    stmt = select(FlagRow).where(FlagRow.contest_id == contest_id, in_region(FlagRow.area, code))
    if severity:
        stmt = stmt.where(FlagRow.severity == severity)
    rows = session.execute(stmt.order_by(FlagRow.area, FlagRow.id).limit(limit)).scalars()
    return [FlagView(r.subject, r.rule, r.fields, r.expected, r.actual, r.hint, r.severity) for r in rows]


def tps_page(session: Session, contest: Contest, tps: TpsId) -> TpsPage:
    row = session.get(TpsRow, tps)
    if row is None:
        raise NotFound("unknown_tps", f"TPS tidak ditemukan: {tps}")
    result = session.get(TpsResultRow, (contest.id, tps))
    # The settled values (every sheet's consensus, corrections applied), not one sheet's.
    values = current(session, contest, tps).values if result is not None else {}
    sheets = session.execute(
        select(SheetRow)
        .where(SheetRow.contest_id == contest.id, SheetRow.tps_id == tps)
        .order_by(SheetRow.created_at.desc(), SheetRow.version.desc())
    ).scalars()
    sheet_views = tuple(
        SheetView(
            s.id,
            s.source,
            s.version,
            s.pages,
            s.created_at.strftime("%Y-%m-%d %H:%M"),
            s.photo_sha256,
            result is not None and s.id == result.sheet_id,
        )
        for s in sheets
    )
    status = "belum" if result is None else ("masuk" if result.counted else "tertunda")
    flag_rows = session.execute(
        select(FlagRow).where(FlagRow.contest_id == contest.id, FlagRow.subject == tps).order_by(FlagRow.id)
    ).scalars()
    return TpsPage(
        contest_id=contest.id,
        contest_name=contest.name,
        paslon=contest.paslon,
        tps_id=tps,
        number=tps_number(tps),
        dpt=row.dpt,
        crumbs=(*crumbs_for(session, RegionCode(row.desa)), Crumb(tps, f"TPS {row.number:03d}")),
        status=status,
        values=tuple((f.name, f.label, values.get(f.name)) for f in contest.fields),
        flags=tuple(
            FlagView(r.subject, r.rule, r.fields, r.expected, r.actual, r.hint, r.severity) for r in flag_rows
        ),
        sheets=sheet_views,
        updated_at=sheet_views[0].created_at if sheet_views else "",
    )


def recent_audit(session: Session, limit: int = 50) -> list[AuditEntry]:
    return list(session.execute(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)).scalars())
