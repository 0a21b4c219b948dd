"""Salinan: a printable PDF of one TPS's result that saksi and Bawaslu check against the public page —
the numbers that count, each photo's thumbnail and SHA-256, and the newest audit entry about the TPS with its
hash (and the signed chain head), so a printed copy can be matched to the public log line by line."""

from __future__ import annotations

import io

from sqlalchemy import select
from sqlalchemy.orm import Session

from reconcile.contest import Contest
from reconcile.ids import TpsId
from tally import words
from tally.audit import entries_for, latest_head
from tally.auth.code_sheet import unicode_pdf
from tally.db.intake import PhotoRow
from tally.photos.intake import PhotoStatus
from tally.photos.store import PhotoStore
from tally.photos.thumbs import thumbnail
from tally.web import queries

THUMB_PX = 360


# Refused, dead-lettered, another TPS's form (held): counts for nothing here, never published as this TPS's.
NOT_COUNTED = (PhotoStatus.REJECTED, PhotoStatus.FAILED, PhotoStatus.HELD)


def counted_photos(session: Session, tps: TpsId) -> list[PhotoRow]:
    """The photo each page of the TPS counts from: the newest one not refused (a retake replaces the page;
    a refused, dead-lettered or held photo counts for nothing and is neither printed nor shown)."""
    rows = session.scalars(
        select(PhotoRow)
        .where(PhotoRow.tps_id == tps, PhotoRow.status.not_in(NOT_COUNTED))
        .order_by(PhotoRow.page, PhotoRow.uploaded_at.desc())
    )
    newest: dict[int, PhotoRow] = {}
    for row in rows:
        newest.setdefault(row.page, row)
    return list(newest.values())


def salinan_pdf(session: Session, contest: Contest, tps: TpsId, store: PhotoStore, base_url: str) -> bytes:
    view = queries.tps_page(session, contest, tps)  # the same values the public TPS page shows
    photos = counted_photos(session, tps)  # bounded: one per page, each thumbnail made once
    entry = next(iter(entries_for(session, tps, limit=1)), None)
    head = latest_head(session)
    pdf = unicode_pdf()  # DejaVu: the en dash of every paslon name prints whole
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("Sans", "B", 14)
    pdf.cell(0, 8, f"Salinan hasil TPS {view.number:03d} ({tps})", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Sans", "", 9)
    where = " › ".join(c.name for c in view.crumbs)
    for line in (contest.name, where, f"Status: {words.TPS_STATUS.get(view.status, '')}",
                 f"Periksa di halaman publik: {base_url}/tps/{tps}"):  # fmt: skip
        pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Sans", "B", 10)
    pdf.cell(0, 6, "Angka", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Sans", "", 8)
    for _name, label, value in view.values:
        pdf.cell(150, 4.5, label, border="B")
        shown = "—" if value is None else f"{value:,}".replace(",", ".")
        pdf.cell(0, 4.5, shown, border="B", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Sans", "B", 10)
    pdf.cell(0, 6, "Foto C.Hasil (SHA-256)", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Mono", "", 7)
    for row in photos:
        thumb = thumbnail(store, row.sha256, THUMB_PX)
        pdf.multi_cell(0, 4, f"Halaman {row.page}: {row.sha256}", new_x="LMARGIN", new_y="NEXT")
        if thumb is not None:
            pdf.image(io.BytesIO(thumb), w=40)
        pdf.ln(1)
    pdf.set_font("Sans", "B", 10)
    pdf.cell(0, 6, "Log audit", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Mono", "", 7)
    if entry is not None:
        said = f"Entri #{entry.seq}: {words.action(entry.action)} oleh {words.role(entry.actor_role)}"
        pdf.multi_cell(0, 4, said, new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(0, 4, f"hash {entry.hash}", new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.multi_cell(0, 4, "Belum ada entri audit untuk TPS ini.", new_x="LMARGIN", new_y="NEXT")
    if head is not None:
        pdf.multi_cell(
            0, 4, f"Kepala rantai bertanda tangan: #{head.seq} {head.hash}", new_x="LMARGIN", new_y="NEXT"
        )
    return bytes(pdf.output())
