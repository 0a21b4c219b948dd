"""`PhotoReader`: one photo of one C.Hasil page → a `Reading`. Built once per worker (the models load once).

quality/locate → identify → cells (digit boxes → classifier) → OMR and tally → decode (one page). Decoding
across the pages of a TPS is `ocr.decode.decode_tps`, run again as each page arrives.
"""

from __future__ import annotations

import io
import time
from dataclasses import replace

import cv2
import numpy as np
from PIL import Image, ImageOps

from ocr.cells import DigitModel, printed_mask
from ocr.digits import DigitClassifier
from ocr.fields import read_page
from ocr.forms.render import render_blank
from ocr.forms.spec import PageSpec, Rect
from ocr.identify import page_of_tag, read_page_label, read_qr, tps_mismatch
from ocr.layout import box_height_mm, frame_of, load_layouts
from ocr.locate import Gray, Located, locate, locate_by_markers
from ocr.quality import (
    QUALITY_PX_PER_MM,
    REASONS,
    box_visibility,
    diagnose_unfound,
    measure,
)
from ocr.reading import Reading
from ocr.register import Registrar
from reconcile.contest import Contest, builtin_contest

SHARP_BOX_PX = 28.0  # below this a box in the reduced decode is re-read from the full-size photo
DECODE_LONG_SIDE = 2000  # a 12 MP photo is decoded at 1/2 (2000 × 1500): the page still gets ≥ 2.5 px/mm
READ_PX_PER_MM = QUALITY_PX_PER_MM  # one straightened page serves the gate and the boxes (≈ 57 px a box)


def decode_photo(data: bytes, long_side: int = 0) -> Gray:
    """Greyscale pixels of a JPEG/PNG, turned upright by its EXIF orientation first. With `long_side`, a
    JPEG is decoded at the smallest DCT scale (1/2, 1/4, 1/8) whose long side is still ≥ `long_side`."""
    with Image.open(io.BytesIO(data)) as im:
        w, h = im.size
        k = max(1, max(w, h) // long_side) if long_side else 1
        k = 1 << (k.bit_length() - 1)  # a power of two the JPEG decoder scales by for free
        im.draft("L", (w // k, h // k))  # JPEG: luminance only, reduced in the DCT
        upright = ImageOps.exif_transpose(im)
        return np.asarray(upright.convert("L") if upright.mode != "L" else upright, dtype=np.uint8)


def load_digit_model() -> tuple[DigitModel | None, str]:
    """The digit classifier (`ocr.digits.DigitClassifier`), loaded once; (None, "none") when no model file is
    shipped (a checkout before training): the reader then locates and gates only."""
    try:
        model = DigitClassifier.load()
    except FileNotFoundError:
        return None, "none"
    return model, model.version


class PhotoReader:
    """Reads one photo of one page. Construct once per worker: the specs and the model load here."""

    def __init__(
        self, *, model: DigitModel | None = None, verify_text: bool = False, register: bool = True
    ) -> None:
        self.layouts = load_layouts()
        self.frames = {tag: frame_of(spec) for tag, spec in self.layouts.items()}
        self.contests: dict[str, Contest] = {}
        self.templates = {  # each page's blank print at 1 px/mm, for locating without a tag
            tag: (self.frames[tag], _blur(render_blank(s, 1.0))) for tag, s in self.layouts.items()
        }
        self.blanks = {tag: blank for tag, (_, blank) in self.templates.items()}
        self.regions = {tag: _number_regions(s) for tag, s in self.layouts.items()}
        self.printed = {tag: printed_mask(render_blank(s, READ_PX_PER_MM)) for tag, s in self.layouts.items()}
        self.registrars = (
            {  # local re-registration on the printed frames (lens, folds, crumples)
                tag: Registrar(s, render_blank(s, READ_PX_PER_MM), READ_PX_PER_MM)
                for tag, s in self.layouts.items()
            }
            if register
            else {}
        )
        self.verify_text = verify_text  # Tesseract on "Halaman N dari 3" (≈ 0.3 s, off by default)
        if model is None:
            self.model, self.model_version = load_digit_model()
        else:
            self.model, self.model_version = model, str(getattr(model, "version", "custom"))

    def contest(self, spec: PageSpec) -> Contest:
        if spec.contest not in self.contests:
            self.contests[spec.contest] = builtin_contest(spec.contest)
        return self.contests[spec.contest]

    def read(self, jpeg: bytes, *, tps: str | None = None) -> Reading:
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        try:
            photo = decode_photo(jpeg, DECODE_LONG_SIDE)
        except (OSError, ValueError):
            return self._rejected(REASONS["not_found"], tps, None, {})
        timings["decode"] = _ms(t0)
        t = time.perf_counter()
        located = locate(photo, self.frames, self.blanks) or locate_by_markers(photo, self.templates)
        timings["locate"] = _ms(t)
        if located is None:  # say "blurry" when that is why no tag was found
            return self._rejected(REASONS[diagnose_unfound(photo)], tps, None, timings)
        tag = located.frame.tag_id
        layout = self.layouts[tag]
        page = page_of_tag(located.frame.tag_id)
        if not located.in_frame:
            return self._rejected(REASONS["not_in_frame"], tps, page, timings)
        full_scale = _full_size(jpeg)[0] / photo.shape[1]  # box quads are reported in the photo's own pixels
        t = time.perf_counter()
        if full_scale > 1.0 and _box_px(located, layout) < SHARP_BOX_PX:  # a distant page: decode it all
            photo = decode_photo(jpeg)
            located, full_scale = located.rescaled(full_scale), 1.0
        straight = located.straighten(photo, READ_PX_PER_MM)
        quality = measure(straight, _box_px(located.rescaled(full_scale), layout), self.printed[tag])
        quality = replace(quality, visibility=box_visibility(straight, self.regions[tag], self.printed[tag]))
        timings["quality"] = _ms(t)
        problem = quality.problem()
        if problem is not None:
            return self._rejected(
                REASONS[problem], tps, page, timings, quality.as_dict(), located.orientation
            )
        flags: list[str] = []
        t = time.perf_counter()
        qr_page, qr_tps = read_qr(_crop(straight, layout.qr)) if layout.qr is not None else (None, None)
        timings["identify"] = _ms(t)
        if qr_page is not None and qr_page != page:
            flags.append(
                f"Kode QR menyebut halaman {qr_page}, kode halaman menyebut {page} — periksa halaman."
            )
        mismatch = tps_mismatch(tps, qr_tps)
        if mismatch:
            flags.append(mismatch)
        if self.verify_text:
            w = layout.size_mm[0]
            text_page = read_page_label(_crop(straight, Rect(w - 62.0, 24.0, 60.0, 12.0)))
            if text_page is not None and text_page != page:
                flags.append(
                    f"Tulisan di halaman menyebut halaman {text_page}, kode halaman menyebut {page}."
                )
        fields = {}
        if self.model is not None and layout.numbers:
            t = time.perf_counter()
            moved = None
            if tag in self.registrars:
                straight, moved = self.registrars[tag].apply(straight)
                timings["register"] = _ms(t)
            fields = read_page(
                straight,
                located.rescaled(full_scale),
                layout,
                self.model,
                READ_PX_PER_MM,
                self.contest(layout),
                self.printed[tag],
                moved,
            )
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


def _full_size(data: bytes) -> tuple[int, int]:
    """Width and height of the photo upright (after its EXIF orientation), without decoding it."""
    with Image.open(io.BytesIO(data)) as im:
        w, h = im.size
        turned = im.getexif().get(0x0112, 1) in (5, 6, 7, 8)
        return (h, w) if turned else (w, h)


def _number_regions(spec: PageSpec) -> list[tuple[int, int, int, int]]:
    """Each number's three boxes as one page-pixel rectangle (1 mm around), for the visibility check."""
    out = []
    for n in spec.numbers:
        x0, y0 = min(b.x for b in n.boxes) - 1, min(b.y for b in n.boxes) - 1
        x1, y1 = max(b.x + b.w for b in n.boxes) + 1, max(b.y + b.h for b in n.boxes) + 1
        out.append(tuple(round(v * READ_PX_PER_MM) for v in (x0, y0, x1, y1)))
    return out  # type: ignore[return-value]


def _blur(img: Gray) -> Gray:
    return np.asarray(cv2.GaussianBlur(img, (0, 0), 1.0), dtype=np.uint8)


def _ms(t: float) -> float:
    return round((time.perf_counter() - t) * 1000, 1)


def _box_px(located: Located, layout: PageSpec) -> float:
    """Height in photo pixels of a digit box at the page centre (the resolution the classifier gets)."""
    w, h = layout.size_mm
    bh = box_height_mm(layout)
    a, b = located.to_photo(np.array([[w / 2, h / 2], [w / 2, h / 2 + bh]]))
    return float(np.hypot(*(b - a)))


def _crop(page: Gray, rect: Rect) -> Gray:
    x, y, w, h = (round(v * READ_PX_PER_MM) for v in (rect.x - 2, rect.y - 2, rect.w + 4, rect.h + 4))
    return page[max(0, y) : y + h, max(0, x) : x + w]
