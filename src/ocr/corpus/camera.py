"""A phone photographing a filled C.Hasil page: `photograph(page, boxes, severity, rng) -> Photo`.

The page lies on a table (wood, cloth, tiles, plastic), maybe folded in quarters and crumpled; the officer
holds the phone at an angle, at some distance, sometimes upside down, in uneven light with a hand's shadow
and a lamp's glare; the lens defocuses and the hand shakes; the sensor adds noise; the camera and then the
app compress to JPEG; the file stores the sensor's pixels with an EXIF Orientation tag that turns them
upright. `Photo.boxes` are where the given page quads land in the UPRIGHT image (after that tag).

Speed: smooth fields live on a coarse grid; the scene is rendered at the lowest resolution the blur and the
page's own resolution allow, then stretched to the sensor; only the noise and the JPEG see every pixel.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import cv2
import numpy as np
from PIL import Image

from ocr.corpus import camera_params, lighting
from ocr.corpus.optics import F64, Fold, Geometry, Wave, motion_kernel

U8 = lighting.U8
GRID = 8  # render px between coarse grid points
GAIN_UNIT = 96.0  # light gain stored as uint8: 96 = 1.0 (up to 2.65×)
EXIF_ORIENTATION, EXIF_MAKE, EXIF_MODEL = 0x0112, 0x010F, 0x0110


class Severity(StrEnum):
    CLEAN = "clean"
    MODERATE = "moderate"
    HARSH = "harsh"
    UNUSABLE = "unusable"


@dataclass(frozen=True)
class Photo:
    jpeg: bytes
    boxes: dict[str, np.ndarray]  # key → (4, 2) float32 quad in upright photo px
    params: dict[str, object]


def photograph(page: np.ndarray, boxes: Mapping[str, np.ndarray], severity: Severity | str,
               rng: np.random.Generator) -> Photo:
    """Photographs `page` (BGR uint8) and moves `boxes` (page px quads) with it."""
    page = _bgr(page)
    params = camera_params.sample(Severity(severity).value, page.shape[:2], boxes, rng)
    return develop(page, boxes, params)


def develop(page: np.ndarray, boxes: Mapping[str, np.ndarray], p: dict[str, Any]) -> Photo:
    """The photo `p` describes (a recipe from `camera_params.sample`): same page and recipe, same bytes."""
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)  # the same bytes whatever the machine, and one core per corpus worker
    try:
        geo = geometry(p)
        img = render(_bgr(page), p, geo)
        jpeg = encode(img, p)
    finally:
        cv2.setNumThreads(threads)
    keys = list(boxes)
    out: dict[str, np.ndarray] = {}
    if keys:  # one pass over every corner: the fold/crumple inversion iterates, so batch it
        corners = np.concatenate([np.asarray(boxes[k], np.float64).reshape(4, 2) for k in keys])
        moved = geo.forward(corners).astype(np.float32).reshape(-1, 4, 2)
        out = {k: moved[i] for i, k in enumerate(keys)}
    return Photo(jpeg, out, p)


def geometry(p: dict[str, Any]) -> Geometry:
    h = camera_params._homography(p)
    folds = tuple(Fold(f["nx"], f["ny"], f["offset"], f["amplitude"], f["width"]) for f in p["folds"])
    waves = tuple(Wave(w["kx"], w["ky"], w["phase"], w["amplitude"], w["dx"], w["dy"]) for w in p["waves"])
    return Geometry(h, p["width"], p["height"], p["k1"], folds, waves)


def displayed_from_stored(p: dict[str, Any], xs: F64, ys: F64) -> tuple[F64, F64]:
    """Where a stored pixel shows once the EXIF orientation is applied (the upright image)."""
    w, h = p["width"], p["height"]
    tag = p["exif_orientation"]
    if tag == 3:
        return w - xs, h - ys
    if tag == 6:  # shown turned 90° clockwise
        return w - ys, xs
    if tag == 8:  # shown turned 90° counter-clockwise
        return ys, h - xs
    return xs, ys


def render(page: U8, p: dict[str, Any], geo: Geometry) -> U8:
    """The stored sensor image (BGR uint8, before JPEG)."""
    ws, hs = p["stored_width"], p["stored_height"]
    pw, ph = p["page_width"], p["page_height"]
    scale = camera_params.h_scale(geo.homography, pw, ph)  # photo px per page px
    sigma = math.hypot(p["defocus_px"], p["motion_px"] / 3)
    f = min(8.0, max(1.0, scale, sigma / 0.9))
    wr, hr = max(16, round(ws / f)), max(16, round(hs / f))
    sx, sy = ws / wr, hs / hr
    gw, gh = math.ceil(wr / GRID) + 2, math.ceil(hr / GRID) + 2  # one cell of padding each side
    wp, hp = gw * GRID, gh * GRID
    ix, iy = np.meshgrid((np.arange(gw) - 0.5) * GRID * sx, (np.arange(gh) - 0.5) * GRID * sy)
    xd, yd = displayed_from_stored(p, ix, iy)
    u, v, qx, qy = geo.backward(xd, yd)
    p["render_factor"] = round(f, 3)

    tex_rng = np.random.default_rng(p["texture_seed"])
    canvas: np.ndarray = _table(p, qx, qy, (wp, hp), tex_rng)
    on_page = (u >= 0) & (u <= pw) & (v >= 0) & (v <= ph)
    ratio = scale / f  # render px per page px
    src, kx, ky = _page_source(page, ratio)
    # Only the cells around the page are remapped (the rest stays table). Each side keeps two grid points
    # of margin, so the stretched maps match a stretch of the whole grid wherever the page can land.
    rows, cols = np.flatnonzero(on_page.any(axis=1)), np.flatnonzero(on_page.any(axis=0))
    if rows.size:
        a0, a1 = max(0, int(rows[0]) - 2), min(gh, int(rows[-1]) + 3)
        b0, b1 = max(0, int(cols[0]) - 2), min(gw, int(cols[-1]) + 3)
        size = ((b1 - b0) * GRID, (a1 - a0) * GRID)
        mx = cv2.resize((u[a0:a1, b0:b1] * kx - 0.5).astype(np.float32), size, interpolation=cv2.INTER_LINEAR)
        my = cv2.resize((v[a0:a1, b0:b1] * ky - 0.5).astype(np.float32), size, interpolation=cv2.INTER_LINEAR)
        roi = canvas[a0 * GRID:a1 * GRID, b0 * GRID:b1 * GRID]
        cv2.remap(src, mx, my, cv2.INTER_LINEAR, dst=roi, borderMode=cv2.BORDER_TRANSPARENT)
        del mx, my

    shadow = lighting.shadow_canvas(p, p["width"], p["height"])
    gain = lighting.light_gain(p, xd, yd, p["width"], p["height"], on_page, u, v, shadow)
    g8 = np.clip(np.power(gain, 1 / lighting.GAMMA) * GAIN_UNIT + 0.5, 0, 255).astype(np.uint8)
    canvas = cv2.multiply(canvas, cv2.resize(g8, (wp, hp), interpolation=cv2.INTER_LINEAR),
                          scale=1 / GAIN_UNIT)
    if p.get("glare") or p.get("haze"):
        add = np.clip(lighting.glare(p, xd, yd) + 0.5, 0, 255).astype(np.uint8)
        canvas = cv2.add(canvas, cv2.cvtColor(cv2.resize(add, (wp, hp)), cv2.COLOR_GRAY2BGR))

    # Optics: what the reduced render and the stretch do not already blur, blur here.
    rest = math.sqrt(max(0.0, p["defocus_px"] ** 2 - (0.5 * (f - 1)) ** 2)) / f
    if rest > 0.25:
        canvas = cv2.GaussianBlur(canvas, (0, 0), rest)
    if p["motion_px"] / f >= 1.0:
        canvas = cv2.filter2D(canvas, -1, motion_kernel(p["motion_px"] / f, _stored_angle(p)))
    img: np.ndarray = canvas[GRID:GRID + hr, GRID:GRID + wr]  # a view: OpenCV reads it in place
    # Sensor noise, ~2 stored px grain, is added at the render's own size and stretched with it: the full
    # frame is then touched once (the stretch). A render coarser than the grain is stretched to it first.
    grain = ((ws + 1) // 2, (hs + 1) // 2)
    if wr < grain[0]:
        img = cv2.resize(img, grain, interpolation=cv2.INTER_LINEAR)
    img = lighting.add_noise(img, p, np.random.default_rng(p["noise_seed"]), grain)
    if img.shape[:2] != (hs, ws):
        img = cv2.resize(img, (ws, hs), interpolation=cv2.INTER_LINEAR)
    return np.asarray(img, np.uint8)


def _page_source(page: U8, ratio: float) -> tuple[U8, float, float]:
    """The page as the render samples it, `ratio` render px per page px, and its (x, y) px per page px.
    Bilinear sampling sparser than 1.5 source px aliases thin printed lines, and a source coarser than
    the render blurs it: exact 2×2 halvings (box filter, OpenCV's fast path) while the source stays at
    least as fine as the render, then one mild bilinear step (≥ 0.75×) to 1.5 source px per render px."""
    src, k = page, 1.0
    while k / 2 >= ratio:
        h2, w2 = src.shape[0] // 2, src.shape[1] // 2  # even crop: pixel i covers page px [2i, 2i + 2)
        src = np.asarray(cv2.resize(src[:h2 * 2, :w2 * 2], (w2, h2), interpolation=cv2.INTER_AREA), np.uint8)
        k /= 2
    if k <= 1.5 * ratio:
        return src, k, k
    r = 1.5 * ratio / k
    h, w = src.shape[:2]
    nw, nh = max(1, round(w * r)), max(1, round(h * r))
    small = np.asarray(cv2.resize(src, (nw, nh), interpolation=cv2.INTER_LINEAR), np.uint8)
    return small, k * nw / w, k * nh / h


def _stored_angle(p: dict[str, Any]) -> float:
    """The shake's direction, given upright, in the stored pixels."""
    return float(p["motion_angle"]) + {1: 0.0, 3: 180.0, 6: 90.0, 8: -90.0}[p["exif_orientation"]]


def _table(p: dict[str, Any], qx: F64, qy: F64, size: tuple[int, int], rng: np.random.Generator) -> U8:
    """The table top seen through the same pose as the page (its own plane), at half the grid spacing."""
    wp, hp = size
    mm = max(p["page_width"], p["page_height"]) / camera_params.PAGE_LONG_MM
    bw, bh = qx.shape[1] * 2, qx.shape[0] * 2
    a = math.radians(p["table_angle"])
    rx, ry = cv2.resize(qx, (bw, bh)), cv2.resize(qy, (bw, bh))
    tx = (rx * math.cos(a) + ry * math.sin(a)) / mm
    ty = (-rx * math.sin(a) + ry * math.cos(a)) / mm
    long_mm = camera_params.PAGE_LONG_MM
    lo = np.maximum([np.min(tx), np.min(ty)], -2.0 * long_mm)
    hi = np.minimum([np.max(tx), np.max(ty)], 3.0 * long_mm)
    span = np.maximum(hi - lo, 8.0)
    texel = max(1.0, math.sqrt(float(span[0] * span[1]) / 2.5e5))
    shape = (int(span[1] / texel) + 2, int(span[0] / texel) + 2)
    tex = lighting.table_texture(p, rng, shape, texel)
    corners = np.array([[0, 0], [p["page_width"], 0], [p["page_width"], p["page_height"]],
                        [0, p["page_height"]]], np.float64) / mm
    rot = np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]])
    tex = lighting.page_shadow(tex, ((corners @ rot.T) - lo) / texel, p)
    mx, my = ((tx - lo[0]) / texel).astype(np.float32), ((ty - lo[1]) / texel).astype(np.float32)
    small = cv2.remap(tex, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    colour = np.array(p["table_color"], np.float32)  # BGR; the texture is brightness only
    small8 = np.clip(small[:, :, None] * colour + 0.5, 0, 255).astype(np.uint8)
    return np.asarray(cv2.resize(small8, (wp, hp)), np.uint8)


def encode(img: np.ndarray, p: dict[str, Any]) -> bytes:
    """The camera's JPEG, the app's recompression(s), and the EXIF Orientation that turns it upright.
    OpenCV encodes straight from BGR (4:2:0, libjpeg-turbo); the EXIF block goes in as an APP1 segment."""
    qualities = list(p["jpeg_qualities"])
    for q in qualities[:-1]:
        _, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(q)])
        img = np.asarray(cv2.imdecode(buf, cv2.IMREAD_COLOR), np.uint8)
    _, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(qualities[-1])])
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = int(p["exif_orientation"])
    exif[EXIF_MAKE] = "Tally"
    exif[EXIF_MODEL] = f"simulated {p['sensor']}"
    return with_exif(buf.tobytes(), exif.tobytes())


def with_exif(jpeg: bytes, exif: bytes) -> bytes:
    """`jpeg` with an APP1 Exif segment after its JFIF APP0 header (where cameras and Pillow put it)."""
    at = 2
    if jpeg[2:4] == b"\xff\xe0":  # skip the JFIF header
        at = 4 + int.from_bytes(jpeg[4:6], "big")
    app1 = b"\xff\xe1" + (len(exif) + 2).to_bytes(2, "big") + exif
    return jpeg[:at] + app1 + jpeg[at:]


def _bgr(page: np.ndarray) -> U8:
    a = np.asarray(page, np.uint8)
    if a.ndim == 2:
        return np.asarray(cv2.cvtColor(a, cv2.COLOR_GRAY2BGR), np.uint8)
    return np.ascontiguousarray(a[:, :, :3])
