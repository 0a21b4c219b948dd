"""`PhotoReader`: one photo of one C.Hasil page → a `Reading`. Built once per worker (the models load once).

quality/locate → identify → cells (digit boxes → classifier) → OMR and tally → decode (one page). Decoding
across the pages of a TPS is `ocr.decode.decode_tps`, run again as each page arrives.
"""

from __future__ import annotations

import io
import time
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from ocr.identify import page_of_tag, read_page_label, read_qr_tps, tps_mismatch
from ocr.layout import PageLayout, load_layouts
from ocr.locate import Gray, Located, locate
from ocr.quality import MIN_PHOTO_SHARPNESS, QUALITY_PX_PER_MM, REASONS, measure, photo_sharpness
from ocr.reading import Reading

READ_PX_PER_MM = 8.0  # the straightened page the boxes are cut from


def decode_photo(data: bytes) -> Gray:
    """Greyscale pixels of a JPEG/PNG, turned upright by its EXIF orientation first."""
    with Image.open(io.BytesIO(data)) as im:
        im.draft("L", im.size)  # JPEG: decode luminance only
        upright = ImageOps.exif_transpose(im)
        return np.asarray(upright.convert("L"), dtype=np.uint8)


class PhotoReader:
    def __init__(self, *, verify_text: bool = False) -> None:
        self.layouts = load_layouts()
        self.verify_text = verify_text  # Tesseract on "Halaman N dari 3" (≈ 0.3 s, off by default)
        self._engine: Any = None
        self.model_version = "none"

    def read(self, jpeg: bytes, *, tps: str | None = None) -> Reading:
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        try:
            photo = decode_photo(jpeg)
        except (OSError, ValueError):
            return self._rejected(REASONS["not_found"], tps, None, {})
        timings["decode"] = _ms(t0)
        t = time.perf_counter()
        located = locate(photo, {tag: lay.frame for tag, lay in self.layouts.items()})
        timings["locate"] = _ms(t)
        if located is None:  # say "blurry" when that is why no tag was found
            reason = "blurry" if photo_sharpness(photo) < MIN_PHOTO_SHARPNESS else "not_found"
            return self._rejected(REASONS[reason], tps, None, timings)
        layout = self.layouts[located.frame.tag_id]
        page = page_of_tag(located.frame.tag_id)
        if not located.in_frame:
            return self._rejected(REASONS["not_in_frame"], tps, page, timings)
        t = time.perf_counter()
        small = located.straighten(photo, QUALITY_PX_PER_MM)
        quality = measure(small, _box_px(located, layout))
        timings["quality"] = _ms(t)
        problem = quality.problem()
        if problem is not None:
            return self._rejected(
                REASONS[problem], tps, page, timings, quality.as_dict(), located.orientation
            )
        t = time.perf_counter()
        straight = located.straighten(photo, READ_PX_PER_MM)
        timings["straighten"] = _ms(t)
        flags: list[str] = []
        qr_tps = read_qr_tps(small)
        mismatch = tps_mismatch(tps, qr_tps)
        if mismatch:
            flags.append(mismatch)
        if self.verify_text and layout.label is not None:
            text_page = read_page_label(_crop(straight, layout.label))
            if text_page is not None and text_page != page:
                flags.append(
                    f"Tulisan di halaman menyebut halaman {text_page}, kode halaman menyebut {page}."
                )
        fields = {}
        if self._engine is not None and layout.fields:
            t = time.perf_counter()
            fields = self._engine.read_fields(straight, located, layout, READ_PX_PER_MM)
            timings["fields"] = _ms(t)
        timings["total"] = _ms(t0)
        return Reading(
            page=page,
            fields=fields,
            model_version=self.model_version,
            tps=tps,
            qr_tps=qr_tps,
            orientation=located.orientation,
            quality=quality.as_dict(),
            flags=tuple(flags),
            timings_ms=timings,
        )

    def _rejected(
        self,
        reason: str,
        tps: str | None,
        page: int | None,
        timings: dict[str, float],
        quality: dict[str, float] | None = None,
        orientation: int = 0,
    ) -> Reading:
        return Reading(
            page=page,
            fields={},
            model_version=self.model_version,
            rejected=reason,
            tps=tps,
            orientation=orientation,
            quality=quality or {},
            timings_ms=timings,
        )


def _ms(t: float) -> float:
    return round((time.perf_counter() - t) * 1000, 1)


def _box_px(located: Located, layout: PageLayout) -> float:
    """Height in photo pixels of a digit box at the page centre (the resolution the classifier gets)."""
    w, h = layout.frame.size_mm
    bh = layout.box_height_mm
    a, b = located.to_photo(np.array([[w / 2, h / 2], [w / 2, h / 2 + bh]]))
    return float(np.hypot(*(b - a)))


def _crop(page: Gray, rect: tuple[float, float, float, float]) -> Gray:
    x, y, w, h = (round(v * READ_PX_PER_MM) for v in rect)
    return page[y : y + h, x : x + w]
