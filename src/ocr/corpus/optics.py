"""Where the paper lands in the photo: pose, lens, folds and crumples, as one map both ways.

All coordinates are continuous "edge" coordinates (pixel i covers [i, i + 1), its centre is i + 0.5), the
convention of the boxes we are given. The image is rendered by sampling the BACKWARD map (photo → page) on a
coarse grid; boxes are moved by the FORWARD map (page → photo), which inverts each backward stage exactly (by
fixed-point iteration where the stage is non-linear), so a box follows the ink to a small fraction of a pixel.

Stages, page → photo: the paper's own deformation (fold creases, crumple waves; defined backward, table-plane
point q → page point p = q + D(q)) → the pose (a homography from the 3-D camera model) → the lens (radial
distortion about the frame centre).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]
FOV_DEG = 66.0  # horizontal field of view of a phone's main camera (26 mm equivalent)


@dataclass(frozen=True)
class Fold:
    """A crease along the line n·q = offset: content near it is pulled in (the tented paper looks shorter)."""

    nx: float
    ny: float
    offset: float  # page px
    amplitude: float  # page px; < width / 2 keeps the map monotone
    width: float  # page px


@dataclass(frozen=True)
class Wave:
    """One crumple wave: a displacement `amplitude` along `dir` varying as sin(k·q + phase)."""

    kx: float
    ky: float
    phase: float
    amplitude: float
    dx: float
    dy: float


@dataclass(frozen=True)
class Geometry:
    homography: F64  # table-plane page px → ideal photo px (displayed orientation)
    width: int  # displayed frame
    height: int
    k1: float  # radial distortion, r normalised by the half diagonal
    folds: tuple[Fold, ...] = ()
    waves: tuple[Wave, ...] = ()

    # -- the paper's deformation -------------------------------------------------------------------------
    def deform(self, qx: F64, qy: F64) -> tuple[F64, F64]:
        """Backward: table-plane point → page point (where the paper's ink there came from)."""
        px, py = qx.copy(), qy.copy()
        for f in self.folds:
            t = np.tanh((f.nx * qx + f.ny * qy - f.offset) / f.width) * f.amplitude
            px += f.nx * t
            py += f.ny * t
        for w in self.waves:
            s = np.sin(w.kx * qx + w.ky * qy + w.phase) * w.amplitude
            px += w.dx * s
            py += w.dy * s
        return px, py

    def undeform(self, px: F64, py: F64) -> tuple[F64, F64]:
        """Forward: page point → table-plane point, by fixed-point iteration (the map's slope is < 1/2)."""
        qx, qy = px.copy(), py.copy()
        if not self.folds and not self.waves:
            return qx, qy
        for _ in range(40):
            dx, dy = self.deform(qx, qy)
            qx, qy = px - (dx - qx), py - (dy - qy)
        return qx, qy

    # -- the lens ----------------------------------------------------------------------------------------
    def _r2(self, x: F64, y: F64) -> F64:
        half_diag2 = (self.width**2 + self.height**2) / 4.0
        return ((x - self.width / 2) ** 2 + (y - self.height / 2) ** 2) / half_diag2

    def distort(self, x: F64, y: F64) -> tuple[F64, F64]:
        """Forward: ideal pinhole point → where the lens puts it."""
        g = 1.0 + self.k1 * self._r2(x, y)
        return self.width / 2 + (x - self.width / 2) * g, self.height / 2 + (y - self.height / 2) * g

    def undistort(self, x: F64, y: F64) -> tuple[F64, F64]:
        xi, yi = x.copy(), y.copy()
        for _ in range(8):
            g = 1.0 + self.k1 * self._r2(xi, yi)
            xi = self.width / 2 + (x - self.width / 2) / g
            yi = self.height / 2 + (y - self.height / 2) / g
        return xi, yi

    # -- both ways -------------------------------------------------------------------------------------
    def forward(self, pts: F64) -> F64:
        """Page points (N, 2) → displayed photo points (N, 2)."""
        xy = np.asarray(pts, np.float64)
        qx, qy = self.undeform(xy[:, 0], xy[:, 1])
        x, y = _apply(self.homography, qx, qy)
        dx, dy = self.distort(x, y)
        return np.stack([dx, dy], axis=1)

    def backward(self, x: F64, y: F64) -> tuple[F64, F64, F64, F64]:
        """Displayed photo points → (page x, page y, table-plane x, table-plane y)."""
        xi, yi = self.undistort(x, y)
        qx, qy = _apply(np.asarray(np.linalg.inv(self.homography), np.float64), xi, yi)
        px, py = self.deform(qx, qy)
        return px, py, qx, qy


def _apply(h: F64, x: F64, y: F64) -> tuple[F64, F64]:
    d = h[2, 0] * x + h[2, 1] * y + h[2, 2]
    return (h[0, 0] * x + h[0, 1] * y + h[0, 2]) / d, (h[1, 0] * x + h[1, 1] * y + h[1, 2]) / d


def pose_homography(
    page_w: float, page_h: float, frame_w: int, frame_h: int, *,
    roll_deg: float, tilt_deg: float, tilt_dir_deg: float, fill: float, offset: tuple[float, float],
    cut: list[object] | None = None,
) -> F64:
    """A pinhole camera looking at the page: turned by `roll` on the table, tilted by `tilt` towards
    `tilt_dir`, at the distance where the page's bounding box spans `fill` of the frame (in its tighter
    dimension), its centre moved by `offset` × the free room on each axis (−1 … 1 stays in frame).
    `cut` = [side, fraction] pushes that fraction of the page's extent out of the frame on that side."""
    long_side = max(page_w, page_h)
    f = (frame_w / 2) / math.tan(math.radians(FOV_DEG / 2))
    dist = long_side / (fill * 2 * math.tan(math.radians(FOV_DEG / 2)))  # sets how strong perspective is
    corners = np.array([[0, 0], [page_w, 0], [page_w, page_h], [0, page_h]], np.float64)
    p3 = np.concatenate([corners - [page_w / 2, page_h / 2], np.zeros((4, 1))], axis=1)
    r = math.radians(roll_deg)
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    t, d = math.radians(tilt_deg), math.radians(tilt_dir_deg)
    axis = np.array([math.cos(d), math.sin(d), 0.0])  # tilt about an in-plane axis (Rodrigues)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    rt = np.eye(3) + math.sin(t) * k + (1 - math.cos(t)) * k @ k
    cam = (rt @ rz @ p3.T).T + [0, 0, dist]
    proj = f * cam[:, :2] / cam[:, 2:3]
    lo, hi = proj.min(0), proj.max(0)
    size = hi - lo
    scale = fill / max(size[0] / frame_w, size[1] / frame_h)
    size *= scale
    room = (np.array([frame_w, frame_h]) - size) / 2
    centre: F64 = np.array([frame_w, frame_h]) / 2 + np.asarray(offset) * room
    if cut:
        side, frac = str(cut[0]), float(str(cut[1]))
        ax, sign = {"left": (0, -1), "right": (0, 1), "top": (1, -1), "bottom": (1, 1)}[side]
        centre[ax] = float([frame_w, frame_h][ax] / 2 + sign * (room[ax] + frac * size[ax]))
    dst = (proj - (lo + hi) / 2) * scale + centre
    return np.asarray(cv2.getPerspectiveTransform(corners.astype(np.float32), dst.astype(np.float32)),
                      np.float64)


def motion_kernel(length: float, angle_deg: float) -> F32:
    """A normalised line kernel of `length` px (sub-pixel ends antialiased by drawing at 4×)."""
    size: int = int(math.ceil(length)) | 1
    big = np.zeros((size * 4, size * 4), np.float32)
    c = size * 2 - 0.5
    a = math.radians(angle_deg)
    dx, dy = math.cos(a) * length * 2, math.sin(a) * length * 2
    sh = 4
    p0 = (round((c - dx) * (1 << sh)), round((c - dy) * (1 << sh)))
    p1 = (round((c + dx) * (1 << sh)), round((c + dy) * (1 << sh)))
    cv2.line(big, p0, p1, 1.0, 4, cv2.LINE_AA, sh)
    k = np.asarray(cv2.resize(big, (size, size), interpolation=cv2.INTER_AREA), np.float32)
    return k / max(float(k.sum()), 1e-6)
