"""A stand-in digit model for the test pages of `ocr_fill` (printed DejaVu digits): normalised template
correlation turned into 11 probabilities. It lets the reader's own path be tested end to end on real
images; the trained classifier (`ocr.digits`) is measured by its own tests and by bench/ocr.py.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from support.ocr_fill import FONT

SIZE = 20


def _norm(ink: NDArray[np.float32]) -> NDArray[np.float32] | None:
    ys, xs = np.nonzero(ink > 0.3)
    if len(xs) < 5:
        return None
    crop = ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    h, w = crop.shape
    side = max(h, w)
    canvas = np.zeros((side, side), np.float32)
    canvas[(side - h) // 2 : (side - h) // 2 + h, (side - w) // 2 : (side - w) // 2 + w] = crop
    out = cv2.resize(canvas, (SIZE, SIZE), interpolation=cv2.INTER_AREA)
    out -= out.mean()
    return np.asarray(out / (np.linalg.norm(out) + 1e-6), np.float32)


class TemplateDigits:
    version = "template-test"

    def __init__(self) -> None:
        font = ImageFont.truetype(FONT, 64)
        self.templates = []
        for ch in "0123456789X":
            img = Image.new("L", (96, 96), 255)
            ImageDraw.Draw(img).text((48, 48), ch, fill=0, font=font, anchor="mm")
            t = _norm(1.0 - np.asarray(img, np.float32) / 255.0)
            assert t is not None
            self.templates.append(t.ravel())
        self.matrix = np.stack(self.templates)

    def predict(self, crops: list[NDArray[np.uint8]]) -> NDArray[np.float32]:
        out = np.zeros((len(crops), 11), np.float32)
        for i, c in enumerate(crops):
            h, w = c.shape
            inner = c[h // 7 : h - h // 7, w // 7 : w - w // 7]  # the crop comes with the box's frame lines
            n = _norm(1.0 - inner.astype(np.float32) / 255.0)
            if n is None:
                out[i, 10] = 1.0
                continue
            score = self.matrix @ n.ravel()
            p = np.exp((score - score.max()) * 40.0)
            out[i] = p / p.sum()
        return out
