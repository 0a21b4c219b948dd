"""The truth beside each photo: what the officer wrote, box by box, and where each box lands in the photo.

Keys: ``form``, ``contest``, ``page``, ``paslon``, ``tps``, ``region``; ``fields`` (every field of the whole
sheet, true count) and ``page_fields`` (those printed on this page); ``boxes`` (``<field>/<0..2>`` and
``<date>/<i>`` → ``content`` digit/x/empty, ``mark`` "dash" when the x is a dash, ``digit``, glyph ``writer``
and ``sample``, ``quad`` = the box's tl, tr, br, bl corners in photo px); ``bubbles`` (field → filled digit
per column, null = none); ``tally`` (field → marks per row, equal to the row subtotals written); ``header``;
``slips`` and ``kind`` (officer slips and 2024 error kinds); ``broken_checks`` (contest rules the written
sheet breaks); ``pen``; ``severity`` and ``camera`` (the camera's parameters, before any ``scale`` shrink of
the photo).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ocr.corpus.fill import Filled
from ocr.forms.spec import PageSpec


def truth(
    spec: PageSpec,
    job: Any,
    sheet: dict[str, int],
    filled: Filled,
    photo: Any,
    *,
    tps: str,
    region: str,
    broken: list[str],
    scale: float = 1.0,
) -> dict[str, Any]:
    boxes: dict[str, Any] = {}
    for key, rec in filled.boxes.items():
        quad = photo.boxes.get(key)
        boxes[key] = {
            **rec,
            "quad": None if quad is None else np.round(np.asarray(quad, float) * scale, 2).tolist(),
        }
    return {
        "form": spec.form,
        "contest": spec.contest,
        "page": spec.page,
        "paslon": spec.paslon,
        "tps": tps,
        "region": region,
        "fields": dict(sorted(sheet.items())),
        "page_fields": list(spec.fields),
        "boxes": boxes,
        "bubbles": filled.bubbles,
        "tally": filled.tally,
        "header": filled.header,
        "slips": filled.slips,
        "kind": job.kind,
        "broken_checks": broken,
        "pen": filled.pen,
        "severity": job.severity,
        "camera": _plain(photo.params),
        "scale": scale,  # < 1 when the photo was shrunk after the camera (quads are scaled with it)
        "seed": job.seed,
        "index": job.index,
    }


def _plain(v: Any) -> Any:
    """JSON-safe copy of camera parameters (numpy scalars and arrays to Python)."""
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    return v
