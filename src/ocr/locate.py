"""Locate and straighten a C.Hasil page in a phone photo.

The AprilTag (family 36h10, top-right) names the page and gives a first homography from page millimetres to
the photo, whatever the rotation (upside down included). That homography predicts where the four corner
markers (two black squares touching at one corner) are; each is found in a small window and refined to
sub-pixel at the point where its squares touch. The markers then give the final perspective transform to
the spec's page at a fixed resolution. Detection runs on a reduced copy; only the warp touches full size.

The tag's printed rotation is not assumed: each of its four corner orders is tried and the one whose
predicted markers are found wins (a wrong order puts the page off the sheet).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from numpy.typing import NDArray

Gray = NDArray[np.uint8]
Points = NDArray[np.float64]

DETECT_LONG_SIDE = 1600  # px of the reduced copy the tag and markers are searched in first
MARKER_OPTIONS = 6  # candidates kept per marker, nearest its prediction first
TAG_FIT = 0.35  # of the tag's side: how far four markers' transform may put the tag from where it was seen
HYPOTHESES = 6  # marker sets compared with the blank print
_DICT = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_APRILTAG_36h10)


@dataclass(frozen=True, slots=True)
class PageFrame:
    """What locating needs of a page spec, in page millimetres (origin top-left, y down)."""

    page: int
    tag_id: int
    size_mm: tuple[float, float]
    markers_mm: tuple[tuple[float, float], ...]  # the 4 marker centres: tl, tr, br, bl
    marker_size_mm: float  # side of the whole two-square marker
    tag_mm: tuple[tuple[float, float], ...]  # tag corners tl, tr, br, bl (outer black border)


@dataclass(frozen=True, slots=True)
class Located:
    frame: PageFrame
    page_to_photo: NDArray[np.float64]  # 3×3, page mm → photo px
    markers_found: int  # of 4; fewer means the tag homography filled in
    orientation: int  # clockwise degrees the photo must turn to stand upright (0/90/180/270)
    in_frame: bool  # all four page corners inside the photo

    def straighten(self, photo: Gray, px_per_mm: float) -> Gray:
        """The page warped upright at `px_per_mm`."""
        scale = np.diag([px_per_mm, px_per_mm, 1.0])
        photo_to_out = scale @ np.linalg.inv(self.page_to_photo)
        w, h = self.frame.size_mm
        size = (round(w * px_per_mm), round(h * px_per_mm))
        return np.asarray(
            cv2.warpPerspective(photo, photo_to_out, size, flags=cv2.INTER_AREA, borderValue=255),
            dtype=np.uint8,
        )

    def rescaled(self, factor: float) -> Located:
        """The same page in a copy of the photo scaled by `factor` (a JPEG decoded at 1/2 → ×2)."""
        h = np.diag([factor, factor, 1.0]) @ self.page_to_photo
        return Located(self.frame, h, self.markers_found, self.orientation, self.in_frame)

    def to_photo(self, pts_mm: Points) -> Points:
        return project(self.page_to_photo, pts_mm)


def project(h: NDArray[np.float64], pts: Points) -> Points:
    p = np.asarray(pts, dtype=np.float64).reshape(-1, 1, 2)
    return np.asarray(cv2.perspectiveTransform(p, h), dtype=np.float64).reshape(-1, 2)


@lru_cache(maxsize=8)
def _detector(ids: tuple[int, ...] | None) -> cv2.aruco.ArucoDetector:
    """A detector for the whole 36h10 family, or for just `ids`: a printed page is full of square cells and
    boxes, each a candidate quad whose bits are matched against every code of the dictionary, so naming
    our few tags instead of all 2,320 makes detection ~8× faster (page 1: 350 → 45 ms median) with the
    same tags found."""
    params = cv2.aruco.DetectorParameters()
    params.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_SUBPIX
    if ids is None:
        return cv2.aruco.ArucoDetector(_DICT, params)
    sub = cv2.aruco.Dictionary(_DICT.bytesList[list(ids)], _DICT.markerSize, _DICT.maxCorrectionBits)
    return cv2.aruco.ArucoDetector(sub, params)


def detect_tags(
    photo: Gray, small: Gray | None = None, scale: float = 1.0, ids: tuple[int, ...] | None = None
) -> list[tuple[int, Points]]:
    """(tag id, 4 corners in photo px) for every 36h10 tag (of `ids`, when given): searched on `small`
    (= photo × `scale`) first, then on the full photo when the reduced copy shows none (a distant page's
    tag is small)."""
    detector = _detector(ids)
    tries = [(small, scale)] if small is not None and scale < 1.0 else []
    tries.append((photo, 1.0))
    for img, s in tries:
        corners, found, _ = detector.detectMarkers(img)
        if found is not None and len(found):
            return [
                (int(i) if ids is None else ids[int(i)], np.asarray(c, dtype=np.float64).reshape(4, 2) / s)
                for i, c in zip(found.ravel(), corners, strict=True)
            ]
    return []


def marker_candidates(small: Gray, size_px: float, turn: NDArray[np.float64]) -> Points:
    """Centres of dark blobs shaped like a corner marker (two squares touching at a corner), in `small`'s
    pixels; `turn` (2×2) maps page directions to the photo, so the shape test holds at any rotation."""
    block = max(3, int(size_px * 2.5) | 1)
    bw = cv2.adaptiveThreshold(small, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 25)
    n, labels, stats, cents = cv2.connectedComponentsWithStats(bw, connectivity=8)
    back = np.linalg.inv(turn / np.sqrt(abs(np.linalg.det(turn))))
    keep = []
    # Two squares of side s/2 fill half their s × s box (a quarter when turned 45°). The size is judged
    # against the marker's own box, not the tag's scale: a page photographed at a slant shows its near
    # corners half as large again as the tag at the far edge. (Vectorised: a page has thousands of blobs.)
    side = np.maximum(stats[:, 2], stats[:, 3]).astype(np.float64)
    fill = stats[:, 4] / (0.5 * np.maximum(side, 1.0) ** 2)
    sized = (0.6 * size_px < side) & (side < 3.0 * size_px) & (0.2 < fill) & (fill < 1.6)
    for i in np.nonzero(sized[1:])[0] + 1:
        x, y, bw_, bh, _ = (int(v) for v in stats[i])
        ys, xs = np.nonzero(labels[y : y + bh, x : x + bw_] == i)
        uv = back @ np.vstack([xs + x - cents[i][0], ys + y - cents[i][1]])
        if _two_squares(uv):
            keep.append(cents[i])
    return np.asarray(keep, dtype=np.float64).reshape(-1, 2)


def _two_squares(uv: NDArray[np.float64]) -> bool:
    """Ink in two diagonal quadrants (page axes) and hardly any in the other two: a corner marker,
    not a bubble, a ring or a letter."""
    u, v = uv
    same = float(np.mean((u < 0) == (v < 0)))
    return same > 0.7 or same < 0.3


def refine_marker(photo: Gray, centre: NDArray[np.float64], size_px: float) -> NDArray[np.float64]:
    """The touching point of the marker's two squares, sub-pixel (a saddle point, like a chessboard's)."""
    half = max(2, int(size_px * 0.25))
    h, w = photo.shape
    if not (half + 1 < centre[0] < w - half - 1 and half + 1 < centre[1] < h - half - 1):
        return centre
    pt = centre.reshape(1, 1, 2).astype(np.float32)
    crit = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 30, 0.01)
    refined = cv2.cornerSubPix(photo, pt, (half, half), (-1, -1), crit).reshape(2).astype(np.float64)
    return refined if np.hypot(*(refined - centre)) < size_px * 0.3 else centre


def _orientation(page_to_photo: NDArray[np.float64], frame: PageFrame) -> int:
    """Clockwise degrees the photo must turn so the page's top edge runs left to right."""
    w, _ = frame.size_mm
    a, b = project(page_to_photo, np.array([[0.0, 0.0], [w, 0.0]]))
    angle = np.degrees(np.arctan2(b[1] - a[1], b[0] - a[0]))  # page x-axis direction in the photo
    return int((round(-angle / 90.0) * 90) % 360)


Blanks = dict[int, Gray]  # tag id → the blank page at 1 px/mm, slightly blurred


def locate(photo: Gray, frames: dict[int, PageFrame], blanks: Blanks | None = None) -> Located | None:
    """The page in `photo` (frames keyed by tag id), or None when no known tag is found. With `blanks`, the
    markers are chosen by how well the page they straighten matches its blank print."""
    scale = min(1.0, DETECT_LONG_SIDE / max(photo.shape))
    small = photo
    if scale < 1.0:
        small = np.asarray(
            cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), np.uint8
        )
    for tag_id, corners in detect_tags(photo, small, scale, tuple(sorted(frames))):
        frame = frames.get(tag_id)
        if frame is not None:
            return locate_with_tag(photo, small, scale, frame, corners, (blanks or {}).get(tag_id))
    return None


def _affine(src: Points, dst: Points) -> NDArray[np.float64]:
    """A 3×3 affine fit: a tiny tag's own perspective is noise when extrapolated across the page."""
    a, _ = cv2.estimateAffine2D(src.astype(np.float32), dst.astype(np.float32), method=cv2.LMEDS)
    return np.vstack([np.asarray(a, dtype=np.float64), [0.0, 0.0, 1.0]])


Found = list[NDArray[np.float64] | None]  # per marker (tl, tr, br, bl): its centre in the small copy, or None


def locate_with_tag(
    photo: Gray, small: Gray, scale: float, frame: PageFrame, corners: Points, blank: Gray | None = None
) -> Located:
    tag_mm = np.asarray(frame.tag_mm, dtype=np.float64)
    markers_mm = np.asarray(frame.markers_mm, dtype=np.float64)
    w, hh = frame.size_mm
    best: tuple[float, NDArray[np.float64], list[Found]] | None = None
    cands: Points | None = None
    for shift in range(4):
        tag_px = np.roll(corners, -shift, axis=0) * scale
        a0 = _affine(tag_mm, tag_px)  # page mm → small px
        px_per_mm = float(np.sqrt(abs(np.linalg.det(a0[:2, :2]))))
        if cands is None:
            cands = marker_candidates(small, frame.marker_size_mm * px_per_mm, a0[:2, :2])
        reach = 0.5 * np.hypot(w, hh) * px_per_mm  # a slanted page moves its far corners a long way
        score, hypotheses = _pick_markers(a0, cands, markers_mm, tag_mm, tag_px, reach)
        if best is None or score > best[0]:
            best = (score, a0, hypotheses)
    assert best is not None
    _, a0, hypotheses = best
    found = hypotheses[0]
    if blank is not None and len(hypotheses) > 1:  # the page each set straightens, against the blank print
        fits = [_print_fit(small, _homography(f, markers_mm, tag_mm, a0), frame, blank) for f in hypotheses]
        found = hypotheses[int(np.argmax(fits))]
    size_px = frame.marker_size_mm * float(np.sqrt(abs(np.linalg.det(a0[:2, :2])))) / scale
    refined: Found = [
        None if f is None else refine_marker(photo, np.asarray(f, np.float64) / scale, size_px) * scale
        for f in found
    ]
    h = np.diag([1 / scale, 1 / scale, 1.0]) @ _homography(refined, markers_mm, tag_mm, a0)
    n_found = sum(f is not None for f in found)
    page_corners = project(h, np.array([[0, 0], [w, 0], [w, hh], [0, hh]], dtype=np.float64))
    ph, pw = photo.shape
    m = 0.01 * max(ph, pw)
    inside = (
        (page_corners >= -m).all()
        and (page_corners[:, 0] <= pw + m).all()
        and (page_corners[:, 1] <= ph + m).all()
    )
    return Located(frame, h, n_found, _orientation(h, frame), bool(inside) or n_found == 4)


def _homography(
    found: Found, markers_mm: Points, tag_mm: Points, a0: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Page mm → small px from the markers found; fewer than four are combined with the tag's corners."""
    idx = [i for i, f in enumerate(found) if f is not None]
    dst = np.asarray([found[i] for i in idx], dtype=np.float64).reshape(-1, 2)
    if len(idx) == 4:
        return np.asarray(
            cv2.getPerspectiveTransform(markers_mm.astype(np.float32), dst.astype(np.float32)), np.float64
        )
    if len(idx) < 2:
        return a0
    pts_mm = np.vstack([markers_mm[idx].reshape(-1, 2), tag_mm])
    pts_px = np.vstack([dst, project(a0, tag_mm)])
    hm, _ = cv2.findHomography(pts_mm, pts_px, 0)
    return a0 if hm is None else np.asarray(hm, dtype=np.float64)


def _print_fit(small: Gray, h: NDArray[np.float64], frame: PageFrame, blank: Gray) -> float:
    """Correlation of the page straightened by `h` (page mm → small px) at 1 px/mm with its blank print."""
    w, hh = frame.size_mm
    size = (round(w), round(hh))
    try:
        page = cv2.warpPerspective(small, np.linalg.inv(h), size, flags=cv2.INTER_AREA, borderValue=255)
    except np.linalg.LinAlgError:
        return -1.0
    page = cv2.GaussianBlur(page, (0, 0), 1.0).astype(np.float32)
    b = blank.astype(np.float32)
    if page.shape != b.shape:
        return -1.0
    a, b = page - page.mean(), b - b.mean()
    return float((a * b).sum() / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-6))


def _pick_markers(
    a0: NDArray[np.float64],
    cands: Points,
    markers_mm: Points,
    tag_mm: Points,
    tag_px: Points,
    reach: float,
) -> tuple[float, list[Found]]:
    """The marker sets worth trying, likeliest first, and a score for this tag orientation (higher is
    better; four markers that fit beat any partial set). The tag's affine map predicts each marker only
    roughly: a photo tilted 15° puts the far corners 10–30 mm from the prediction, where a table corner or
    a digit can sit nearer than the marker itself. So each marker keeps its few nearest candidates and every
    set of four whose perspective transform puts the tag back where it was seen is a hypothesis. The tag
    sits beside one marker, so it can't tell a far corner from a look-alike near it: the caller settles
    that against the blank print."""
    options: list[list[int]] = []
    nearest: Found = []
    score = 0.0
    for p in project(a0, markers_mm):
        d = np.hypot(*(cands - p).T) if len(cands) else np.array([])
        order = [int(i) for i in np.argsort(d)[:MARKER_OPTIONS] if d[i] < reach]
        options.append(order)
        nearest.append(cands[order[0]] if order else None)
        score += 1.0 - float(d[order[0]]) / reach if order else 0.0
    tag_side = float(np.mean(np.hypot(*(np.roll(tag_px, -1, axis=0) - tag_px).T)))
    fits: list[tuple[float, tuple[int, ...]]] = []
    if all(options):
        combos = np.array(list(itertools.product(*options)), dtype=np.intp).reshape(-1, 4)
        distinct = (np.sort(combos, axis=1)[:, 1:] != np.sort(combos, axis=1)[:, :-1]).all(axis=1)
        combos = combos[distinct]
        quads = cands[combos]  # N×4×2
        ok = _convex_same_turn(quads, markers_mm)
        combos, quads = combos[ok], quads[ok]
        if len(combos):
            err = np.abs(_project_many(_homographies(markers_mm, quads), tag_mm) - tag_px).max(axis=(1, 2))
            good = np.nonzero(err <= TAG_FIT * tag_side)[0]
            fits = [(float(err[i]), tuple(int(c) for c in combos[i])) for i in good]
    fits.sort()
    if fits:  # four markers that fit the tag: a partial set (filled in by the tiny tag) is never better
        sets: list[Found] = [[cands[i] for i in combo] for _, combo in fits[:HYPOTHESES]]
        return 4.0 + 1.0 - fits[0][0] / (TAG_FIT * tag_side), sets
    # None fit: the markers nearest their prediction, and each of them left out in turn (one may be a
    # look-alike); fewer than four fill in with the tag.
    partial = [nearest] + [[f if j != i else None for j, f in enumerate(nearest)] for i in range(4)]
    return min(score, 3.0) if all(options) else score, partial


def _turns(q: NDArray[np.float64]) -> NDArray[np.float64]:
    """Cross products of consecutive edges of quadrilaterals (…×4×2): their signs say which way each turns."""
    e = np.roll(q, -1, axis=-2) - q
    f = np.roll(e, -1, axis=-2)
    return np.asarray(e[..., 0] * f[..., 1] - e[..., 1] * f[..., 0], dtype=np.float64)


def _convex_same_turn(quads: NDArray[np.float64], src: Points) -> NDArray[np.bool_]:
    """Which of the quadrilaterals (N×4×2) are convex and turn the same way as `src` (a perspective view
    can't mirror the page)."""
    sign = np.sign(_turns(np.asarray(src, dtype=np.float64))[0])
    return np.asarray((np.sign(_turns(quads)) == sign).all(axis=1), dtype=np.bool_)


def _homographies(src: Points, dst: NDArray[np.float64]) -> NDArray[np.float64]:
    """The perspective transforms taking the 4 points `src` to each of N quadrilaterals `dst` (N×4×2), solved
    together (the DLT with h33 = 1): N×3×3."""
    n = len(dst)
    a = np.zeros((n, 8, 8))
    b = dst.reshape(n, 8)
    for k, (x, y) in enumerate(np.asarray(src, dtype=np.float64)):
        u, v = dst[:, k, 0], dst[:, k, 1]
        a[:, 2 * k, 0:3] = (x, y, 1.0)
        a[:, 2 * k, 6] = -u * x
        a[:, 2 * k, 7] = -u * y
        a[:, 2 * k + 1, 3:6] = (x, y, 1.0)
        a[:, 2 * k + 1, 6] = -v * x
        a[:, 2 * k + 1, 7] = -v * y
    h = np.linalg.solve(a, b[..., None])[..., 0]
    return np.concatenate([h, np.ones((n, 1))], axis=1).reshape(n, 3, 3)


def _project_many(hs: NDArray[np.float64], pts: Points) -> NDArray[np.float64]:
    """`pts` (M×2) through each of N homographies: N×M×2."""
    p = np.hstack([np.asarray(pts, dtype=np.float64), np.ones((len(pts), 1))])
    q = np.einsum("nij,mj->nmi", hs, p)
    return np.asarray(q[..., :2] / q[..., 2:], dtype=np.float64)


def _largest_quad(cands: Points) -> Points | None:
    """The four candidates spanning the largest convex quadrilateral, ordered around it (tl first)."""
    if len(cands) < 4:
        return None
    hull = cv2.convexHull(cands.astype(np.float32)).reshape(-1, 2).astype(np.float64)
    if len(hull) < 4:
        return None
    approx = cv2.approxPolyDP(
        hull.astype(np.float32), 0.02 * cv2.arcLength(hull.astype(np.float32), True), True
    )
    quad = approx.reshape(-1, 2).astype(np.float64)
    if len(quad) != 4:
        return None
    start = int(np.argmin(quad.sum(axis=1)))  # nearest the photo's top-left
    quad = np.roll(quad, -start, axis=0)
    (ax, ay), (bx, by) = quad[1] - quad[0], quad[3] - quad[0]
    if ax * by - ay * bx < 0:  # clockwise in image coordinates
        quad = quad[[0, 3, 2, 1]]
    return quad


def locate_by_markers(photo: Gray, templates: dict[int, tuple[PageFrame, Gray]]) -> Located | None:
    """Fallback when no tag is legible (glare on it, a smudge): the four corner markers alone give the
    page up to a quarter turn; each turn and each known page is straightened at 1 px/mm and compared with
    that page's blank print, and the clearly best match wins.

    `templates`: tag id → (frame, the blank page at 1 px/mm, slightly blurred)."""
    scale = min(1.0, DETECT_LONG_SIDE / max(photo.shape))
    small = np.asarray(cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), np.uint8)
    any_frame = next(iter(templates.values()))[0]
    size_guess = any_frame.marker_size_mm * max(small.shape) / max(any_frame.size_mm) * 0.7
    cands = marker_candidates(small, size_guess, np.eye(2))
    quad = _largest_quad(cands)
    if quad is None:
        return None
    scores: list[tuple[float, int, int, NDArray[np.float64]]] = []
    for tag_id, (frame, blank) in templates.items():
        mm = np.asarray(frame.markers_mm, dtype=np.float64)
        for turn in range(4):
            dst = np.roll(quad, -turn, axis=0).astype(np.float32)
            h: NDArray[np.float64] = np.asarray(
                cv2.getPerspectiveTransform(mm.astype(np.float32), dst), dtype=np.float64
            )
            full = np.diag([1 / scale, 1 / scale, 1.0]) @ h
            cand = cv2.GaussianBlur(Located(frame, h, 4, 0, True).straighten(small, 1.0), (0, 0), 1.0)
            a = cand.astype(np.float32) - cand.mean()
            b = blank.astype(np.float32) - blank.mean()
            corr = float((a * b).sum() / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-6))
            scores.append((corr, tag_id, turn, full))
    scores.sort(key=lambda s: -s[0])
    best, second = scores[0], scores[1] if len(scores) > 1 else (0.0, 0, 0, None)
    if best[0] < 0.35 or best[0] - second[0] < 0.08:  # not clearly one page in one orientation
        return None
    frame = templates[best[1]][0]
    return Located(frame, best[3], 4, _orientation(best[3], frame), True)
