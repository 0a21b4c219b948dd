"""Identify the page and the TPS: the AprilTag names the page; our own rendered pages carry a QR code with the
TPS; the printed "Halaman N dari 3" is read by Tesseract as a cross-check (printed text only: Tesseract is
not trusted with handwriting). The TPS itself comes from the upload and is only checked here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import cv2
import numpy as np
import pytesseract
import zxingcpp

from ocr.forms.spec import parse_qr_payload
from ocr.locate import Gray

TAG_PAGES = {101: 1, 102: 2, 103: 3}
_TPS = re.compile(r"(?<!\d)(\d{13})(?!\d)")
_HALAMAN = re.compile(r"Halaman\s*([0-9Il])\s*dari\s*([0-9Il])", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Identity:
    page: int | None
    qr_tps: str | None
    text_page: int | None  # from "Halaman N dari M", when read


def page_of_tag(tag_id: int) -> int | None:
    return TAG_PAGES.get(tag_id)


def read_qr(image: Gray) -> tuple[int | None, str | None]:
    """(page, 13-digit TPS id) from the QR code our rendered pages carry (`tally:<contest>:<page>:<tps>`)."""
    for result in zxingcpp.read_barcodes(image):
        parsed = parse_qr_payload(result.text)
        if parsed is not None:
            _, page, tps = parsed
            return page, (tps if _TPS.fullmatch(tps) else None)
        match = _TPS.search(result.text.replace(".", ""))
        if match:
            return None, match.group(1)
    return None, None


def read_page_label(region: Gray) -> int | None:
    """N of the printed "Halaman N dari M" in a crop of the page header."""
    big = cv2.resize(region, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC)
    _, bw = cv2.threshold(big, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    text = pytesseract.image_to_string(np.asarray(bw), lang="ind", config="--psm 6")
    match = _HALAMAN.search(text)
    if not match:
        return None
    digit = match.group(1).replace("I", "1").replace("l", "1")
    return int(digit)


def tps_mismatch(upload_tps: str | None, qr_tps: str | None) -> str | None:
    """A finding (Bahasa Indonesia) when the page's QR names another TPS than the upload."""
    if upload_tps and qr_tps and upload_tps != qr_tps:
        return f"Kode QR halaman menyebut TPS {qr_tps}, tetapi foto diunggah untuk TPS {upload_tps}."
    return None
