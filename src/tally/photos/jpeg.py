"""Is this upload a whole, sane JPEG? Checked cheaply, in an order that never decodes a bomb.

1. magic bytes (a PNG renamed .jpg stops here);
2. dimensions from the SOF header, parsed by hand, BEFORE any decoder sees the pixels (a 20000×20000
   header in a 2 KB file stops here). EVERY frame header before the scan is read: a file with two (a small
   one first, a huge one after it, which PIL would use) is refused, and the size PIL's decoder reports must
   be the one checked (issue 14: 60000² passed as the first header's 160×120);
3. the frame is whole: a start-of-scan, then an end-of-image marker after it (inside entropy-coded data a 0xFF
   is always followed by 0x00 or a restart marker, so FF D9 after the scan can only be the real end; a
   truncated upload has none). Bytes after it (some phones append data) are allowed;
4. the EXIF orientation tag (PIL reads headers only), recorded so the worker turns the image upright once.

A full decode is NOT done here: on a 2-core machine it costs ~35 ms per 3 MP photo, which alone would cap
intake below 60 uploads/s. The worker decodes every photo anyway; a well-framed photo with corrupt pixels is
refused there, with a reason for the officer (status `rejected`).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError

from tally.errors import BadPhoto

MAGIC = b"\xff\xd8\xff"
# Start-of-frame markers carry the dimensions; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_STANDALONE = {0x01, *range(0xD0, 0xD8)}
EXIF_ORIENTATION = 0x0112

NOT_JPEG = BadPhoto(
    "not_jpeg", "Berkas ini bukan foto JPEG. Ambil foto formulir dengan kamera, lalu kirim ulang."
)
CORRUPT = BadPhoto("corrupt_photo", "Foto rusak atau terkirim tidak utuh. Kirim ulang foto yang sama.")
TWO_FRAMES = BadPhoto(
    "corrupt_photo",
    "Foto rusak: berkas ini memuat lebih dari satu kepala gambar. Ambil foto ulang dengan kamera ponsel.",
)


@dataclass(frozen=True, slots=True)
class PhotoInfo:
    width: int
    height: int
    orientation: int  # EXIF 1–8; 1 = upright


def dimensions(f: BinaryIO) -> tuple[int, int]:
    """(width, height) from the first SOF segment, reading only the headers."""
    width, height, _ = frame(f)
    return width, height


def frame(f: BinaryIO) -> tuple[int, int, int]:
    """(width, height, offset of the start-of-scan segment), walking the marker segments only. Exactly one
    frame header may come before the scan (a baseline or progressive JPEG has one)."""
    f.seek(0)
    if f.read(3) != MAGIC:
        raise NOT_JPEG
    f.seek(2)
    while True:
        byte = f.read(1)
        if not byte:
            raise CORRUPT
        if byte != b"\xff":
            raise CORRUPT
        marker = f.read(1)
        while marker == b"\xff":  # fill bytes
            marker = f.read(1)
        if not marker:
            raise CORRUPT
        code = marker[0]
        if code in _STANDALONE:
            continue
        if code in (0xD9, 0xDA):  # end of image or start of scan before any frame header
            raise CORRUPT
        raw = f.read(2)
        if len(raw) < 2:
            raise CORRUPT
        (length,) = struct.unpack(">H", raw)
        if length < 2:
            raise CORRUPT
        if code in _SOF:
            head = f.read(5)
            if len(head) < 5:
                raise CORRUPT
            _, height, width = struct.unpack(">BHH", head)
            if width == 0 or height == 0:
                raise CORRUPT
            f.seek(length - 7, 1)
            return width, height, _scan_start(f)
        f.seek(length - 2, 1)


def _scan_start(f: BinaryIO) -> int:
    """Offset of the SOS marker after the frame header (tables may sit in between; another frame header
    may not: decoders disagree on which one counts)."""
    while True:
        head = f.read(4)
        if len(head) < 4 or head[0] != 0xFF:
            raise CORRUPT
        if head[1] == 0xDA:
            return f.tell() - 4
        if head[1] in _SOF:
            raise TWO_FRAMES
        (length,) = struct.unpack(">H", head[2:])
        if length < 2:
            raise CORRUPT
        f.seek(length - 2, 1)


def inspect(path: Path, max_pixels: int) -> PhotoInfo:
    with path.open("rb") as f:
        if not f.read(1):
            raise BadPhoto("empty_photo", "Foto kosong (0 byte) — pengiriman gagal. Kirim ulang foto.")
        width, height, scan = frame(f)
        f.seek(0)
        if f.read().rfind(b"\xff\xd9") <= scan:
            raise CORRUPT  # no end-of-image after the scan: cut off in transit
    if width * height > max_pixels:
        raise BadPhoto(
            "too_many_pixels",
            f"Resolusi foto terlalu besar ({width}×{height}). Atur kamera ke resolusi biasa lalu foto ulang.",
            width=width,
            height=height,
            max_pixels=max_pixels,
        )
    try:
        with Image.open(path, formats=["JPEG"]) as img:
            decoded = img.size  # what the decoder will allocate: it must be what was checked above
            orientation = int(img.getexif().get(EXIF_ORIENTATION, 1))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise CORRUPT from exc
    if decoded != (width, height):
        raise TWO_FRAMES
    return PhotoInfo(width, height, orientation if 1 <= orientation <= 8 else 1)


def upright(data: bytes, orientation: int) -> bytes:
    """The photo turned upright, re-encoded without an orientation tag so no later stage turns it again."""
    if orientation == 1:
        return data
    import io

    from PIL import ImageOps

    with Image.open(io.BytesIO(data)) as img:
        turned = ImageOps.exif_transpose(img)
        out = io.BytesIO()
        turned.save(out, format="JPEG", quality=95)
        return out.getvalue()
