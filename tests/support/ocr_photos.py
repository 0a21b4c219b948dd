"""Test photos made from KPU's reference scans with real OpenCV warps (rotation, perspective, blur)."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

FORMS = Path(__file__).resolve().parents[3] / "shared" / "data" / "forms"
if not FORMS.exists():
    FORMS = Path("/work/shared/data/forms")


def reference(page: int) -> NDArray[np.uint8]:
    img = cv2.imread(str(FORMS / f"c-hasil-ppwp-2024-hal{page}.png"), cv2.IMREAD_GRAYSCALE)
    assert img is not None, f"reference page {page} missing"
    return np.asarray(img, dtype=np.uint8)


def photograph(
    page: NDArray[np.uint8],
    angle: float,
    *,
    tilt: float = 0.06,
    size: tuple[int, int] = (4000, 3000),
    fill: float = 0.85,
    background: int = 80,
) -> NDArray[np.uint8]:
    """`page` as a phone would see it: turned by `angle` degrees, keystoned by `tilt`, on a table."""
    h, w = page.shape
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    s = fill * min(size) / max(h, w)
    dst = (src - [w / 2, h / 2]) * s
    dst[0] += [tilt * w * s, 0]
    dst[1] -= [tilt * w * s, 0]
    th = np.radians(angle)
    rot = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    dst = np.float32(dst @ rot.T + np.array(size) / 2)
    m = cv2.getPerspectiveTransform(src, dst)
    return np.asarray(cv2.warpPerspective(page, m, size, borderValue=background), dtype=np.uint8)


def jpeg(img: NDArray[np.uint8], *, quality: int = 90, exif_orientation: int | None = None) -> bytes:
    out = io.BytesIO()
    pil = Image.fromarray(img)
    exif = Image.Exif()
    if exif_orientation is not None:
        exif[0x0112] = exif_orientation
    pil.save(out, format="JPEG", quality=quality, exif=exif)
    return out.getvalue()
