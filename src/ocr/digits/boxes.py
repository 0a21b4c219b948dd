"""Synthetic digit-box crops as the cell stage cuts them from a straightened page: one handwritten digit, an X
or nothing, inside the printed frame, photographed.

The same renderer feeds training (TRAIN handwriting) and the held-out re-scoring (TEST handwriting), so the
test measures the model on unseen writers under the same conditions, not on different conditions.
What a crop may hold besides its mark: remnants of the printed frame at any offset (the cut is never exact),
the neighbouring box's frame and digit bleeding in, a stray pen mark, dirt; then uneven light, blur, sensor
noise and JPEG.

`render_box(..., harder=True)` is for training only: each glyph is also bent by a smooth random (elastic)
displacement and its pen width changed once more, and the mark may sit further off-centre (touching the frame)
and at a wider range of sizes. MNIST's TRAIN slice has only ~800 samples per digit and the fonts are 11 hands,
so the bent glyphs stand in for writers the corpus does not have. With `harder=False` (the default, used by
every held-out score) the random draws are exactly those of the plain renderer, so TEST crops never change.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from ocr.corpus.handwriting import Glyph, Handwriting, Mask, crop_to_ink, pen_width

Rng = np.random.Generator

X_CLASS, EMPTY_CLASS = 10, 11  # the model's 12 outputs; `predict` merges them into one "X/blank" class
BOX_W, BOX_H, PITCH = 12.1, 11.5, 14.0  # mm, as on C.Hasil (spec boxes)


@dataclass(frozen=True)
class BoxSample:
    crop: NDArray[np.uint8]  # grey, ink dark on light
    label: int  # 0–9, X_CLASS, EMPTY_CLASS
    source: str
    writer: str
    sample: str


def _place(
    layer: NDArray[np.float32],
    ink: NDArray[np.float32],
    cx: float,
    cy: float,
    hpx: float,
    max_wpx: float,
    rng: np.random.Generator,
    strength: float,
) -> None:
    """`ink` scaled to `hpx` tall (at most `max_wpx` wide), slanted, rotated, centred at (cx, cy) px."""
    h, w = ink.shape
    s = min(hpx / h, max_wpx / max(w, 1))
    nw, nh = max(2, round(w * s)), max(2, round(h * s))
    g = cv2.resize(ink, (nw, nh), interpolation=cv2.INTER_AREA)
    pad = round(0.4 * max(nw, nh)) + 2
    g = cv2.copyMakeBorder(g, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0.0)
    c = (g.shape[1] / 2, g.shape[0] / 2)
    m = cv2.getRotationMatrix2D(c, float(rng.normal(0, 5)), 1.0)
    slant = float(rng.normal(0.1, 0.12))
    m[0, 1] -= slant
    m[0, 2] += slant * c[1]
    g = cv2.warpAffine(g, m, (g.shape[1], g.shape[0]), flags=cv2.INTER_LINEAR)
    x0, y0 = round(cx - g.shape[1] / 2), round(cy - g.shape[0] / 2)
    H, W = layer.shape
    ax0, ay0, ax1, ay1 = max(0, x0), max(0, y0), min(W, x0 + g.shape[1]), min(H, y0 + g.shape[0])
    if ax0 < ax1 and ay0 < ay1:
        sub = g[ay0 - y0 : ay1 - y0, ax0 - x0 : ax1 - x0] * strength
        np.maximum(layer[ay0:ay1, ax0:ax1], sub, out=layer[ay0:ay1, ax0:ax1])


def _stroke(layer: NDArray[np.float32], rng: np.random.Generator, ppm: float, length_mm: float) -> None:
    H, W = layer.shape
    p0 = rng.uniform((0, 0), (W, H))
    a = rng.uniform(0, np.pi)
    p1 = p0 + length_mm * ppm * np.array([np.cos(a), np.sin(a)])
    pts = np.round(np.array([p0, p1]) * 4).astype(np.int32)
    width = max(1, round(ppm * 0.35))
    cv2.polylines(layer, [pts], False, float(rng.uniform(0.5, 1.0)), width, cv2.LINE_AA, 2)


def _frame(layer: Mask, x: float, y: float, w: float, h: float, lw: float, level: float) -> None:
    """A printed box outline (mm already in px), drawn sub-pixel."""
    p = np.round(np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]]) * 16).astype(np.int32)
    cv2.polylines(layer, [p], True, level, max(1, round(lw)), cv2.LINE_AA, 4)


def elastic(ink: Mask, rng: Rng, amount: float) -> Mask:
    """`ink` bent by a smooth random displacement: a 4×4 grid of offsets (σ = `amount` × the glyph's size)
    interpolated over the glyph: strokes curve and proportions change as one hand differs from another."""
    h, w = ink.shape
    pad = round(0.15 * max(h, w)) + 2  # room for strokes pushed outwards
    g = cv2.copyMakeBorder(ink, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0.0)
    gh, gw = g.shape
    size = float(max(h, w))
    dx, dy = (
        cv2.resize(
            rng.normal(0, amount * size, (4, 4)).astype(np.float32), (gw, gh), interpolation=cv2.INTER_CUBIC
        )
        for _ in range(2)
    )
    yy, xx = np.mgrid[0:gh, 0:gw].astype(np.float32)
    out = cv2.remap(g, xx + dx, yy + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
    return crop_to_ink(np.asarray(out, np.float32))


def _harden(glyph: Glyph, rng: Rng) -> Glyph:
    """A training glyph bent (elastic, 80%) and drawn with another pen width (50%)."""
    ink = glyph.ink
    if rng.random() < 0.8:
        ink = elastic(ink, rng, float(rng.uniform(0.015, 0.05)))
    if rng.random() < 0.5:
        ink = crop_to_ink(pen_width(ink, rng, 3))
    return Glyph(ink, glyph.source, glyph.writer, glyph.sample)


def render_box(
    hand: Handwriting, rng: Rng, label: int, source: str | None = None, harder: bool = False
) -> BoxSample:
    """One box crop holding `label` (0–9, X_CLASS, EMPTY_CLASS) from `hand`'s writers (`harder`: training).
    `source` forces the digit's source ("mnist", "font:…", "stroke:…") or the X's kind ("mark:dash",
    "mark:lambda", … see `ocr.corpus.strokes.MARKS`)."""
    # px per mm: the reader straightens at 5 px/mm (127 dpi), the brief at 11.8 (300 dpi); cover both
    ppm = float(rng.uniform(4.5, 13.0))
    bw, bh = BOX_W + rng.normal(0, 0.3), BOX_H + rng.normal(0, 0.3)
    # The cut: from ~1.3 mm inside the frame (cells.py's inset, off by misregistration) to ~1.2 mm outside it.
    left, right, top, bottom = rng.uniform(-1.4, 1.3, 4)
    x0, y0 = -left, -top
    W, H = round((bw + left + right) * ppm), round((bh + top + bottom) * ppm)
    ink = np.zeros((H, W), np.float32)
    printed = np.zeros((H, W), np.float32)
    ox, oy = -x0 * ppm, -y0 * ppm  # the box's top-left in crop px
    if rng.random() > 0.1:  # a tally subtotal or a frame cut away cleanly has no frame at all
        lw = float(rng.uniform(0.2, 0.5)) * ppm
        level = float(rng.uniform(0.6, 1.0))
        for k in (-1, 0, 1):  # this box and its neighbours in the row
            _frame(printed, ox + k * PITCH * ppm, oy, bw * ppm, bh * ppm, lw, level)
    writer, sample, src = "", "", "none"
    glyph: Glyph | None = None
    if label < 10:
        glyph = hand.digit(rng, label, source)
        frac = float(rng.uniform(0.4, 0.9))
    elif label == X_CLASS:
        glyph = hand.cross(rng, source.removeprefix("mark:")) if source else hand.cross(rng)
        frac = float(rng.uniform(0.5, 1.05))
    if glyph is not None:
        writer, sample, src = glyph.writer, glyph.sample, glyph.source
        spread = 1.0
        if harder:
            glyph = _harden(glyph, rng)
            frac *= float(rng.uniform(0.85, 1.12))  # a little smaller or larger than the plain range
            spread = float(rng.uniform(1.0, 1.5))  # and further off-centre, up to touching the frame
        hpx = frac * bh * ppm
        cx = ox + bw * ppm * (0.5 + rng.normal(0, 0.07 * spread))
        cy = oy + bh * ppm * (0.5 + rng.normal(0, 0.06 * spread))
        _place(ink, glyph.ink, cx, cy, hpx, 0.95 * bw * ppm, rng, float(rng.uniform(0.8, 1.0)))
    for side in (-1, 1):  # the neighbour's digit, sometimes written wide towards this box
        if rng.random() < 0.3:
            g = hand.digit(rng, int(rng.integers(10)))
            cx = ox + (bw / 2 + side * (PITCH - rng.uniform(0, 3.0))) * ppm
            _place(ink, g.ink, cx, oy + bh * ppm / 2, rng.uniform(0.5, 0.9) * bh * ppm, bw * ppm, rng, 1.0)
    if rng.random() < 0.12:  # a stray mark: a short slip of the pen or a dot
        _stroke(ink, rng, ppm, float(rng.uniform(0.3, 2.0)))
    return BoxSample(photograph(ink, printed, rng), label, src, writer, sample)


def photograph(ink: Mask, printed: Mask, rng: Rng) -> NDArray[np.uint8]:
    """Ink and print on paper, then the phone: uneven light, blur, noise, JPEG."""
    H, W = ink.shape
    paper = float(rng.uniform(150, 250))
    pen = float(rng.uniform(20, 130))  # black ballpoint ~20–60, blue ~60–130 once turned grey
    print_grey = float(rng.uniform(10, 90))
    img = paper * (1 - ink) + pen * ink
    img = img * (1 - printed) + print_grey * printed
    if rng.random() < 0.1:  # dirt or a faint smudge
        centre = (int(rng.integers(W)), int(rng.integers(H)))
        cv2.circle(img, centre, int(rng.integers(1, 4)), paper * 0.7, -1)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    gx, gy = rng.normal(0, 0.15, 2)
    light = 1 + gx * (xx / W - 0.5) + gy * (yy / H - 0.5)
    img = img * light
    sigma = float(rng.uniform(0, 1.3))
    if sigma > 0.3:
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    img = img + rng.normal(0, rng.uniform(0, 8), img.shape)
    out = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < 0.7:
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(35, 95))])
        out = np.asarray(cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE), np.uint8)
    result: NDArray[np.uint8] = out
    return result


def label_plan(rng: np.random.Generator, n: int) -> NDArray[np.int64]:
    """`n` labels: each digit ~8%, X ~10%, empty ~10%."""
    p = np.r_[np.full(10, 0.08), 0.1, 0.1]
    return rng.choice(12, size=n, p=p / p.sum())
