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
from functools import lru_cache

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


@lru_cache(maxsize=16)
def _ring(d_px: float) -> NDArray[np.float32]:
    """A printed bubble ring as darkness, blurred like a photo (made once per size: read-only)."""
    side = int(d_px * 1.4) | 1
    t = np.zeros((side, side), np.float32)
    c = side // 2
    cv2.circle(t, (c, c), round(d_px / 2), 1.0, max(1, round(d_px * 0.08)), cv2.LINE_AA)
    out = np.asarray(cv2.GaussianBlur(t, (0, 0), d_px * 0.04), dtype=np.float32)
    out.flags.writeable = False
    return out


def _paper(img: Gray) -> float:
    """The 90th percentile grey (most of the crop is paper), off a histogram: a sort costs ten times more."""
    cum = np.cumsum(np.bincount(img.ravel(), minlength=256))
    return float(np.searchsorted(cum, 0.9 * cum[-1])) if cum[-1] else 255.0


def _dark(img: Gray, paper: float) -> NDArray[np.float32]:
    dark = (np.float32(paper) - img.astype(np.float32)) * np.float32(1.0 / max(paper, 1.0))
    return np.clip(dark, 0.0, 1.0, out=dark)


def _response(dark: NDArray[np.float32], tmpl: NDArray[np.float32]) -> NDArray[np.float32] | None:
    if dark.shape[0] <= tmpl.shape[0] or dark.shape[1] <= tmpl.shape[1]:
        return None
    return np.asarray(cv2.matchTemplate(dark, tmpl, cv2.TM_CCOEFF_NORMED), dtype=np.float32)


def centres(page: Gray, bubbles: Bubbles, px_per_mm: float) -> NDArray[np.float64] | None:
    """Page-pixel centres (columns × 10 × xy) of the rings as printed on this photo; None if not found.

    The rings are looked for on the crop halved (a sixteenth of the template work of full size: a ring is
    still 12 px across and 1 px thick); each ring's peak is placed to a fraction of a pixel, and the
    affine fit through thirty rings lands well within a pixel of full size.
    """
    ex = np.array([[(x, y) for y in bubbles.y] for x in bubbles.x], np.float64) * px_per_mm
    m = (MARGIN_MM + bubbles.d) * px_per_mm
    h, w = page.shape
    ox, oy = max(0, int(ex[..., 0].min() - m)), max(0, int(ex[..., 1].min() - m))
    crop = page[oy : min(h, int(ex[..., 1].max() + m) + 1), ox : min(w, int(ex[..., 0].max() + m) + 1)]
    small: Gray = np.asarray(
        cv2.resize(crop, (crop.shape[1] // 2, crop.shape[0] // 2), interpolation=cv2.INTER_AREA), np.uint8
    )
    scale = px_per_mm / 2  # of the halved crop
    tmpl = _ring(bubbles.d * scale)
    half = tmpl.shape[0] // 2
    resp = _response(_dark(small, _paper(small)), tmpl)  # local paper: shade and vignette vary
    if resp is None:
        return None
    # page px → response px: a halved pixel j covers page pixels 2j, 2j+1 (centre 2j + 0.5)
    origin = np.array([ox + 0.5 + 2 * half, oy + 0.5 + 2 * half])
    pts = ((ex - origin) / 2).reshape(-1, 2)
    k, shift = _block_shift(resp, pts, round(MARGIN_MM * scale), len(bubbles.y), STRETCH)
    mid = pts.mean(axis=0)
    pts = mid + (pts - mid) * (1.0, k) + shift
    _, found = _peaks(resp, pts, round(REFINE_MM * scale), subpixel=True)
    src = np.c_[ex.reshape(-1, 2) / px_per_mm, np.ones(len(pts))]
    use = np.ones(len(pts), bool)
    for _ in range(3):  # affine spec → photo through the rings that agree with it
        if use.sum() < len(pts) - MAX_MISSING:
            return None
        coef, *_ = np.linalg.lstsq(src[use], found[use], rcond=None)
        err = np.hypot(*(src @ coef - found).T)
        use = err < FIT_TOL_MM * scale
    if use.sum() < len(pts) - MAX_MISSING:
        return None
    ring, _ = _peaks(resp, src @ coef, 1)
    # A fit slid by a whole row still finds nine rows of rings: then the row beyond row 0 or row 9 holds
    # one too. Above row 0 and below row 9 the form has none.
    step = (bubbles.y[-1] - bubbles.y[0]) / (len(bubbles.y) - 1)
    outer = np.array([(x, bubbles.y[-1] + step, 1.0) for x in bubbles.x])  # above row 0: the digit box
    edge, _ = _peaks(resp, outer @ coef, 2)
    # the best ring of each row (a blackened bubble is no ring): a row without one is not a row of bubbles
    weakest_row = float(ring.reshape(len(bubbles.x), -1).max(axis=0).min())
    median = float(np.median(ring))
    if (
        float(np.percentile(ring, 10)) < MIN_RING
        or float(edge.max()) > EDGE_RING * median
        or weakest_row < ROW_RING * median
    ):
        return None
    return np.asarray((src @ coef * 2 + origin).reshape(ex.shape), dtype=np.float64)


def _block_shift(
    resp: NDArray[np.float32], pts: NDArray[np.float64], s: int, rows: int, stretch: tuple[float, ...]
) -> tuple[float, tuple[int, int]]:
    """The vertical stretch (about the centre) and shift within `s` px of `pts` (a grid: columns × `rows`)
    where the response sums highest.

    The grid is separable: the rows' response is summed once per vertical shift (one slice per row), and
    each column then reads its x off that sum for every horizontal shift: no per-point gather."""
    mid = pts.mean(axis=0)
    h, w = resp.shape
    shifts = np.arange(-s, s + 1)
    best, how = -np.inf, (1.0, (0, 0))
    xx = np.clip(np.rint(pts[::rows, 0])[:, None] + shifts[None, :], 0, w - 1).astype(int)  # x per column
    for k in stretch:
        ys = np.rint(mid[1] + (pts[:rows, 1] - mid[1]) * k)  # y per row, the same in every column
        yy = np.clip(ys[:, None] + shifts[None, :], 0, h - 1).astype(int)
        score = resp[yy].sum(axis=0)[:, xx].sum(axis=1)  # (dy, dx)
        i = int(score.argmax())
        if score.flat[i] > best:
            dy, dx = np.unravel_index(i, score.shape)
            best, how = float(score.flat[i]), (k, (int(shifts[dx]), int(shifts[dy])))
    return how


def _peaks(
    resp: NDArray[np.float32], pts: NDArray[np.float64], r: int, subpixel: bool = False
) -> tuple[NDArray[np.float32], NDArray[np.float64]]:
    """For each point, the highest response within `r` px (a square) and where it is (to a fraction of a
    pixel with `subpixel`: the parabola through the peak and its neighbours, each axis)."""
    h, w = resp.shape
    n = len(pts)
    c = np.rint(pts).astype(int)
    off = np.arange(-r, r + 1)
    ys, xs = c[:, 1, None] + off, c[:, 0, None] + off  # (n, 2r+1)
    inside = ((ys >= 0) & (ys < h))[:, :, None] & ((xs >= 0) & (xs < w))[:, None, :]
    win = resp[np.clip(ys, 0, h - 1)[:, :, None], np.clip(xs, 0, w - 1)[:, None, :]]
    win = np.where(inside, win, -np.inf).reshape(n, -1)
    i = win.argmax(axis=1)
    best = win[np.arange(n), i]
    py, px = ys[np.arange(n), i // (2 * r + 1)], xs[np.arange(n), i % (2 * r + 1)]
    at = np.c_[px, py].astype(np.float64)
    ok = np.isfinite(best)
    if subpixel:
        for axis, (dy, dx) in enumerate(((0, 1), (1, 0))):
            lo = resp[np.clip(py - dy, 0, h - 1), np.clip(px - dx, 0, w - 1)].astype(np.float64)
            hi = resp[np.clip(py + dy, 0, h - 1), np.clip(px + dx, 0, w - 1)].astype(np.float64)
            curve = lo + hi - 2 * best
            bent = ok & (curve < 0)
            at[:, axis] += np.where(bent, 0.5 * (lo - hi) / np.where(bent, curve, -1.0), 0.0)
    return np.where(ok, best, 0.0).astype(np.float32), np.where(ok[:, None], at, pts)


def fill_ratios(
    page: Gray,
    bubbles: Bubbles,
    column: int,
    px_per_mm: float,
    paper: float,
    at: NDArray[np.float64] | None = None,
) -> list[float]:
    """Mean darkness inside the ring of each bubble of `column` (at the spec's centres unless `at`)."""
    if at is None:
        at = np.array([[bubbles.centre(c, d) for d in range(10)] for c in range(len(bubbles.x))]) * px_per_mm
    return [float(v) for v in _fills(page, at[column], round(bubbles.d * 0.32 * px_per_mm), paper)]


def _fills(page: Gray, at: NDArray[np.float64], r: int, paper: float) -> NDArray[np.float32]:
    """Mean darkness within radius `r` (inside the ring) of each centre; 0 for one off the page."""
    r = max(1, r)
    mask = np.zeros((2 * r + 1, 2 * r + 1), np.uint8)
    cv2.circle(mask, (r, r), r, 1, -1)
    sel = mask.reshape(-1) > 0
    c = np.rint(at.reshape(-1, 2)).astype(int)
    h, w = page.shape
    ok = (c[:, 0] >= r) & (c[:, 0] < w - r) & (c[:, 1] >= r) & (c[:, 1] < h - r)
    off = np.arange(-r, r + 1)
    ys = np.clip(c[:, 1, None] + off, 0, h - 1)
    xs = np.clip(c[:, 0, None] + off, 0, w - 1)
    patch = page[ys[:, :, None], xs[:, None, :]].reshape(len(c), -1)[:, sel].astype(np.float32)
    dark = np.clip((paper - patch) / max(paper, 1.0), 0.0, 1.0).mean(axis=1)
    return np.where(ok, dark, 0.0).astype(np.float32).reshape(at.shape[:-1])


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
    fills = _fills(page, at, round(bubbles.d * 0.32 * px_per_mm), paper)  # every bubble at once
    for col in range(last + 1):
        c = read_column([float(v) for v in fills[col]])
        # Only a leading column may be left empty (before the first non-zero digit); the units always has
        # one. An empty column elsewhere is a bubble missed, or a fit slid by a row: not a number.
        if not c.legible or (c.digit is None and (value > 0 or col == last)):
            return None
        filled |= c.digit is not None
        value = value * 10 + (c.digit or 0)
    return value if filled else None
