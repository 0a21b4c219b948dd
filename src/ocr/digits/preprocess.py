"""From a grey digit-box crop to the model's input: ink darkness 0..1 on a fixed 32×32 grid.

1. Paper, not pixels: the local paper level (a max filter wider than any pen stroke) divides out uneven
   light and paper colour, so ink is "how much darker than the paper here".
2. The printed frame: long straight dark runs in the outer bands of the crop are the box's own lines (a cut
   is never exact); they are erased. A digit's stroke is never that long and that close to the edge.
3. Contrast: ink is scaled so the darkest stroke reaches 1 — but never amplified more than ×3.3, so an empty
   box's noise stays noise.
4. The whole crop (not the ink's bounding box) is resized: where the ink sits in the box is evidence too
   (a stray mark in a corner, a neighbour's digit at the edge).
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

SIZE = 32
WORK = 56  # longest side of the working image
INK = 0.3  # darkness above which a pixel is ink for line finding
BAND = 0.22  # outer share of the crop where frame lines are looked for
LINE = 0.55  # a frame line spans at least this share of the crop


def _darkness(g: NDArray[np.float32]) -> NDArray[np.float32]:
    h, w = g.shape
    k = max(3, (min(h, w) // 5) | 1)
    paper = cv2.dilate(g, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    paper = cv2.blur(paper, (k, k))
    return np.asarray(np.clip((paper - g) / np.maximum(paper, 8.0), 0, 1), np.float32)


def _frame_lines(dark: NDArray[np.float32]) -> NDArray[np.bool_]:
    """Pixels of straight lines running along the crop's edges."""
    h, w = dark.shape
    ink = (dark > INK).astype(np.uint8)
    lw, lh = max(3, round(LINE * w)), max(3, round(LINE * h))
    horiz = np.asarray(cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, lw), np.uint8)), np.uint8)
    vert = np.asarray(cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((lh, 1), np.uint8)), np.uint8)
    band = np.zeros((h, w), np.uint8)
    bh, bw = max(1, round(BAND * h)), max(1, round(BAND * w))
    lines = np.zeros((h, w), np.uint8)
    band[:bh], band[-bh:] = 1, 1
    lines |= horiz & band
    band[:] = 0
    band[:, :bw], band[:, -bw:] = 1, 1
    lines |= vert & band
    # the line's anti-aliased and blurred edges go with it
    grown = cv2.dilate(lines, np.ones((3, 3), np.uint8), iterations=2)
    return np.asarray(grown > 0)


def preprocess(crop: NDArray[np.generic]) -> NDArray[np.float32]:
    """A grey (or BGR) crop of one digit box → float32 SIZE×SIZE, 0 paper … 1 ink."""
    a = np.asarray(crop)
    if a.ndim == 3:
        a = cv2.cvtColor(a.astype(np.uint8), cv2.COLOR_BGR2GRAY)
    if a.shape[0] < 4 or a.shape[1] < 4:
        return np.zeros((SIZE, SIZE), np.float32)
    g = a.astype(np.float32)
    if max(g.shape) > WORK:  # work at ~2 px per pen stroke: plenty for lines and ink, ~5× cheaper
        s = WORK / max(g.shape)
        size = (max(4, round(g.shape[1] * s)), max(4, round(g.shape[0] * s)))
        g = np.asarray(cv2.resize(g, size, interpolation=cv2.INTER_AREA), np.float32)
    dark = _darkness(g)
    dark[_frame_lines(dark)] = 0
    # the darkest stroke (a 3×3 mean, so one noisy pixel does not set the scale)
    dark /= max(float(cv2.blur(dark, (3, 3)).max()), 0.3)
    out = cv2.resize(np.clip(dark, 0, 1), (SIZE, SIZE), interpolation=cv2.INTER_AREA)
    return np.asarray(out, np.float32)
