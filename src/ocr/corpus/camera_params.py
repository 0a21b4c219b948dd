"""What each severity means: every camera parameter drawn from the generator, JSON-ready.

The parameters alone (with the page) determine the photo: the textures' and the noise's own random fields
come from `texture_seed` and `noise_seed`, drawn here too. Floats are rounded when drawn, and the rounded
values are the ones used, so `params` is an exact recipe.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ocr.corpus import lighting
from ocr.corpus.optics import pose_homography

SENSORS = {"12MP": (4000, 3000), "8MP": (3264, 2448), "3MP": (2048, 1536)}
SENSOR_P = {"clean": (0.5, 0.35, 0.15), "moderate": (0.35, 0.4, 0.25), "harsh": (0.3, 0.35, 0.35),
            "unusable": (0.35, 0.35, 0.3)}
MIN_BOX_PX = {"clean": 30.0, "moderate": 26.0, "harsh": 22.0, "unusable": 22.0}  # readable by a person
UNUSABLE = ("blurry", "not_in_frame", "dark", "overexposed", "too_small", "glare")
PAGE_LONG_MM = 480.0  # the plano C.Hasil: the page's long side, to size textures and creases in mm
# (lo, hi) per severity: clean, moderate, harsh (unusable draws as moderate, then breaks one thing)
RANGES: dict[str, tuple[tuple[float, float], ...]] = {
    "fill": ((0.7, 0.95), (0.55, 0.92), (0.42, 0.85)),
    "tilt": ((0.0, 6.0), (3.0, 16.0), (10.0, 30.0)),
    "offset": ((-0.5, 0.5), (-0.8, 0.8), (-0.95, 0.95)),
    "defocus": ((0.5, 1.0), (0.8, 1.6), (1.4, 2.6)),
    "motion": ((0.0, 1.0), (0.0, 3.0), (1.5, 6.0)),
    "exposure": ((0.85, 1.05), (0.55, 0.9), (0.3, 0.65)),
    "gradient": ((0.0, 0.12), (0.08, 0.3), (0.2, 0.45)),
    "vignette": ((0.05, 0.2), (0.15, 0.35), (0.25, 0.45)),
    "shadow": ((0.15, 0.3), (0.25, 0.5), (0.4, 0.65)),
    "glare": ((0.15, 0.3), (0.25, 0.5), (0.4, 0.7)),
    "electrons": ((3000.0, 8000.0), (700.0, 2000.0), (250.0, 700.0)),  # after the phone's denoiser
    "quality": ((85, 92), (72, 90), (60, 80)),
}
P = {"shadow": (0.15, 0.5, 0.85), "glare": (0.1, 0.35, 0.6), "fold": (0.3, 0.6, 0.85),
     "crumple": (0.0, 0.3, 0.7), "twice": (0.15, 0.4, 0.6)}


class Draw:
    """Rounded draws from one generator."""

    def __init__(self, rng: np.random.Generator, level: int) -> None:
        self.rng, self.level = rng, level

    def u(self, lo: float, hi: float, nd: int = 4) -> float:
        return round(float(self.rng.uniform(lo, hi)), nd)

    def r(self, name: str, nd: int = 4) -> float:
        lo, hi = RANGES[name][self.level]
        return self.u(lo, hi, nd)

    def p(self, name: str) -> bool:
        return bool(self.rng.random() < P[name][self.level])

    def pick(self, options: list[Any] | tuple[Any, ...], p: tuple[float, ...] | None = None) -> Any:
        return options[int(self.rng.choice(len(options), p=p))]


def box_heights(boxes: Mapping[str, np.ndarray], h: np.ndarray | None = None) -> np.ndarray:
    """Each quad's height (distance between its top and bottom edge midpoints), optionally after `h`."""
    if not boxes:
        return np.zeros(0)
    q = np.stack([np.asarray(b, np.float64).reshape(4, 2) for b in boxes.values()])
    if h is not None:
        pts = np.concatenate([q.reshape(-1, 2), np.ones((q.size // 2, 1))], axis=1) @ h.T
        q = (pts[:, :2] / pts[:, 2:]).reshape(-1, 4, 2)
    top, bottom = (q[:, 0] + q[:, 1]) / 2, (q[:, 2] + q[:, 3]) / 2
    return np.asarray(np.linalg.norm(bottom - top, axis=1))


def sample(severity: str, page_shape: tuple[int, int], boxes: Mapping[str, np.ndarray],
           rng: np.random.Generator) -> dict[str, Any]:
    level = {"clean": 0, "moderate": 1, "harsh": 2, "unusable": 1}[severity]
    d = Draw(rng, level)
    ph, pw = page_shape
    mm = max(pw, ph) / PAGE_LONG_MM  # page px per mm
    p: dict[str, Any] = {"severity": severity, "page_width": pw, "page_height": ph}
    reason = d.pick(UNUSABLE) if severity == "unusable" else None
    if reason:
        p["unusable_reason"] = reason

    # The phone: sensor, how it was held, what the file says.
    sensor = d.pick(list(SENSORS), SENSOR_P[severity])
    sw, sh = SENSORS[sensor]
    portrait = d.rng.random() < 0.8
    width, height = (sh, sw) if portrait else (sw, sh)
    tag = d.pick([6, 8, 1], (0.6, 0.1, 0.3)) if portrait else d.pick([1, 3], (0.75, 0.25))
    stored = (height, width) if tag in (6, 8) else (width, height)
    p.update(sensor=sensor, width=width, height=height, orientation="portrait" if portrait else "landscape",
             exif_orientation=tag, stored_width=stored[0], stored_height=stored[1])

    # The pose: how the page lies in the frame.
    roll = d.u(-1, 1) * (2.5, 6.0, 12.0)[level] * 1.0
    if level == 2 and d.rng.random() < 0.35:
        roll = d.u(-180, 180, 2)
    elif d.rng.random() < (0.03, 0.1, 0.15)[level]:
        roll += 180.0
    if not portrait and (pw < ph) and d.rng.random() < 0.7:
        roll += d.pick([90.0, -90.0])  # turned the phone sideways to fit the form: page turned back
    p.update(roll_deg=round(roll % 360 - 360 * (roll % 360 > 180), 2), tilt_deg=d.r("tilt", 2),
             tilt_dir_deg=d.u(0, 360, 1), fill=d.r("fill"), offset=[d.r("offset"), d.r("offset")],
             k1=d.u(-0.03, 0.01))
    _fit(p, boxes, reason, d)

    # The paper: folded in quarters for the trip to the PPS, crumpled in a pocket.
    p["folds"] = _folds(d, pw, ph, mm) if d.p("fold") else []
    p["waves"] = _waves(d, mm) if d.p("crumple") else []

    # The optics and the light.
    p.update(defocus_px=d.r("defocus", 3), motion_px=d.r("motion", 2), motion_angle=d.u(0, 180, 1),
             exposure=d.r("exposure"), gradient=d.r("gradient"), gradient_dir=d.u(0, 360, 1),
             vignette=d.r("vignette"), haze=0.0)
    p["tint"] = d.pick([[1.0, 1.0, 1.0], [d.u(0.7, 0.9), d.u(0.88, 0.97), 1.0], [0.95, 1.0, 0.9]],
                       ((0.7, 0.3, 0.0), (0.3, 0.5, 0.2), (0.3, 0.5, 0.2))[level])
    p["shadow"] = _shadow(d, width, height) if d.p("shadow") else None
    p["glare"] = _glare(d, p) if d.p("glare") else None
    p.update(electrons=d.r("electrons", 1), read_noise=d.u(1.0, 4.0, 2), chroma_noise=d.u(0.1, 0.35, 3))
    _table(d, p)
    q = [int(d.r("quality", 0))]
    if d.p("twice"):
        q.insert(0, int(d.u(80, 92, 0)))
    p["jpeg_qualities"] = q
    if reason:
        _break(d, p, reason)
    p["texture_seed"] = int(d.rng.integers(2**62))
    p["noise_seed"] = int(d.rng.integers(2**62))
    return p


def _fit(p: dict[str, Any], boxes: Mapping[str, np.ndarray], reason: str | None, d: Draw) -> None:
    """Moves closer until the boxes are tall enough to read (`too_small`: far enough that they are not)."""
    pw, ph = p["page_width"], p["page_height"]
    ref = float(np.median(box_heights(boxes))) if boxes else max(pw, ph) / 42.0
    p["cut"] = None
    if reason == "not_in_frame":
        p["fill"] = d.u(0.75, 0.98)
        p["cut"] = [d.pick(["left", "right", "top", "bottom"]), d.u(0.12, 0.35)]
    target = d.u(6.0, 11.0, 2) if reason == "too_small" else MIN_BOX_PX[p["severity"]]
    for _ in range(3):
        h = _homography(p)
        got = float(np.median(box_heights(boxes, h))) if boxes else ref * h_scale(h, pw, ph)
        if reason == "too_small" or got < target:
            p["fill"] = round(min(0.97, p["fill"] * target / max(got, 1e-6)), 4)
    h = _homography(p)
    got = float(np.median(box_heights(boxes, h))) if boxes else ref * h_scale(h, pw, ph)
    p["box_height_px"] = round(got, 2)


def _homography(p: dict[str, Any]) -> np.ndarray:
    return pose_homography(
        p["page_width"], p["page_height"], p["width"], p["height"], roll_deg=p["roll_deg"],
        tilt_deg=p["tilt_deg"], tilt_dir_deg=p["tilt_dir_deg"], fill=p["fill"], offset=tuple(p["offset"]),
        cut=p.get("cut"),
    )


def h_scale(h: np.ndarray, pw: float, ph: float) -> float:
    """Photo px per page px at the page centre."""
    c = np.array([pw / 2, ph / 2, 1.0])
    z = float(h[2] @ c)
    jac = (h[:2, :2] * z - np.outer(h[:2] @ c, h[2, :2])) / z**2
    return math.sqrt(abs(float(np.linalg.det(jac))))


def _folds(d: Draw, pw: int, ph: int, mm: float) -> list[dict[str, float]]:
    out = []
    axes = d.pick([["h"], ["v"], ["h", "v"]], (0.4, 0.2, 0.4))
    for ax in axes:
        a = math.radians(d.u(-2, 2) + (90.0 if ax == "h" else 0.0))
        nx, ny = math.cos(a), math.sin(a)
        centre = (nx * pw + ny * ph) / 2
        width = d.u(3, 10) * mm
        out.append({"nx": round(nx, 6), "ny": round(ny, 6),
                    "offset": round(centre * (1 + d.u(-0.04, 0.04)), 2),
                    "amplitude": round(min(0.45 * width, d.u(0.3, (1.2, 2.0, 3.0)[d.level]) * mm), 3),
                    "width": round(width, 3), "crease": d.u(0.03, 0.15), "slope_shade": d.u(-0.08, 0.08)})
    return out


def _waves(d: Draw, mm: float) -> list[dict[str, float]]:
    out = []
    for _ in range(int(d.rng.integers(2, 5))):
        lam = d.u(80, 250) * mm
        a = d.u(0, 2 * math.pi)
        b = d.u(0, 2 * math.pi)
        amp = min(d.u(0.3, (1.0, 1.5, 3.0)[d.level]) * mm, 0.1 * lam / (2 * math.pi))
        k = 2 * math.pi / lam
        out.append({"kx": round(k * math.cos(a), 8), "ky": round(k * math.sin(a), 8),
                    "phase": d.u(0, 2 * math.pi), "amplitude": round(amp, 3), "dx": round(math.cos(b), 6),
                    "dy": round(math.sin(b), 6), "shade": d.u(0.02, 0.06)})
    return out


def _shadow(d: Draw, w: int, h: int) -> dict[str, Any]:
    """A hand or phone shadow entering from one edge of the displayed frame (mostly the photographer's)."""
    edge = d.pick(["bottom", "left", "right", "top"], (0.5, 0.2, 0.2, 0.1))
    along, depth, width = d.u(0.15, 0.85), d.u(0.15, 0.45), d.u(0.2, 0.5)
    taper = d.u(0.5, 1.0)
    # in (along, inward) units of the frame, then to pixels
    local = [(along - width / 2, -0.05), (along + width / 2, -0.05),
             (along + width * taper / 2, depth), (along - width * taper / 2, depth)]
    kind = d.pick(["hand", "phone"])
    fingers = []
    if kind == "hand":
        for i in range(4):
            fx = along - width * taper / 2 + width * taper * (i + 0.5) / 4
            fingers.append((fx, depth + d.u(0.03, 0.08), width * taper / 10, d.u(0.05, 0.1)))

    def px(a: float, b: float) -> list[float]:
        x, y = {"bottom": (a, 1 - b), "top": (a, b), "left": (b, a), "right": (1 - b, a)}[edge]
        return [round(x * w, 1), round(y * h, 1)]

    vertical = edge in ("bottom", "top")
    ell = []
    for fx, fy, rx, ry in fingers:
        c = px(fx, fy)
        ax = (rx * w, ry * h) if vertical else (ry * w, rx * h)
        ell.append([c[0], c[1], round(ax[0], 1), round(ax[1], 1), 0.0])
    return {"kind": kind, "edge": edge, "polygon": [px(a, b) for a, b in local], "fingers": ell,
            "softness": d.u(0.01, 0.04), "strength": d.r("shadow")}


def _glare(d: Draw, p: dict[str, Any], radius: tuple[float, float] = (0.04, 0.12)) -> dict[str, float]:
    """A glare spot on the paper (from a ceiling lamp or the phone's flash): page-relative place, photo px;
    `radius` as a fraction of the page's long side."""
    h = _homography(p)
    u, v = d.u(0.15, 0.85) * p["page_width"], d.u(0.15, 0.85) * p["page_height"]
    pt = h @ np.array([u, v, 1.0])
    size = max(p["page_width"], p["page_height"]) * h_scale(h, p["page_width"], p["page_height"])
    rx = d.u(*radius) * size
    return {"x": round(float(pt[0] / pt[2]), 1), "y": round(float(pt[1] / pt[2]), 1), "rx": round(rx, 1),
            "ry": round(rx * d.u(0.4, 1.0), 1), "angle": d.u(0, 180, 1), "peak": d.r("glare")}


def _table(d: Draw, p: dict[str, Any]) -> None:
    kind = d.pick(lighting.TABLES, (0.45, 0.2, 0.2, 0.15))
    palette = {"wood": lighting.WOOD, "cloth": lighting.CLOTH, "tiles": lighting.TILES,
               "plastic": lighting.PLASTIC}[kind]
    base = d.pick(palette)
    p.update(table=kind, table_color=[round(c * d.u(0.88, 1.1, 3), 1) for c in base],
             table_angle=d.u(0, 180, 1), grain_mm=d.u(3, 9, 2), grain_warp_mm=d.u(3, 15, 2),
             plank_mm=d.u(90, 220, 1), check_mm=d.u(8, 30, 2), check_contrast=d.u(0.0, 0.35, 3),
             tile_mm=d.u(250, 400, 1), page_shadow=d.u(0.1, 0.35, 3), page_shadow_blur_mm=d.u(1.5, 5, 2),
             page_shadow_dx_mm=d.u(-3, 3, 2), page_shadow_dy_mm=d.u(-3, 3, 2))


def _break(d: Draw, p: dict[str, Any], reason: str) -> None:
    """Makes an `unusable` photo unusable in one named way (the others stay moderate)."""
    if reason == "blurry":
        ppm = p["box_height_px"] / 11.5  # photo px per mm, from the digit boxes (11.5 mm tall)
        if d.rng.random() < 0.5:
            p["defocus_px"] = round(d.u(1.8, 3.0) * ppm, 3)
        else:
            p["motion_px"] = round(d.u(8.0, 16.0) * ppm, 2)
            p["defocus_px"] = round(d.u(0.4, 0.8) * ppm, 3)
    elif reason == "dark":
        p.update(exposure=d.u(0.008, 0.025), electrons=d.u(40, 100, 1), glare=None)
    elif reason == "overexposed":
        p.update(exposure=d.u(3.0, 6.0), haze=d.u(0.35, 0.55), vignette=d.u(0.0, 0.1), shadow=None)
    elif reason == "glare":
        g = _glare(d, p, radius=(0.2, 0.35))
        g.update(peak=d.u(0.95, 1.2), ry=round(g["rx"] * d.u(0.6, 1.0), 1))
        p["glare"] = g
