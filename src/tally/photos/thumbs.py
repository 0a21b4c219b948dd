"""Thumbnails of stored photos, made once.

The public salinan prints a thumbnail of each photo that counts, for every visitor who asks: decoding a 12-
megapixel JPEG per request let a page of photos cost seconds (issue 14 #9). A thumbnail is made the first time
it is asked for — decoded in JPEG draft mode, which scales by 1/2–1/8 inside the decoder — turned upright, and
kept beside the photo (`root/thumbs/ab/cd/<sha256>-<px>.jpg`, written to a temp file and renamed, so a reader
never sees half of one). Every later request reads the small file.
"""

from __future__ import annotations

import io
import os
import secrets

from PIL import Image, ImageOps

from tally.photos.store import PhotoStore


def thumbnail(store: PhotoStore, sha256: str, px: int = 360) -> bytes | None:
    """A grey JPEG at most `px` on its longer side, upright; None when the photo is not stored."""
    path = store.root / "thumbs" / sha256[:2] / sha256[2:4] / f"{sha256}-{px}.jpg"
    if path.exists():
        return path.read_bytes()
    if not store.exists(sha256):
        return None
    with Image.open(store.path(sha256)) as im:
        im.draft("L", (px, px))  # JPEG: decode at the smallest scale still ≥ px
        small = ImageOps.exif_transpose(im.convert("L"))  # the EXIF tag survives the draft decode
        small.thumbnail((px, px))
        out = io.BytesIO()
        small.save(out, format="JPEG", quality=70)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f"{path.name}.{secrets.token_hex(6)}.part")
    part.write_bytes(out.getvalue())
    os.replace(part, path)
    return out.getvalue()
