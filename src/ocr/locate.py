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

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

Gray = NDArray[np.uint8]
Points = NDArray[np.float64]

DETECT_LONG_SIDE = 1600  # px of the reduced copy the tag and markers are searched in first
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


def detect_tags(photo: Gray, small: Gray | None = None, scale: float = 1.0) -> list[tuple[int, Points]]:
    """(tag id, 4 corners in photo px) for every 36h10 tag: searched on `small` (= photo × `scale`) first,
    then on the full photo when the reduced copy shows none (a distant page's tag is small)."""
    params = cv2.aruco.DetectorParameters()
    params.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_SUBPIX
    detector = cv2.aruco.ArucoDetector(_DICT, params)
    tries = [(small, scale)] if small is not None and scale < 1.0 else []
    tries.append((photo, 1.0))
    for img, s in tries:
        corners, ids, _ = detector.detectMarkers(img)
        if ids is not None and len(ids):
            return [
                (int(i), np.asarray(c, dtype=np.float64).reshape(4, 2) / s)
                for i, c in zip(ids.ravel(), corners, strict=True)
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
    for i in range(1, n):
        x, y, bw_, bh, area = (int(v) for v in stats[i])
        side = max(bw_, bh)
        # Two squares of side size/2: area size²/2, whatever the rotation.
        if not (0.6 * size_px < side < 2.0 * size_px and 0.2 < area / (0.5 * size_px**2) < 2.5):
            continue
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
    return same > 0.75 or same < 0.25


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


def locate(photo: Gray, frames: dict[int, PageFrame]) -> Located | None:
    """The page in `photo` (frames keyed by tag id), or None when no known tag is found."""
    scale = min(1.0, DETECT_LONG_SIDE / max(photo.shape))
    small = photo
    if scale < 1.0:
        small = np.asarray(
            cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), np.uint8
        )
    for tag_id, corners in detect_tags(photo, small, scale):
        frame = frames.get(tag_id)
        if frame is not None:
            return locate_with_tag(photo, small, scale, frame, corners)
    return None


def _affine(src: Points, dst: Points) -> NDArray[np.float64]:
    """A 3×3 affine fit: a tiny tag's own perspective is noise when extrapolated across the page."""
    a, _ = cv2.estimateAffine2D(src.astype(np.float32), dst.astype(np.float32), method=cv2.LMEDS)
    return np.vstack([np.asarray(a, dtype=np.float64), [0.0, 0.0, 1.0]])


def locate_with_tag(photo: Gray, small: Gray, scale: float, frame: PageFrame, corners: Points) -> Located:
    tag_mm = np.asarray(frame.tag_mm, dtype=np.float64)
    markers_mm = np.asarray(frame.markers_mm, dtype=np.float64)
    w, hh = frame.size_mm
    best: tuple[float, NDArray[np.float64], list[NDArray[np.float64] | None]] | None = None
    cands: Points | None = None
    for shift in range(4):
        a0 = _affine(tag_mm, np.roll(corners, -shift, axis=0) * scale)  # page mm → small px
        px_per_mm = float(np.sqrt(abs(np.linalg.det(a0[:2, :2]))))
        if cands is None:
            cands = marker_candidates(small, frame.marker_size_mm * px_per_mm, a0[:2, :2])
        reach = 0.3 * np.hypot(w, hh) * px_per_mm
        found: list[NDArray[np.float64] | None] = []
        score = 0.0
        for p in project(a0, markers_mm):
            d = np.hypot(*(cands - p).T) if len(cands) else np.array([])
            if len(d) and d.min() < reach:
                found.append(cands[int(d.argmin())])
                score += 1.0 - float(d.min()) / reach
            else:
                found.append(None)
        if best is None or score > best[0]:
            best = (score, a0, found)
    assert best is not None
    _, a0, found = best
    size_px = frame.marker_size_mm * float(np.sqrt(abs(np.linalg.det(a0[:2, :2])))) / scale
    idx = [i for i, f in enumerate(found) if f is not None]
    dst = [refine_marker(photo, np.asarray(found[i], np.float64) / scale, size_px) for i in idx]
    h: NDArray[np.float64]
    if len(idx) == 4:
        h = cv2.getPerspectiveTransform(markers_mm.astype(np.float32), np.asarray(dst, np.float32)).astype(
            np.float64
        )
    else:  # combine the markers found with the tag's own corners
        full = np.diag([1 / scale, 1 / scale, 1.0]) @ a0
        pts_mm = np.vstack([markers_mm[idx].reshape(-1, 2), tag_mm])
        pts_px = np.vstack([np.asarray(dst).reshape(-1, 2), project(full, tag_mm)])
        if len(idx) >= 2:
            hm, _ = cv2.findHomography(pts_mm, pts_px, 0)
            h = np.asarray(hm, dtype=np.float64)
        else:
            h = full
    page_corners = project(h, np.array([[0, 0], [w, 0], [w, hh], [0, hh]], dtype=np.float64))
    ph, pw = photo.shape
    m = 0.01 * max(ph, pw)
    inside = (
        (page_corners >= -m).all()
        and (page_corners[:, 0] <= pw + m).all()
        and (page_corners[:, 1] <= ph + m).all()
    )
    return Located(frame, h, len(idx), _orientation(h, frame), bool(inside) or len(idx) == 4)


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
