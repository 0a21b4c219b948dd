"""The bad-input corpus, made by code (nothing large is committed): broken JPEGs, bombs, other formats,
EXIF tricks, malformed JSON, awkward Unicode and injection strings. Each case names what must come back."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image

from support.intake import jpeg


@dataclass(frozen=True)
class Bad:
    name: str
    make: Callable[[], bytes]
    status: int
    code: str


def small() -> bytes:
    return jpeg(width=160, height=120, seed=42)


def _marker_at(data: bytes, codes: set[int]) -> int:
    return next(i for i in range(2, len(data) - 1) if data[i] == 0xFF and data[i + 1] in codes)


def _sof(data: bytes) -> int:
    return _marker_at(data, {0xC0, 0xC1, 0xC2})


def with_size(width: int, height: int, data: bytes | None = None) -> bytes:
    """A small real JPEG whose frame header claims `width`×`height` (a decompression bomb)."""
    data = data or small()
    at = _sof(data)
    return data[: at + 5] + struct.pack(">HH", height, width) + data[at + 9 :]


def second_frame(width: int, height: int) -> bytes:
    """A small real JPEG with a second frame header after its own, claiming `width`×`height`: a parser that
    reads the first header sees 160×120, PIL (which keeps the last) allocates the second (issue 14, #10)."""
    data = small()
    at = _sof(data)
    (length,) = struct.unpack(">H", data[at + 2 : at + 4])
    segment = data[at : at + 2 + length]
    huge = segment[:5] + struct.pack(">HH", height, width) + segment[9:]
    return data[: at + 2 + length] + huge + data[at + 2 + length :]


def progressive_bomb() -> bytes:
    out = io.BytesIO()
    Image.new("L", (64, 64), 128).save(out, format="JPEG", progressive=True)
    return with_size(65535, 65535, out.getvalue())


def _segment_length(data: bytes, marker: int, length: int) -> bytes:
    at = _marker_at(data, {marker})
    return data[: at + 2] + struct.pack(">H", length) + data[at + 4 :]


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), "white").save(out, format="PNG")
    return out.getvalue()


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (32, 32)).save(out, format="GIF")
    return out.getvalue()


def _zip_bomb_ish() -> bytes:
    return b"PK\x03\x04" + zlib.compress(b"\0" * 1_000_000, 9)


def _no_eoi() -> bytes:
    data = small()
    return data[: data.rfind(b"\xff\xd9")]


def _eoi_before_scan() -> bytes:
    data = small()
    at = _marker_at(data, {0xDA})
    return data[:at] + b"\xff\xd9"


CORRUPT = "corrupt_photo"
BAD_PHOTOS = [
    Bad("soi_only", lambda: b"\xff\xd8", 422, "not_jpeg"),
    Bad("magic_only", lambda: b"\xff\xd8\xff", 422, CORRUPT),
    Bad("headers_only", lambda: small()[:200], 422, CORRUPT),
    Bad("cut_in_half", lambda: small()[: len(small()) // 2], 422, CORRUPT),
    Bad("no_end_of_image", _no_eoi, 422, CORRUPT),
    Bad("end_before_scan", _eoi_before_scan, 422, CORRUPT),
    Bad("garbage_after_magic", lambda: b"\xff\xd8\xff" + bytes(range(256)) * 8, 422, CORRUPT),
    Bad("segment_length_zero", lambda: _segment_length(small(), 0xDB, 0), 422, CORRUPT),
    Bad("segment_length_past_end", lambda: _segment_length(small(), 0xDB, 0xFFFF), 422, CORRUPT),
    Bad("zero_width", lambda: with_size(0, 120), 422, CORRUPT),
    Bad("bomb_20000", lambda: with_size(20000, 20000), 422, "too_many_pixels"),
    Bad("bomb_65535_progressive", progressive_bomb, 422, "too_many_pixels"),
    Bad("bomb_wide_strip", lambda: with_size(65535, 800), 422, "too_many_pixels"),
    Bad("second_frame_60000", lambda: second_frame(60000, 60000), 422, CORRUPT),
    Bad("second_frame_9000", lambda: second_frame(9000, 9000), 422, CORRUPT),
    Bad("png", _png, 422, "not_jpeg"),
    Bad("gif", _gif, 422, "not_jpeg"),
    Bad("pdf", lambda: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF", 422, "not_jpeg"),
    Bad("html", lambda: b"<html><script>alert(1)</script></html>", 422, "not_jpeg"),
    Bad("zip", _zip_bomb_ish, 422, "not_jpeg"),
    Bad("empty", lambda: b"", 422, "empty_photo"),
]


def exif_jpeg(ifd: bytes) -> bytes:
    """A small real JPEG carrying a hand-made APP1 Exif segment (TIFF little-endian, IFD0 as given)."""
    tiff = b"II*\x00" + struct.pack("<I", 8) + ifd
    app1 = b"Exif\x00\x00" + tiff
    data = small()
    segment = b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1
    return data[:2] + segment + data[2:]


def _ifd(entries: list[tuple[int, int, int, int]], next_ifd: int = 0) -> bytes:
    body = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        body += struct.pack("<HHII", tag, kind, count, value)
    return body + struct.pack("<I", next_ifd)


ORIENTATION, SHORT, LONG, ASCII = 0x0112, 3, 4, 2
# EXIF tricks on an otherwise good photo: the photo may be accepted (its orientation taken as upright) or
# refused with a 4xx, but never a server error, and an accepted one is stored with orientation 1–8.
EXIF_TRICKS: dict[str, Callable[[], bytes]] = {
    "orientation_0": lambda: exif_jpeg(_ifd([(ORIENTATION, SHORT, 1, 0)])),
    "orientation_9": lambda: exif_jpeg(_ifd([(ORIENTATION, SHORT, 1, 9)])),
    "orientation_65535": lambda: exif_jpeg(_ifd([(ORIENTATION, SHORT, 1, 65535)])),
    "orientation_as_text": lambda: exif_jpeg(_ifd([(ORIENTATION, ASCII, 4, 0x00363636)])),
    "orientation_count_huge": lambda: exif_jpeg(_ifd([(ORIENTATION, SHORT, 0x7FFFFFFF, 6)])),
    "value_offset_past_end": lambda: exif_jpeg(_ifd([(ORIENTATION, LONG, 64, 0x7FFFFFF0)])),
    "next_ifd_loops_to_itself": lambda: exif_jpeg(_ifd([(ORIENTATION, SHORT, 1, 6)], next_ifd=8)),
    "next_ifd_past_end": lambda: exif_jpeg(_ifd([(ORIENTATION, SHORT, 1, 6)], next_ifd=0xFFFFFFF0)),
    "exif_ifd_pointer_loops": lambda: exif_jpeg(_ifd([(0x8769, LONG, 1, 8), (ORIENTATION, SHORT, 1, 3)])),
    "entry_count_huge": lambda: exif_jpeg(struct.pack("<H", 0xFFFF) + b"\x00" * 12),
}

# Text that must come back as a clear refusal or be stored and shown as plain text, never as markup or SQL.
INJECTIONS = [
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE photo; --",
    "' OR '1'='1",
    "{{ 7*7 }}",
    "%00%27",
]
UNICODE = [
    "Ngabehi\u0301",  # NFD: e + combining acute
    "Ngabeh\u00e9",  # NFC
    "\u202eevil\u202c",  # right-to-left override
    "\u0633\u0644\u0627\u0645",  # Arabic (RTL)
    "\U0001f5f3\ufe0f\U0001f1ee\U0001f1e9",  # emoji with variation selector and a flag
    "a\x00b",  # NUL: PostgreSQL text cannot hold it
    "\ud800",  # a lone surrogate (not encodable as UTF-8)
    "x" * 5000,
]
