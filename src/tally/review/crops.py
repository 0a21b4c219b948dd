"""Cut what a reviewer must see from the stored photo: a field's three digit boxes and, on page 2, the OMR
bubble column under each box — so the number read, the ink and the bubbles sit side by side.

The reading gives each digit box as a quad in photo pixels (the photo turned upright by its EXIF tag, as
the worker read it). The form spec gives the same boxes, and the bubbles, in millimetres. A homography fitted
to the twelve box corners maps the spec's rectangle around boxes and bubbles into the photo; the crop is that
rectangle warped flat at a fixed scale. Without the spec it falls back to the boxes' bounding rectangle.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict

import cv2
import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from ocr.forms.spec import NumberField, load_spec
from ocr.reading import FieldReading, Reading
from tally.auth.scope import Principal
from tally.auth.service import require_tps
from tally.db.intake import PhotoRow, ReadingRow
from tally.errors import NotFound
from tally.photos.jpeg import upright
from tally.photos.store import PhotoStore

PX_PER_MM = 6.0  # a 6 mm box becomes ~36 px: legible on a phone, small as PNG
MARGIN_MM = 2.0
HEX_SHA256 = re.compile(r"[0-9a-f]{64}")
Gray = np.ndarray


class PhotoCache:
    """The last few decoded photos: a reviewer walks the fields of one TPS, which share three photos."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._items: OrderedDict[str, Gray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, sha256: str, data: bytes, orientation: int) -> Gray:
        with self._lock:
            if sha256 in self._items:
                self._items.move_to_end(sha256)
                return self._items[sha256]
        pixels = cv2.imdecode(np.frombuffer(upright(data, orientation), np.uint8), cv2.IMREAD_GRAYSCALE)
        if pixels is None:
            raise ValueError("foto tidak dapat dibaca")
        with self._lock:
            self._items[sha256] = pixels
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return pixels


def _number(contest: str, page: int, field: str) -> NumberField | None:
    try:
        spec = load_spec(contest, page)
    except KeyError:
        return None
    return next((n for n in spec.numbers if n.field == field), None)


def field_crop(photo: Gray, reading: FieldReading, contest: str, page: int) -> bytes:
    """PNG of the field's boxes (and bubbles) flattened; raises ValueError when the reading has no boxes."""
    if not reading.digits:
        raise ValueError("kolom ini tidak memiliki kotak angka yang terbaca")
    dst = np.array([p for d in reading.digits for p in d.quad], np.float32)
    number = _number(contest, page, reading.name)
    if number is None or len(number.boxes) != len(reading.digits):
        x0, y0 = dst.min(axis=0) - 10
        x1, y1 = dst.max(axis=0) + 10
        h, w = photo.shape[:2]
        cut = photo[max(0, int(y0)) : min(h, int(y1)), max(0, int(x0)) : min(w, int(x1))]
        return _png(cut)
    src = np.array([p for box in number.boxes for p in box.corners()], np.float32)
    mm_to_photo, _ = cv2.findHomography(src, dst)
    if mm_to_photo is None:
        raise ValueError("kotak angka tidak dapat dipetakan")
    left = min(b.x for b in number.boxes) - MARGIN_MM
    top = min(b.y for b in number.boxes) - MARGIN_MM
    right = max(b.x + b.w for b in number.boxes) + MARGIN_MM
    bottom = max(b.y + b.h for b in number.boxes) + MARGIN_MM
    if number.bubbles is not None:  # the column of circles 0-9 under each box
        b = number.bubbles
        left, right = min(left, min(b.x) - b.d), max(right, max(b.x) + b.d)
        bottom = max(bottom, max(b.y) + b.d + MARGIN_MM)
    width, height = round((right - left) * PX_PER_MM), round((bottom - top) * PX_PER_MM)
    out_to_mm = np.array(
        [[1 / PX_PER_MM, 0, left], [0, 1 / PX_PER_MM, top], [0, 0, 1]], np.float64
    )  # an output pixel → its place on the page in mm
    flat = cv2.warpPerspective(
        photo,
        mm_to_photo @ out_to_mm,
        (width, height),
        flags=cv2.INTER_AREA | cv2.WARP_INVERSE_MAP,
        borderValue=255,
    )
    return _png(flat)


def _png(pixels: Gray) -> bytes:
    ok, buf = cv2.imencode(".png", pixels, [cv2.IMWRITE_PNG_COMPRESSION, 6])
    if not ok:
        raise ValueError("potongan tidak dapat disimpan sebagai PNG")
    return bytes(buf.tobytes())


def crop_of(
    session: Session, store: PhotoStore, cache: PhotoCache, contest: str, sha256: str, field: str
) -> bytes:
    """The PNG crop of `field` from the stored photo `sha256`, cut where its newest reading found the boxes.
    The caller has checked the photo is in the officer's scope (`photo_in_scope`)."""
    photo = session.get(PhotoRow, sha256)
    body = session.scalar(
        select(ReadingRow.body)
        .where(ReadingRow.photo_sha256 == sha256, ReadingRow.page.is_not(None))
        .order_by(ReadingRow.id.desc())
        .limit(1)
    )
    reading = Reading.from_json(json.loads(body)) if body else None
    if photo is None or reading is None or reading.page is None or field not in reading.fields:
        raise NotFound("no_crop", "Kolom ini tidak terbaca dari foto ini.")
    pixels = cache.get(sha256, store.read(sha256), photo.orientation)
    return field_crop(pixels, reading.fields[field], contest, reading.page)


def photo_in_scope(session: Session, who: Principal, sha256: str) -> PhotoRow:
    """The stored photo named by its hex SHA-256, if `who` may see its TPS (anything else is unknown)."""
    photo = session.get(PhotoRow, sha256) if HEX_SHA256.fullmatch(sha256) else None
    if photo is None:
        raise NotFound("unknown_photo", "Foto tidak ditemukan.")
    require_tps(session, who, photo.tps_id)
    return photo
