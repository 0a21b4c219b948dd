"""Local re-registration: move the straightened page onto the spec where the four-marker homography cannot.

A phone lens bends straight lines (barrel distortion) and a folded or crumpled sheet shifts its print by
up to a box width, so after the homography a spec box can sit half or wholly beside its printed frame.
The blank print itself is the reference: each number's group of three boxes (with a wide margin of table
lines and label text, which a one-box shift cannot match) is found by normalised correlation on a coarse
copy, then each box is refined on its own frame at full resolution. The measured shifts are spread over
the page (inverse-distance weights: each point follows its nearest frames) and the page is remapped once,
so the cells, the OMR bubbles and the tally cells downstream all read from the spec's coordinates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from ocr.forms.spec import PageSpec, Rect
from ocr.locate import Gray

COARSE = 8  # the group search runs on the page reduced 8× (0.6 px/mm at 5 px/mm: lines and text blobs)
FINE = 2  # each box is refined on the page reduced 2× (2.5 px/mm; the peak is fitted to sub-pixel)
GROUP_MARGIN_MM = 7.0  # print around a group that goes into its template (lines, label text)
SEARCH_MM = 12.0  # how far a group may sit from where its neighbours predict (folds: ~a box width)
FINE_MARGIN_MM = 1.5  # around one box: its frame and a bit of the table
FINE_SEARCH_MM = 2.4  # the box's own refinement around its group's shift (the coarse step is 1.6 mm)
NEIGHBOURS = 4  # a group's shift is checked against this many nearest groups
BOX_SPREAD_MM = 0.5  # the boxes of one group move together (lens bend over 33 mm is smaller)
ODD_MM = 6.0  # … and dropped when it differs from their median by more (a match one table row off)
MIN_SCORE = 0.45  # normalised correlation a match needs to count (handwriting lowers it a little)
GRID_MM = 6.0  # the displacement field is interpolated on this grid, then resized (it is smooth)
Field = NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Anchor:
    group: Rect  # the region searched coarsely
    boxes: tuple[Rect, ...]  # each refined on its own (empty: the group's shift is the anchor)


@dataclass(frozen=True, slots=True)
class Registration:
    """Measured shifts (page px, where the print is relative to the spec) at points of the page."""

    points: NDArray[np.float64]  # N×2 page px
    shifts: NDArray[np.float64]  # N×2 page px

    def field(self, shape: tuple[int, int], px_per_mm: float) -> tuple[Field, Field]:
        """Dense dx, dy (page px) over a page of `shape`, by inverse-distance weighting."""
        h, w = shape
        step = GRID_MM * px_per_mm
        gx, gy = np.meshgrid(np.arange(0, w + step, step), np.arange(0, h + step, step))
        d2 = (gx[..., None] - self.points[:, 0]) ** 2 + (gy[..., None] - self.points[:, 1]) ** 2
        wts = 1.0 / (d2 + (0.5 * px_per_mm) ** 2) ** 2  # power 4: a box follows its own frame
        wts /= wts.sum(axis=-1, keepdims=True)
        dx = (wts * self.shifts[:, 0]).sum(axis=-1).astype(np.float32)
        dy = (wts * self.shifts[:, 1]).sum(axis=-1).astype(np.float32)
        size = (round(gx.shape[1] * step), round(gx.shape[0] * step))
        dx = cv2.resize(dx, size, interpolation=cv2.INTER_LINEAR)[:h, :w]
        dy = cv2.resize(dy, size, interpolation=cv2.INTER_LINEAR)[:h, :w]
        return dx, dy

    def shift_at(self, pts_px: NDArray[np.float64], px_per_mm: float) -> NDArray[np.float64]:
        """The interpolated shift at page points (N×2 px)."""
        return _idw(self.points, self.shifts, pts_px, px_per_mm)


def look_alike_pitch(spec: PageSpec) -> tuple[float, float]:
    """The smallest distance (mm, across and down) between two numbers' box groups that line up: how far a
    registration may slide before it can land on a neighbour that looks the same (the next row of page 1)."""
    groups = [_union(n.boxes) for n in spec.numbers]
    across, down = math.inf, math.inf
    for i, a in enumerate(groups):
        for b in groups[i + 1 :]:
            if abs(a.y - b.y) < 1.0:
                across = min(across, abs(a.x - b.x))
            if abs(a.x - b.x) < 1.0:
                down = min(down, abs(a.y - b.y))
    return across, down


def slid_too_far(moved: Registration, spec: PageSpec, px_per_mm: float) -> bool:
    """True when some measured shift reaches half the look-alike pitch: the print may then have been matched
    one row (or column) off, and every number could be read from its neighbour's boxes — each row still adding
    up, so no check would catch it."""
    across, down = look_alike_pitch(spec)
    dx, dy = np.abs(moved.shifts).max(axis=0) / px_per_mm
    return bool(dx >= across / 2 or dy >= down / 2)


def _idw(
    points: NDArray[np.float64], values: NDArray[np.float64], at: NDArray[np.float64], px_per_mm: float
) -> NDArray[np.float64]:
    d2 = ((at[:, None, :] - points[None]) ** 2).sum(axis=-1)
    wts = 1.0 / (d2 + (0.5 * px_per_mm) ** 2) ** 2
    wts /= wts.sum(axis=-1, keepdims=True)
    return np.asarray(wts @ values, dtype=np.float64)


def _distance(p: tuple[float, float], pins: tuple[tuple[float, float], ...]) -> float:
    return min(float(np.hypot(p[0] - q[0], p[1] - q[1])) for q in pins)


def anchors_of(spec: PageSpec) -> list[Anchor]:
    out = []
    for n in spec.numbers:
        out.append(Anchor(_union(n.boxes), tuple(n.boxes)))
        if n.bubbles is not None:
            b = n.bubbles
            r = b.d / 2
            out.append(
                Anchor(
                    Rect(min(b.x) - r, min(b.y) - r, max(b.x) - min(b.x) + b.d, max(b.y) - min(b.y) + b.d), ()
                )
            )
        if n.tally is not None:
            out.append(Anchor(n.tally.rect, ()))
    return out


def _union(rects: tuple[Rect, ...] | list[Rect]) -> Rect:
    x0, y0 = min(r.x for r in rects), min(r.y for r in rects)
    x1, y1 = max(r.x + r.w for r in rects), max(r.y + r.h for r in rects)
    return Rect(x0, y0, x1 - x0, y1 - y0)


class Registrar:
    """One page spec's blank print and anchors, built once; `register` measures, `apply` remaps."""

    def __init__(self, spec: PageSpec, blank: Gray, px_per_mm: float) -> None:
        self.px = px_per_mm
        self.pins = spec.markers.centres  # page mm where the homography pinned the print (shift 0)
        self.anchors = sorted(anchors_of(spec), key=lambda a: _distance(a.group.centre, self.pins))
        # A group is searched within less than half the pitch of the numbers that look like it: the rows of
        # page 1 repeat every 16 mm, and a window reaching a whole row matches the next row as well as its
        # own (handwriting decides), sliding every number below it one row off.
        self.search_mm = min(SEARCH_MM, 0.45 * min(look_alike_pitch(spec)))
        self.blank = _prep(_reduce(blank, FINE))
        self.small = _prep(_reduce(blank, COARSE))
        self._base: tuple[Field, Field] | None = None

    def register(self, page: Gray) -> Registration | None:
        """Where each anchor's print sits on `page` relative to the spec; None when nothing matched."""
        pg, small = _prep(_reduce(page, FINE)), _prep(_reduce(page, COARSE))
        # Grown from the corner markers (where the homography is exact) inward: each group is searched
        # around the shift its already-found neighbours predict, so crumple waves that add up to a few
        # centimetres across the page stay within a small, unambiguous search window.
        cpx = self.px / COARSE
        known_pts = [np.array(m) * cpx for m in self.pins]
        known = [np.zeros(2)] * len(known_pts)
        groups = []
        for a in self.anchors:
            centre = np.array(a.group.centre) * cpx
            prior = _idw(np.array(known_pts), np.array(known), centre[None], cpx)[0]
            coarse = _match(
                small, self.small, a.group, GROUP_MARGIN_MM, self.search_mm, cpx, (prior[0], prior[1])
            )
            if coarse is not None:
                groups.append((a, np.array(coarse) * (COARSE / FINE)))
                known_pts.append(centre)
                known.append(np.array(coarse))
        pts: list[tuple[float, float]] = []
        shifts: list[tuple[float, float]] = []
        for a, g in _consistent(groups, self.px / FINE):
            found = []
            for b in a.boxes or (a.group,):
                fine = _match(pg, self.blank, b, FINE_MARGIN_MM, FINE_SEARCH_MM, self.px / FINE, (g[0], g[1]))
                if fine is not None:
                    found.append((b, np.array(fine) * FINE))
            if not found:
                continue
            # An X or a heavy stroke can pull one box's peak off its frame: its group's median wins then.
            mid = np.median([f for _, f in found], axis=0)
            for b, f in found:
                far = np.hypot(*(f - mid)) > BOX_SPREAD_MM * self.px
                pts.append(((b.x + b.w / 2) * self.px, (b.y + b.h / 2) * self.px))
                shifts.append((float(mid[0]), float(mid[1])) if far else (float(f[0]), float(f[1])))
        if not pts:
            return None
        return Registration(np.array(pts, dtype=np.float64), np.array(shifts, dtype=np.float64))

    def apply(self, page: Gray) -> tuple[Gray, Registration | None]:
        """`page` remapped so its print lies where the spec says; unchanged when nothing matched."""
        reg = self.register(page)
        if reg is None:
            return page, None
        dx, dy = reg.field(page.shape[:2], self.px)
        h, w = page.shape[:2]
        if self._base is None or self._base[0].shape != (h, w):  # the identity map, built once per size
            self._base = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        dx += self._base[0]
        dy += self._base[1]
        out = cv2.remap(page, dx, dy, cv2.INTER_LINEAR, borderValue=255)
        return np.asarray(out, dtype=np.uint8), reg


def _consistent(
    groups: list[tuple[Anchor, NDArray[np.float64]]], px: float
) -> list[tuple[Anchor, NDArray[np.float64]]]:
    """The groups whose coarse shift agrees with their nearest groups' (a fold moves whole regions; a
    lone shift far from its neighbours' is a match on a look-alike row)."""
    if len(groups) <= 2:
        return groups
    centres = np.array([a.group.centre for a, _ in groups])
    shifts = np.array([g for _, g in groups])
    d = np.hypot(*(centres[:, None, :] - centres[None]).transpose(2, 0, 1))
    keep = []
    for i, item in enumerate(groups):
        near = np.argsort(d[i])[1 : NEIGHBOURS + 1]
        if np.hypot(*(shifts[i] - np.median(shifts[near], axis=0))) <= ODD_MM * px:
            keep.append(item)
    return keep


def _reduce(img: Gray, k: int) -> Gray:
    h, w = img.shape[:2]
    return np.asarray(cv2.resize(img, (w // k, h // k), interpolation=cv2.INTER_AREA), np.uint8)


def _prep(img: Gray) -> NDArray[np.float32]:
    return np.asarray(cv2.GaussianBlur(img, (0, 0), 0.8).astype(np.float32), dtype=np.float32)


def _match(
    img: NDArray[np.float32],
    ref: NDArray[np.float32],
    r: Rect,
    margin_mm: float,
    search_mm: float,
    px: float,
    prior: tuple[float, float],
) -> tuple[float, float] | None:
    """The shift (px of `img`) of `ref`'s patch around `r` within ±search of `prior`, sub-pixel; None
    when the best correlation is weak or the patch leaves the page."""
    x0, y0 = round((r.x - margin_mm) * px), round((r.y - margin_mm) * px)
    x1, y1 = round((r.x + r.w + margin_mm) * px), round((r.y + r.h + margin_mm) * px)
    h, w = ref.shape[:2]
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    tpl = ref[y0:y1, x0:x1]
    if tpl.size == 0 or float(tpl.std()) < 1.0:
        return None
    s = round(search_mm * px)
    px0, py0 = round(prior[0]), round(prior[1])
    sx0, sy0 = x0 + px0 - s, y0 + py0 - s
    sx1, sy1 = x1 + px0 + s, y1 + py0 + s
    if sx0 < 0 or sy0 < 0 or sx1 > img.shape[1] or sy1 > img.shape[0]:
        cx0, cy0 = max(0, sx0), max(0, sy0)
        cx1, cy1 = min(img.shape[1], sx1), min(img.shape[0], sy1)
        if cx1 - cx0 < tpl.shape[1] or cy1 - cy0 < tpl.shape[0]:
            return None
        sx0, sy0, sx1, sy1 = cx0, cy0, cx1, cy1
    res = cv2.matchTemplate(img[sy0:sy1, sx0:sx1], tpl, cv2.TM_CCOEFF_NORMED)
    _, best, _, (bx, by) = cv2.minMaxLoc(res)
    if best < MIN_SCORE:
        return None
    fx, fy = _subpixel(np.asarray(res, dtype=np.float32), bx, by)
    return (sx0 + bx + fx - x0, sy0 + by + fy - y0)


def _subpixel(res: NDArray[np.float32], x: int, y: int) -> tuple[float, float]:
    """Parabola through the peak and its neighbours, per axis."""

    def vertex(a: float, b: float, c: float) -> float:
        d = a - 2 * b + c
        return 0.0 if d >= 0 else float(np.clip(0.5 * (a - c) / d, -0.5, 0.5))

    fx = vertex(res[y, x - 1], res[y, x], res[y, x + 1]) if 0 < x < res.shape[1] - 1 else 0.0
    fy = vertex(res[y - 1, x], res[y, x], res[y + 1, x]) if 0 < y < res.shape[0] - 1 else 0.0
    return fx, fy
