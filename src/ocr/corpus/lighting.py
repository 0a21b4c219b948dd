"""The light on the table: the table itself, uneven light, a hand's shadow, a glare spot, sensor noise.

Everything smooth is computed on a coarse grid (a few hundred thousand points) and stretched to the frame
by `cv2.resize`; only the sensor noise is per pixel. Light is a gain in linear light, applied to the
gamma-encoded pixels as gain ** (1 / 2.2), which is exact for a power-law encoding.
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from ocr.corpus.optics import F32, F64

U8 = NDArray[np.uint8]
GAMMA = 2.2
TABLES = ("wood", "cloth", "tiles", "plastic")
WOOD = [(60, 105, 160), (40, 75, 125), (30, 50, 85), (45, 70, 140), (90, 140, 190)]  # BGR: oak … dark
CLOTH = [(40, 30, 120), (50, 100, 40), (120, 70, 30), (60, 60, 60), (150, 150, 150), (40, 120, 170)]
TILES = [(190, 195, 200), (160, 170, 180), (120, 130, 140), (170, 190, 205)]
PLASTIC = [(205, 205, 200), (140, 110, 40), (60, 140, 60), (60, 60, 170)]


def _smooth(rng: np.random.Generator, shape: tuple[int, int], cells: tuple[int, int]) -> F32:
    """Smooth noise (about unit std) of `shape`, `cells` random values stretched over it."""
    g = rng.standard_normal((max(2, cells[0]), max(2, cells[1]))).astype(np.float32)
    return np.asarray(cv2.resize(g, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC), np.float32)


def table_texture(
    p: dict[str, Any], rng: np.random.Generator, shape: tuple[int, int], texel_mm: float
) -> F32:
    """The table top's brightness in its own plane, `texel_mm` per texel, grain along x (× `table_color`).
    Patterns that vary along one axis only (planks, seams, checks, grout) are computed on that axis."""
    h, w = shape
    y = np.arange(h, dtype=np.float32)[:, None] * np.float32(texel_mm)  # mm, a column
    x = np.arange(w, dtype=np.float32)[None, :] * np.float32(texel_mm)  # mm, a row
    kind = p["table"]
    if kind == "wood":
        plank = float(p["plank_mm"])
        warp = _smooth(rng, shape, (h // 40 + 2, w // 200 + 2)) * float(p["grain_warp_mm"])
        rings = np.sin((y + warp) * np.float32(2 * np.pi / float(p["grain_mm"])))
        streak = _smooth(rng, shape, (h // 2 + 2, w // 60 + 2))
        idx = np.floor(y / plank).astype(np.int32)
        tone = rng.uniform(0.85, 1.12, int(idx.max()) + 2).astype(np.float32)[idx]
        edge = np.minimum(y % plank, plank - y % plank)  # distance to the nearest plank seam
        v = (1 + 0.10 * rings + 0.06 * streak) * (tone * (1 - 0.45 * np.exp(-(edge**2) / 2.0)))
    elif kind == "cloth":
        period = float(p["check_mm"])
        a = (np.sin(2 * np.pi * x / period) > 0).astype(np.float32)
        b = (np.sin(2 * np.pi * y / period) > 0).astype(np.float32)
        check = 1 - float(p["check_contrast"]) * (a + b) / 2
        wrinkle = _smooth(rng, shape, (h // 60 + 2, w // 60 + 2))
        v = check * (1 + 0.08 * wrinkle) * (1 + 0.04 * rng.standard_normal(shape, np.float32))
    elif kind == "tiles":
        tile = float(p["tile_mm"])
        gx, gy = np.abs(((x + tile / 2) % tile) - tile / 2), np.abs(((y + tile / 2) % tile) - tile / 2)
        grout = np.maximum(np.exp(-(gx**2) / 3.0), np.exp(-(gy**2) / 3.0))  # = exp(-min(gx, gy)² / 3)
        speck = cv2.GaussianBlur(rng.standard_normal(shape, np.float32), (0, 0), 1.5)
        v = (1 + 0.12 * speck + 0.03 * _smooth(rng, shape, (h // 80 + 2, w // 80 + 2))) * (1 - 0.35 * grout)
    else:
        v = 1 + 0.03 * _smooth(rng, shape, (h // 100 + 2, w // 100 + 2))
    return np.asarray(np.maximum(v, 0), np.float32)


def page_shadow(tex: F32, page_poly: F64, p: dict[str, Any]) -> F32:
    """The paper's own thin shadow on the table, cast away from the light (texture coordinates)."""
    mask: np.ndarray = np.zeros(tex.shape[:2], np.float32)
    shift = np.array([p["page_shadow_dx_mm"], p["page_shadow_dy_mm"]], np.float64)
    cv2.fillPoly(mask, [np.round((page_poly + shift) * 4).astype(np.int32)], 1.0, cv2.LINE_AA, 2)
    mask = cv2.GaussianBlur(mask, (0, 0), float(p["page_shadow_blur_mm"]))
    return np.asarray(tex * (1 - float(p["page_shadow"]) * mask), np.float32)


def shadow_canvas(p: dict[str, Any], width: int, height: int) -> F32:
    """The hand's or phone's shadow drawn in displayed coordinates at 1/16 scale: 0 (lit) … 1 (shadow)."""
    s = 16.0
    w, h = int(math.ceil(width / s)), int(math.ceil(height / s))
    mask = np.zeros((h, w), np.float32)
    shadow = p.get("shadow")
    if not shadow:
        return mask
    poly = np.array(shadow["polygon"], np.float64) / s
    cv2.fillPoly(mask, [np.round(poly * 16).astype(np.int32)], 1.0, cv2.LINE_AA, 4)
    for e in shadow.get("fingers", []):
        centre = (round(e[0] / s * 16), round(e[1] / s * 16))
        axes = (round(e[2] / s * 16), round(e[3] / s * 16))
        cv2.ellipse(mask, centre, axes, e[4], 0, 360, 1.0, -1, cv2.LINE_AA, 4)
    blur = max(0.5, float(shadow["softness"]) * max(w, h))
    return np.asarray(cv2.GaussianBlur(mask, (0, 0), blur), np.float32)


def light_gain(
    p: dict[str, Any], xd: F64, yd: F64, width: int, height: int, on_page: NDArray[np.bool_],
    u: F64, v: F64, shadow: F32,
) -> F32:
    """Linear-light gain per grid point and channel (BGR): exposure × tint × gradient × vignette × shadow ×
    the paper's crease and crumple shading. Float32: a gain needs no more, and it halves the work."""
    x, y, pu, pv = (np.asarray(a, np.float32) for a in (xd, yd, u, v))
    nx, ny = x / width - 0.5, y / height - 0.5
    a = math.radians(float(p["gradient_dir"]))
    g = float(p["exposure"]) * np.clip(1 + 2 * float(p["gradient"]) * (nx * math.cos(a) + ny * math.sin(a)),
                                       0.15, None)
    g *= 1 - float(p["vignette"]) * (nx**2 + ny**2) * 2
    s = 16.0
    sx = np.clip(x / s - 0.5, 0, shadow.shape[1] - 1).astype(np.float32)
    sy = np.clip(y / s - 0.5, 0, shadow.shape[0] - 1).astype(np.float32)
    sh = cv2.remap(shadow, sx, sy, cv2.INTER_LINEAR)
    if p.get("shadow"):
        g *= 1 - float(p["shadow"]["strength"]) * sh
    shade = np.ones_like(g)
    for f in p.get("folds", []):
        d = (f["nx"] * pu + f["ny"] * pv - f["offset"]) / f["width"]
        ridge = np.tanh(d) * np.exp(-np.abs(d) / 3)  # one face of the crease towards the light, one away
        shade *= 1 - f["crease"] * np.exp(-((d * 3) ** 2)) + f["slope_shade"] * ridge
    for w in p.get("waves", []):
        shade *= 1 + w["shade"] * np.cos(w["kx"] * pu + w["ky"] * pv + w["phase"])
    g = np.where(on_page, g * shade, g)
    tint = np.array(p["tint"], np.float32)
    return np.asarray(np.maximum(g[..., None] * tint, 0), np.float32)


def glare(p: dict[str, Any], xd: F64, yd: F64) -> F32:
    """Additive glare in gamma-encoded units 0…255 per grid point (a soft spot with a hot core) + haze."""
    out = np.full(xd.shape, float(p.get("haze", 0.0)) * 255, np.float64)
    spot = p.get("glare")
    if spot:
        a = math.radians(spot["angle"])
        dx, dy = xd - spot["x"], yd - spot["y"]
        r1 = (dx * math.cos(a) + dy * math.sin(a)) / spot["rx"]
        r2 = (-dx * math.sin(a) + dy * math.cos(a)) / spot["ry"]
        d2 = r1**2 + r2**2
        out += 255 * spot["peak"] * (0.55 * np.exp(-d2 / 2) + 0.45 * np.exp(-d2 / (2 * 0.25**2)))
    return out.astype(np.float32)


def srgb_noise_lut(electrons: float, read: float) -> F32:
    """Noise std (gamma-encoded DN) for each grey level: shot noise + read noise, counted in linear light."""
    v = np.arange(256, dtype=np.float64) / 255
    lin = v**GAMMA
    sigma_lin = np.sqrt(lin * electrons + read**2) / electrons
    slope = (1 / GAMMA) * np.maximum(lin, 1e-3) ** (1 / GAMMA - 1)  # d(encoded)/d(linear)
    return np.minimum(sigma_lin * slope * 255, 40.0).astype(np.float32)


def add_noise(img: U8, p: dict[str, Any], rng: np.random.Generator, grain: tuple[int, int]) -> U8:
    """Sensor noise, signal dependent, drawn on a `grain` (w, h) grid — half the stored frame: the phone's
    demosaic and denoiser make grain about 2 px wide — with weaker, blotchier chroma (a quarter of that
    grid, following the light there); stretched to `img` and added in one 8-bit pass (biased by 128 so
    the stretch stays 8-bit). The Gaussian draws are OpenCV's (3× numpy's speed), seeded from `rng`."""
    h, w = img.shape[:2]
    gw, gh = grain
    grey = cv2.resize(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), grain, interpolation=cv2.INTER_LINEAR)
    sigma = cv2.LUT(grey, srgb_noise_lut(float(p["electrons"]), float(p["read_noise"])))
    cv2.setRNGSeed(int(rng.integers(2**31)))
    luma = _gauss((gh, gw)) * sigma
    qw, qh = max(2, (gw + 3) // 4), max(2, (gh + 3) // 4)
    amp = cv2.resize(sigma, (qw, qh), interpolation=cv2.INTER_AREA) * np.float32(p["chroma_noise"])
    blue, red = (cv2.resize(_gauss((qh, qw)) * amp, grain,
                            interpolation=cv2.INTER_CUBIC) for _ in range(2))  # 1-channel: OpenCV's fast path
    biased = luma + np.float32(128.0)
    zero = np.zeros_like(biased)
    n8 = cv2.merge([cv2.add(biased, c, dtype=cv2.CV_8U) for c in (blue, zero, red)])  # rounds, saturates
    if (w, h) != grain:
        n8 = cv2.resize(n8, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.asarray(cv2.addWeighted(img, 1.0, n8, 1.0, -128.0), np.uint8)


def _gauss(shape: tuple[int, int]) -> F32:
    """Unit Gaussian draws from OpenCV's generator (seeded by the caller with `cv2.setRNGSeed`)."""
    return np.asarray(cv2.randn(np.empty(shape, np.float32), np.zeros(1), np.ones(1)), np.float32)
