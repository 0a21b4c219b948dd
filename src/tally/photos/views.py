"""Read side of intake: a TPS's photos, readings and flags; pending work per kelurahan. A region's roll-up is
`tally.election.recap`, the one read of the maintained totals."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Integer, case, func, literal_column, select
from sqlalchemy.orm import Session

from reconcile.ids import Level, RegionCode, key_length, undotted
from tally.db.base import aware
from tally.db.flags import FlagRow
from tally.db.intake import PhotoRow, ReadingRow
from tally.db.regions import RegionRow, TpsRow
from tally.db.scope import in_region
from tally.db.sheets import SheetRow


def status_url(sha256: str) -> str:
    return f"/api/v1/photos/{sha256}"


def photo_dict(row: PhotoRow) -> dict[str, Any]:
    return {
        "sha256": row.sha256,
        "tps_id": row.tps_id,
        "page": row.page,
        "status": row.status,
        "detail": row.detail,
        "size_bytes": row.size_bytes,
        "width": row.width,
        "height": row.height,
        "uploaded_at": aware(row.uploaded_at),
        "status_url": status_url(row.sha256),
    }


def reading_dict(row: ReadingRow) -> dict[str, Any]:
    body = json.loads(row.body) if row.body else {}
    fields = {
        name: {
            "value": f.get("value"),
            "confidence": f.get("confidence", 0.0),
            "status": f.get("status", "empty"),
        }
        for name, f in body.get("fields", {}).items()
    }
    return {
        "photo_sha256": row.photo_sha256,
        "reader": row.reader,
        "model_version": row.model_version,
        "status": row.status,
        "page": row.page,
        "rejected": row.rejected,
        "seconds": row.seconds,
        "created_at": aware(row.created_at),
        "fields": fields,
    }


def tps_status(s: Session, tps_id: str, pages: int) -> dict[str, Any]:
    tps = s.get(TpsRow, tps_id)
    assert tps is not None  # the route checked it exists
    photos = list(s.scalars(select(PhotoRow).where(PhotoRow.tps_id == tps_id).order_by(PhotoRow.uploaded_at)))
    readings = list(
        s.scalars(
            select(ReadingRow)
            .join(PhotoRow, PhotoRow.sha256 == ReadingRow.photo_sha256)
            .where(PhotoRow.tps_id == tps_id)
            .order_by(ReadingRow.created_at)
        )
    )
    newest_sheet = s.scalar(
        select(SheetRow.id).where(SheetRow.tps_id == tps_id).order_by(SheetRow.created_at.desc()).limit(1)
    )
    flags = list(s.scalars(select(FlagRow).where(FlagRow.sheet_id == newest_sheet))) if newest_sheet else []
    received = sorted({p.page for p in photos})
    states = {p.status for p in photos}
    if not photos:
        overall = "empty"
    elif states & {"queued", "reading"}:
        overall = "queued"
    elif len(received) < pages:
        overall = "partial"
    elif states & {"review", "rejected", "failed", "ocr_unavailable"} or flags:
        overall = "review"
    else:
        overall = "read"
    return {
        "tps_id": tps_id,
        "desa": tps.desa,
        "dpt": tps.dpt,
        "pages_expected": pages,
        "pages_received": received,
        "status": overall,
        "photos": [photo_dict(p) for p in photos],
        "readings": [reading_dict(r) for r in readings],
        "flags": flags,
    }


def pending(s: Session, region: RegionCode) -> list[dict[str, Any]]:
    """Per kelurahan/desa inside `region`: TPS expected, TPS with photos, photos by state, flags."""
    tps_counts = dict(
        s.execute(
            select(TpsRow.desa, func.count()).where(in_region(TpsRow.id, region)).group_by(TpsRow.desa)
        ).all()
    )
    desa_key = literal_column(str(key_length(Level.DESA)), Integer())
    desa_of = func.substr(PhotoRow.tps_id, literal_column("1"), desa_key)

    def n(status: str) -> Any:
        return func.sum(case((PhotoRow.status == status, 1), else_=0))

    photo_rows = s.execute(
        select(
            desa_of,
            func.count(func.distinct(PhotoRow.tps_id)),
            n("queued") + n("reading"),
            n("review"),
            n("rejected"),
            n("failed"),
        )
        .where(in_region(PhotoRow.tps_id, region))
        .group_by(desa_of)
    ).all()
    by_desa = {r[0]: r[1:] for r in photo_rows}
    # Literal arguments: PostgreSQL matches a GROUP BY expression to the SELECT list by its text.
    flag_desa = func.substr(FlagRow.area, literal_column("1"), desa_key)
    flag_rows: dict[str, int] = dict(
        s.execute(
            select(flag_desa, func.count())
            .where(in_region(FlagRow.area, region), FlagRow.severity == "error")
            .group_by(flag_desa)
        ).all()
    )
    names = dict(
        s.execute(select(RegionRow.code, RegionRow.name).where(RegionRow.code.in_(tps_counts))).all()
    )
    out = []
    for desa, expected in sorted(tps_counts.items()):
        key = undotted(RegionCode(desa))
        got = by_desa.get(key, (0, 0, 0, 0, 0))
        out.append(
            {
                "desa": desa,
                "name": names.get(desa, ""),
                "tps_expected": expected,
                "tps_with_photos": got[0],
                "photos_queued": got[1] or 0,
                "photos_review": got[2] or 0,
                "photos_rejected": got[3] or 0,
                "photos_failed": got[4] or 0,
                "flags": flag_rows.get(key, 0),
            }
        )
    return out
