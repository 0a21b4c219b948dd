"""OMR bubbles (page 2): under each digit box a column of circles 0–9; the officer blackens the one matching
the digit. Read by fill ratio, the bubbles give a second reading of every total that shares nothing with
the handwriting classifier. A column with no clear single filled bubble is "not legible", never a guess.

The straightened page can sit a few millimetres off the spec here (a fold or a wave the page-wide
registration does not follow), which is more than a bubble's radius: the printed rings themselves are found
first (one shift for the block, then each ring, then an affine fit through them), and the fills are
measured where the rings are.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from ocr.forms.spec import Bubbles
from ocr.locate import Gray

# Darkness inside the ring above the column's median (the empty bubbles: ring and printed digit). Measured
# on corpus photos at 5 px/mm (bench/evidence.py): a blackened bubble stands 0.25–0.7 above, an empty one
# within ±0.08.
FILLED = 0.2  # at least this far above the column's median: blackened
EMPTY = 0.1  # below this: not blackened; in between: doubtful, so the column is not legible
MARGIN_MM = 7.0  # how far the block may sit off the spec
REFINE_MM = 1.5  # how far one ring may sit off the block's shift
FIT_TOL_MM = 0.8  # a ring found further than this from the affine fit is not used for it
MAX_MISSING = 3  # of the block's rings, at most this many may disagree with the fit
MIN_RING = 0.15  # the weakest rings of a block (10th percentile of template correlation) are still rings
EDGE_RING = 0.5  # beyond rows 0 and 9, nothing may look this much like a ring (relative to the median)
ROW_RING = 0.5  # the weakest row's best ring correlation, relative to the median: lower, a row is missing
STRETCH = (0.92, 0.96, 1.0, 1.04, 1.08)  # vertical scales of the block tried (a page bowed or tilted)


@dataclass(frozen=True, slots=True)
class Column:
    digit: int | None  # the one filled bubble; None when none is filled
    legible: bool  # False: two filled, or a doubtful fill
    fills: tuple[float, ...]


def _ring(d_px: float) -> NDArray[np.float32]:
    """A printed bubble ring as darkness, blurred like a photo."""
    side = int(d_px * 1.4) | 1
    t = np.zeros((side, side), np.float32)
    c = side // 2
    cv2.circle(t, (c, c), round(d_px / 2), 1.0, max(1, round(d_px * 0.08)), cv2.LINE_AA)
    return np.asarray(cv2.GaussianBlur(t, (0, 0), d_px * 0.04), dtype=np.float32)


def _darkness(page: Gray, x0: int, y0: int, x1: int, y1: int) -> tuple[NDArray[np.float32], int, int]:
    h, w = page.shape
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    crop = page[y0:y1, x0:x1].astype(np.float32)
    paper = float(np.percentile(crop, 90)) if crop.size else 255.0  # local: shade and vignette vary
    return np.clip((paper - crop) / max(paper, 1.0), 0.0, 1.0), x0, y0


def centres(page: Gray, bubbles: Bubbles, px_per_mm: float) -> NDArray[np.float64] | None:
    """Page-pixel centres (columns × 10 × xy) of the rings as printed on this photo; None if not found."""
    ex = np.array([[(x, y) for y in bubbles.y] for x in bubbles.x], np.float64) * px_per_mm
    m = (MARGIN_MM + bubbles.d) * px_per_mm
    dark, ox, oy = _darkness(
        page,
        int(ex[..., 0].min() - m),
        int(ex[..., 1].min() - m),
        int(ex[..., 0].max() + m) + 1,
        int(ex[..., 1].max() + m) + 1,
    )
    tmpl = _ring(bubbles.d * px_per_mm)
    if dark.shape[0] <= tmpl.shape[0] or dark.shape[1] <= tmpl.shape[1]:
        return None
    resp = np.asarray(cv2.matchTemplate(dark, tmpl, cv2.TM_CCOEFF_NORMED), dtype=np.float32)
    half = tmpl.shape[0] // 2
    pts = (ex - (ox + half, oy + half)).reshape(-1, 2)  # in response coordinates
    pts = _block_shift(resp, pts, round(MARGIN_MM * px_per_mm))
    r = round(REFINE_MM * px_per_mm)
    found = np.array([_peak(resp, p, r)[1] for p in pts])
    src = np.c_[ex.reshape(-1, 2) / px_per_mm, np.ones(len(pts))]
    use = np.ones(len(pts), bool)
    for _ in range(3):  # affine spec → photo through the rings that agree with it
        if use.sum() < len(pts) - MAX_MISSING:
            return None
        coef, *_ = np.linalg.lstsq(src[use], found[use], rcond=None)
        err = np.hypot(*(src @ coef - found).T)
        use = err < FIT_TOL_MM * px_per_mm
    if use.sum() < len(pts) - MAX_MISSING:
        return None
    ring = np.array([_peak(resp, p, 2)[0] for p in src @ coef])
    # A fit slid by a whole row still finds nine rows of rings: then the row beyond row 0 or row 9 holds
    # one too. Above row 0 and below row 9 the form has none.
    pitch = (bubbles.y[-1] - bubbles.y[0]) / (len(bubbles.y) - 1)
    outer = [(x, bubbles.y[-1] + pitch) for x in bubbles.x]  # above row 0 sits the digit box
    edge = [_peak(resp, np.r_[x, y, 1.0] @ coef, 3)[0] for x, y in outer]
    # the best ring of each row (a blackened bubble is no ring): a row without one is not a row of bubbles
    weakest_row = float(ring.reshape(len(bubbles.x), -1).max(axis=0).min())
    median = float(np.median(ring))
    if (
        float(np.percentile(ring, 10)) < MIN_RING
        or max(edge) > EDGE_RING * median
        or weakest_row < ROW_RING * median
    ):
        return None
    return np.asarray((src @ coef + (ox + half, oy + half)).reshape(ex.shape), dtype=np.float64)


def _block_shift(resp: NDArray[np.float32], pts: NDArray[np.float64], s: int) -> NDArray[np.float64]:
    """`pts` moved (and stretched about their centre) to where the response sums highest."""
    mid = pts.mean(axis=0)
    shifts = np.arange(-s, s + 1)
    best, out = -np.inf, pts
    for sx, sy in ((1.0, k) for k in STRETCH):
        p = mid + (pts - mid) * (sx, sy)
        xs = np.clip(np.rint(p[:, 0])[None, None, :] + shifts[None, :, None], 0, resp.shape[1] - 1)
        ys = np.clip(np.rint(p[:, 1])[None, None, :] + shifts[:, None, None], 0, resp.shape[0] - 1)
        xs, ys = np.broadcast_arrays(xs.astype(int), ys.astype(int))
        score = resp[ys, xs].sum(axis=2)
        k = int(score.argmax())
        if score.flat[k] > best:
            dy, dx = np.unravel_index(k, score.shape)
            best, out = float(score.flat[k]), p + (shifts[dx], shifts[dy])
    return out


def _peak(resp: NDArray[np.float32], p: NDArray[np.float64], r: int) -> tuple[float, NDArray[np.float64]]:
    """The highest response within `r` px of `p`, and where it is."""
    x, y = (round(float(v)) for v in p)
    a, b = max(0, y - r), max(0, x - r)
    win = resp[a : y + r + 1, b : x + r + 1]
    if win.size == 0:
        return 0.0, np.asarray(p, np.float64)
    wy, wx = np.unravel_index(int(win.argmax()), win.shape)
    return float(win[wy, wx]), np.array([b + wx, a + wy], np.float64)


def fill_ratios(
    page: Gray,
    bubbles: Bubbles,
    column: int,
    px_per_mm: float,
    paper: float,
    at: NDArray[np.float64] | None = None,
) -> list[float]:
    """Mean darkness inside the ring of each bubble of `column` (at the spec's centres unless `at`)."""
    r = max(1, round(bubbles.d * 0.32 * px_per_mm))  # inside the ring
    mask = np.zeros((2 * r + 1, 2 * r + 1), np.uint8)
    cv2.circle(mask, (r, r), r, 1, -1)
    out = []
    for digit in range(10):
        if at is None:
            cx, cy = (round(v * px_per_mm) for v in bubbles.centre(column, digit))
        else:
            cx, cy = (round(float(v)) for v in at[column, digit])
        patch = page[cy - r : cy + r + 1, cx - r : cx + r + 1].astype(np.float32)
        if patch.shape != mask.shape:
            out.append(0.0)
            continue
        dark = np.clip((paper - patch) / max(paper, 1.0), 0.0, 1.0)
        out.append(float(dark[mask > 0].mean()))
    return out


def read_column(fills: list[float]) -> Column:
    f = np.asarray(fills)
    rise = f - float(np.median(f))
    order = np.argsort(rise)[::-1]
    top, second = rise[order[0]], rise[order[1]]
    if top < EMPTY:
        return Column(None, True, tuple(fills))
    if top >= FILLED and second < EMPTY:
        return Column(int(order[0]), True, tuple(fills))
    return Column(None, False, tuple(fills))


def read_total(page: Gray, bubbles: Bubbles, px_per_mm: float, paper: float) -> int | None:
    """The number the bubble columns spell (an unfilled leading column counts 0), or None if any column is
    not legible, the rings cannot be found, or none is filled at all (unfilled bubbles are no evidence, not
    a zero)."""
    at = centres(page, bubbles, px_per_mm)
    if at is None:
        return None
    value, filled = 0, False
    last = len(bubbles.x) - 1
    for col in range(last + 1):
        c = read_column(fill_ratios(page, bubbles, col, px_per_mm, paper, at))
        # Only a leading column may be left empty (before the first non-zero digit); the units always has
        # one. An empty column elsewhere is a bubble missed, or a fit slid by a row: not a number.
        if not c.legible or (c.digit is None and (value > 0 or col == last)):
            return None
        filled |= c.digit is not None
        value = value * 10 + (c.digit or 0)
    return value if filled else None
