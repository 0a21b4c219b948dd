"""Putting handwriting on paper: glyph masks placed, slanted and stroked on an ink layer, then ballpoint ink.

The ink layer is one float32 page (0 = paper, 1 = full ink); `lay` composites it once per page in the
sheet's pen colour, so overlapping strokes darken like a real ballpoint, not like stacked stamps.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

Mask = NDArray[np.float32]
PENS = {  # BGR of the ink at full pressure
    "blue": (150, 45, 10),
    "black": (35, 30, 30),
}


@dataclass(frozen=True, slots=True)
class Stroke:
    """How one glyph is written: size (fraction of the box height), slant, offset (fraction of the box)."""

    height: float = 0.72
    slant: float = 0.0  # shear, x per unit y
    dx: float = 0.0
    dy: float = 0.0
    weight: int = 0  # -1 thinner, 0 as is, 1–2 bolder
    rotate: float = 0.0  # degrees

    @staticmethod
    def sample(rng: np.random.Generator, height: tuple[float, float] = (0.55, 0.85)) -> Stroke:
        return Stroke(
            height=float(rng.uniform(*height)),
            slant=float(rng.normal(0.12, 0.12)),
            dx=float(rng.normal(0, 0.06)),
            dy=float(rng.normal(0, 0.05)),
            weight=int(rng.choice([0, 0, 1, 1, 2])),
            rotate=float(rng.normal(0, 4)),
        )


def shape(mask: Mask, target_h: float, max_w: float, stroke: Stroke, px_per_mm: float) -> Mask:
    """The glyph at `target_h` px tall (narrowed to `max_w`), slanted, rotated and stroked."""
    h, w = mask.shape
    s = target_h / max(h, 1)
    if w * s > max_w:
        s = max_w / max(w, 1)
    nw, nh = max(2, round(w * s)), max(2, round(h * s))
    g = cv2.resize(mask, (nw, nh), interpolation=cv2.INTER_AREA)
    pad = round(max(nw, nh) * 0.4) + 2
    g = cv2.copyMakeBorder(g, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0.0)
    c = (g.shape[1] / 2, g.shape[0] / 2)
    m = cv2.getRotationMatrix2D(c, stroke.rotate, 1.0)
    m[0, 1] -= stroke.slant
    m[0, 2] += stroke.slant * c[1]
    g = cv2.warpAffine(g, m, (g.shape[1], g.shape[0]), flags=cv2.INTER_LINEAR)
    # a ballpoint line is ~0.3–0.6 mm whatever the source's stroke was
    k = max(1, round(px_per_mm * 0.12 * (1 + stroke.weight)))
    if stroke.weight > 0:
        g = cv2.dilate(g, np.ones((k, k), np.uint8))
    elif stroke.weight < 0 and min(g.shape) > 8:
        g = np.minimum(g, cv2.GaussianBlur(g, (3, 3), 0))
    out: Mask = np.clip(g, 0, 1).astype(np.float32)
    return out


def paste(ink: Mask, glyph: Mask, cx: float, cy: float) -> tuple[int, int, int, int]:
    """Adds `glyph` centred at (cx, cy) px; returns the pasted area (x0, y0, x1, y1) in page px."""
    gh, gw = glyph.shape
    x0, y0 = round(cx - gw / 2), round(cy - gh / 2)
    H, W = ink.shape
    ax0, ay0, ax1, ay1 = max(0, x0), max(0, y0), min(W, x0 + gw), min(H, y0 + gh)
    if ax0 >= ax1 or ay0 >= ay1:
        return (0, 0, 0, 0)
    sub = glyph[ay0 - y0 : ay1 - y0, ax0 - x0 : ax1 - x0]
    region = ink[ay0:ay1, ax0:ax1]
    np.maximum(region, sub, out=region)
    return (ax0, ay0, ax1, ay1)


def line(
    ink: Mask, p0: tuple[float, float], p1: tuple[float, float], width_px: float, rng: np.random.Generator
) -> None:
    """A hand-drawn straight stroke: slightly bowed, with uneven pressure."""
    n = 6
    t = np.linspace(0, 1, n)
    bow = rng.normal(0, 0.02) * np.hypot(p1[0] - p0[0], p1[1] - p0[1])
    nx, ny = -(p1[1] - p0[1]), p1[0] - p0[0]
    norm = max(1e-6, float(np.hypot(nx, ny)))
    pts = [
        (
            p0[0] + (p1[0] - p0[0]) * u + bow * np.sin(np.pi * u) * nx / norm,
            p0[1] + (p1[1] - p0[1]) * u + bow * np.sin(np.pi * u) * ny / norm,
        )
        for u in t
    ]
    arr = np.array(pts)
    pad = width_px + 2
    x0, y0 = (np.floor(arr.min(axis=0) - pad)).astype(int).clip(0)
    x1 = min(ink.shape[1], int(np.ceil(arr[:, 0].max() + pad)))
    y1 = min(ink.shape[0], int(np.ceil(arr[:, 1].max() + pad)))
    if x1 <= x0 or y1 <= y0:
        return
    layer = np.zeros((y1 - y0, x1 - x0), np.float32)  # a patch, not the page: strokes are many
    local = np.round((arr - [x0, y0]) * 4).astype(np.int32)
    cv2.polylines(
        layer, [local], False, float(rng.uniform(0.75, 1.0)), max(1, round(width_px)), cv2.LINE_AA, shift=2
    )
    region = ink[y0:y1, x0:x1]
    np.maximum(region, layer, out=region)


def fill_disc(ink: Mask, cx: float, cy: float, r: float, coverage: float, rng: np.random.Generator) -> None:
    """A pencilled-in bubble: scribble strokes covering `coverage` of the disc."""
    rr = r * float(np.sqrt(coverage))
    ox, oy = rng.normal(0, r * 0.12, 2)
    cv2.ellipse(
        ink,
        (round((cx + ox) * 4), round((cy + oy) * 4)),
        (round(rr * 4), round(rr * 0.9 * 4)),
        float(rng.uniform(0, 180)),
        0,
        360,
        float(rng.uniform(0.8, 1.0)),
        -1,
        cv2.LINE_AA,
        shift=2,
    )


def lay(page_bgr: NDArray[np.uint8], ink: Mask, pen: str, rng: np.random.Generator) -> NDArray[np.uint8]:
    """The page with the ink layer written on it in `pen` colour (pressure varies a little)."""
    colour = np.array(PENS[pen], dtype=np.float32) + rng.normal(0, 8, 3).astype(np.float32)
    pressure = np.float32(rng.uniform(0.85, 1.0))
    out = page_bgr.copy()
    band = 48  # blend only the bands and column spans that hold ink: it covers a few percent of the page
    rows = ink.reshape(-1, ink.shape[1]).max(axis=1) > 0.004
    for y0 in range(0, ink.shape[0], band):
        if not rows[y0 : y0 + band].any():
            continue
        cols = np.flatnonzero(ink[y0 : y0 + band].max(axis=0) > 0.004)
        x0, x1 = int(cols[0]), int(cols[-1]) + 1
        a = (ink[y0 : y0 + band, x0:x1] * pressure)[..., None]
        sub = page_bgr[y0 : y0 + band, x0:x1].astype(np.float32)
        out[y0 : y0 + band, x0:x1] = (sub + (colour - sub) * a).astype(np.uint8)
    return out
