"""A stroke model of handwritten digits: thousands of writers of our own, each with their own habits.

A digit is a few pen strokes through control points in a unit box (x 0 … 1 left to right, y 0 … 1 top to
bottom); a point marked as a corner breaks the smooth (Catmull-Rom) curve there. Each digit has several
**allographs** — the shapes real KPPS officers write: a 1 as one slanted stroke, with a flag, with a base or
curved like "("; a 4 closed or open-topped with a long crossbar; a 7 plain, with a European crossbar or a
serif; a 9 with a straight stem or like "g"; a 2 plain, with a looped bottom or angular.

A **writer** is a seed: it fixes their allograph for each digit (a sample uses another one 8% of the time),
slant, width, where the waist of 3/5/8 sits, pen width, pressure (stroke width and darkness along the line),
how round or angular the curves are, how sloppy (control points jitter per sample), tremor. A **family** is a
style of writers: which allographs they favour and the ranges of those parameters. The split is by family and
by writer (see `FAMILY_SPLIT`): writers of the three trained families are cut into TRAIN / VALIDATION / TEST
by writer number (10,000 each); "quick" (sloppy, open loops) is VALIDATION only — the temperature is fitted
on a style the network never trained on — and "angular" (straight strokes meeting in corners) is TEST only:
never trained on, never calibrated on, it measures generalisation to an unseen hand style.

Marks for the X/no-digit class come from here too (`mark`): a small cross, a corner-to-corner cross, a "λ"
and a dash "–" (officers dash unused leading boxes on legislative forms).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np
from numpy.typing import NDArray

Mask = NDArray[np.float32]
Point = tuple[float, float] | tuple[float, float, int]  # (x, y) or (x, y, 1) for a corner
Stroke = tuple[Point, ...]
Allograph = tuple[Stroke, ...]
WRITERS = 10_000  # writer numbers per split block in the trained families
PX = 96  # render height of a digit's unit box


def _ellipse(cx: float, cy: float, rx: float, ry: float, start: float, sweep: float, n: int = 10) -> Stroke:
    """Points along an ellipse, counter-clockwise on the page from `start` degrees (0 = right, 90 = top)."""
    a = np.radians(start + np.linspace(0, sweep, n))
    return tuple((float(cx + rx * np.cos(t)), float(cy - ry * np.sin(t))) for t in a)


# digit → allograph name → strokes
ALLOGRAPHS: dict[int, dict[str, Allograph]] = {
    0: {
        "oval": (_ellipse(0.5, 0.5, 0.45, 0.5, 100, 370, 12),),
        "open": (_ellipse(0.5, 0.5, 0.45, 0.5, 110, 320, 11),),
        "lean": (_ellipse(0.5, 0.5, 0.38, 0.5, 80, 380, 12),),
    },
    1: {
        "stick": (((0.55, 0.0), (0.45, 1.0)),),
        "flag": (((0.2, 0.28), (0.58, 0.0, 1), (0.5, 1.0)),),
        "flag-base": (((0.2, 0.28), (0.58, 0.0, 1), (0.52, 1.0)), ((0.15, 1.0), (0.85, 0.98))),
        "curved": (((0.7, 0.0), (0.42, 0.3), (0.38, 0.7), (0.55, 1.0)),),
        "long-flag": (((0.05, 0.4), (0.62, 0.0, 1), (0.55, 1.0)),),
    },
    2: {
        "plain": (
            ((0.1, 0.25), (0.4, 0.0), (0.8, 0.1), (0.8, 0.35), (0.45, 0.7), (0.08, 1.0, 1), (0.92, 0.98)),
        ),
        "looped": (
            (
                (0.1, 0.25),
                (0.4, 0.0),
                (0.8, 0.1),
                (0.78, 0.38),
                (0.45, 0.7),
                (0.12, 0.95),
                (0.22, 0.78),
                (0.4, 0.92),
                (0.65, 1.0),
                (0.95, 0.95),
            ),
        ),
        "swan": (((0.12, 0.18), (0.5, 0.0), (0.82, 0.22), (0.1, 1.0, 1), (0.9, 0.96)),),
    },
    3: {
        "round": (
            (
                (0.12, 0.12),
                (0.5, 0.0),
                (0.82, 0.18),
                (0.7, 0.4),
                (0.38, 0.48, 1),
                (0.8, 0.62),
                (0.82, 0.88),
                (0.45, 1.0),
                (0.1, 0.88),
            ),
        ),
        "flat-top": (
            (
                (0.1, 0.0, 1),
                (0.85, 0.0, 1),
                (0.4, 0.4, 1),
                (0.82, 0.6),
                (0.75, 0.92),
                (0.38, 1.0),
                (0.08, 0.85),
            ),
        ),
    },
    4: {
        "closed": (((0.62, 0.0, 1), (0.05, 0.66, 1), (0.95, 0.66)), ((0.66, 0.05), (0.64, 1.0))),
        "open": (((0.18, 0.02), (0.1, 0.6, 1), (0.95, 0.6)), ((0.7, 0.0), (0.66, 1.0))),
        "open-long": (((0.22, 0.25), (0.05, 0.62, 1), (1.0, 0.6)), ((0.72, 0.0), (0.68, 1.0))),
    },
    5: {
        "two-stroke": (
            (
                (0.25, 0.02, 1),
                (0.2, 0.46, 1),
                (0.55, 0.38),
                (0.85, 0.6),
                (0.75, 0.9),
                (0.4, 1.0),
                (0.1, 0.88),
            ),
            ((0.25, 0.02), (0.88, 0.0)),
        ),
        "one-stroke": (
            (
                (0.88, 0.0, 1),
                (0.25, 0.02, 1),
                (0.2, 0.46, 1),
                (0.55, 0.38),
                (0.85, 0.62),
                (0.72, 0.92),
                (0.35, 1.0),
                (0.08, 0.85),
            ),
        ),
    },
    6: {
        "plain": (
            (
                (0.78, 0.0),
                (0.35, 0.25),
                (0.12, 0.65),
                (0.3, 0.97),
                (0.7, 0.96),
                (0.84, 0.72),
                (0.55, 0.5),
                (0.18, 0.64),
            ),
        ),
        "straight": (
            (
                (0.62, 0.0),
                (0.25, 0.5),
                (0.2, 0.8),
                (0.45, 1.0),
                (0.8, 0.85),
                (0.76, 0.6),
                (0.45, 0.52),
                (0.22, 0.7),
            ),
        ),
    },
    7: {
        "plain": (((0.05, 0.05, 1), (0.92, 0.0, 1), (0.38, 1.0)),),
        "crossbar": (((0.05, 0.05, 1), (0.92, 0.0, 1), (0.38, 1.0)), ((0.3, 0.52), (0.85, 0.5))),
        "serif": (((0.08, 0.22), (0.1, 0.02, 1), (0.92, 0.02, 1), (0.42, 1.0)),),
    },
    8: {
        "one-stroke": (
            (
                (0.78, 0.12),
                (0.5, 0.0),
                (0.2, 0.14),
                (0.3, 0.38),
                (0.7, 0.6),
                (0.86, 0.82),
                (0.5, 1.0),
                (0.14, 0.82),
                (0.3, 0.6),
                (0.7, 0.38),
                (0.8, 0.14),
                (0.55, 0.0),
            ),
        ),
        "snowman": (_ellipse(0.5, 0.25, 0.3, 0.25, 90, 370), _ellipse(0.5, 0.72, 0.42, 0.28, 90, 370)),
    },
    9: {
        "plain": (
            (
                (0.84, 0.2),
                (0.5, 0.02),
                (0.15, 0.22),
                (0.3, 0.46),
                (0.7, 0.4),
                (0.85, 0.1, 1),
                (0.8, 0.6),
                (0.7, 1.0),
            ),
        ),
        "g": (
            (
                (0.84, 0.2),
                (0.5, 0.02),
                (0.15, 0.22),
                (0.3, 0.46),
                (0.7, 0.4),
                (0.85, 0.1, 1),
                (0.82, 0.7),
                (0.6, 0.98),
                (0.28, 0.96),
                (0.15, 0.8),
            ),
        ),
        "stem": (_ellipse(0.48, 0.25, 0.36, 0.25, 10, 370), ((0.84, 0.05), (0.8, 1.0))),
    },
}

MARKS: dict[str, Allograph] = {  # the X/no-digit class
    "small-cross": (((0.3, 0.3), (0.7, 0.7)), ((0.7, 0.3), (0.3, 0.7))),
    "corner-cross": (((0.0, 0.0), (1.0, 1.0)), ((1.0, 0.0), (0.0, 1.0))),
    "lambda": (((0.15, 0.0), (1.0, 1.0)), ((0.55, 0.45), (0.05, 1.0))),
    "dash": (((0.25, 0.5), (0.78, 0.48)),),
}


@dataclass(frozen=True)
class Family:
    """A style of writers: favoured allographs per digit (weights) and parameter ranges."""

    prefer: dict[int, dict[str, float]]
    slant: tuple[float, float]  # mean, sd of the shear (x per unit y, right-leaning > 0)
    width: tuple[float, float]  # width / height range
    pen: tuple[float, float]  # pen width as a fraction of the height
    sloppy: tuple[float, float]  # control-point jitter (fraction of the height)
    smooth: bool = True  # False: straight lines between control points (angular hands)


FAMILIES: dict[str, Family] = {
    "print": Family(
        {
            1: {"stick": 3, "flag": 3, "flag-base": 1},
            4: {"closed": 3, "open": 1},
            7: {"plain": 3, "serif": 1},
            9: {"plain": 2, "stem": 2},
            2: {"plain": 3, "swan": 1},
        },
        (0.05, 0.1),
        (0.55, 0.8),
        (0.05, 0.1),
        (0.01, 0.03),
    ),
    "euro": Family(
        {
            1: {"long-flag": 3, "flag": 2, "stick": 1},
            4: {"open": 2, "open-long": 2, "closed": 1},
            7: {"crossbar": 4, "plain": 1},
            9: {"g": 2, "stem": 2, "plain": 1},
            0: {"lean": 2, "oval": 1},
        },
        (0.15, 0.12),
        (0.5, 0.75),
        (0.04, 0.09),
        (0.015, 0.035),
    ),
    "loopy": Family(
        {
            1: {"curved": 3, "stick": 2},
            2: {"looped": 4, "plain": 1},
            9: {"g": 4, "plain": 1},
            8: {"one-stroke": 3, "snowman": 1},
            3: {"round": 1},
            6: {"plain": 1},
        },
        (0.1, 0.12),
        (0.6, 0.9),
        (0.05, 0.11),
        (0.015, 0.035),
    ),
    "quick": Family(  # VALIDATION only: fast and sloppy, loops left open, strongly slanted
        {
            0: {"open": 3, "lean": 1},
            1: {"stick": 3, "curved": 1, "long-flag": 1},
            4: {"open-long": 2, "open": 1},
            7: {"plain": 2, "crossbar": 1},
            9: {"g": 1, "plain": 1},
        },
        (0.25, 0.12),
        (0.45, 0.7),
        (0.04, 0.09),
        (0.03, 0.05),
    ),
    "angular": Family(  # TEST only: straight strokes meeting in corners
        {
            1: {"flag-base": 2, "flag": 2, "stick": 1},
            3: {"flat-top": 3, "round": 1},
            4: {"open": 1, "closed": 1},
            7: {"crossbar": 1, "plain": 1},
            9: {"stem": 1, "plain": 1},
            2: {"plain": 2, "looped": 1},
        },
        (0.05, 0.12),
        (0.5, 0.8),
        (0.05, 0.1),
        (0.01, 0.03),
        smooth=False,
    ),
}
# family → the splits its writers fall in: "*" = cut by writer number (TRAIN 0…1e4, VALIDATION 1e4…2e4, TEST
# 2e4…3e4), otherwise the one split that holds every writer of the family
FAMILY_SPLIT = {"print": "*", "euro": "*", "loopy": "*", "quick": "validation", "angular": "test"}
BLOCKS = {"train": 0, "validation": 1, "test": 2}


def families_of(split: str) -> list[str]:
    return [f for f, s in FAMILY_SPLIT.items() if s in ("*", split)]


def writer_range(family: str, split: str) -> range:
    """Writer numbers of `family` in `split` (empty when the family has none there)."""
    where = FAMILY_SPLIT[family]
    if where == "*":
        return range(BLOCKS[split] * WRITERS, (BLOCKS[split] + 1) * WRITERS)
    return range(0, 3 * WRITERS) if where == split else range(0)


@dataclass(frozen=True)
class Writer:
    family: str
    number: int
    allograph: dict[int, str]
    slant: float
    width: float
    waist: float  # exponent on y: < 1 lifts the middle of 3, 5, 8 and 9's loop, > 1 lowers it
    pen: float
    pressure: float  # how much width and darkness swell along a stroke
    sloppy: float
    tremor: float

    @property
    def id(self) -> str:
        return f"stroke:{self.family}:{self.number}"


def _pick(rng: np.random.Generator, weights: dict[str, float]) -> str:
    names = sorted(weights)
    p = np.array([weights[n] for n in names], np.float64)
    return names[int(rng.choice(len(names), p=p / p.sum()))]


@cache
def writer(family: str, number: int) -> Writer:
    """The habits of writer `number` of `family`, fixed by those two alone."""
    fam = FAMILIES[family]
    rng = np.random.default_rng([sum(map(ord, family)), number, 0x57])
    allo = {d: _pick(rng, fam.prefer.get(d) or dict.fromkeys(ALLOGRAPHS[d], 1.0)) for d in range(10)}
    return Writer(
        family,
        number,
        allo,
        slant=float(rng.normal(*fam.slant)),
        width=float(rng.uniform(*fam.width)),
        waist=float(np.exp(rng.normal(0, 0.12))),
        pen=float(rng.uniform(*fam.pen)),
        pressure=float(rng.uniform(0.0, 0.5)),
        sloppy=float(rng.uniform(*fam.sloppy)),
        tremor=float(rng.choice([0.0, 0.0, 0.0, rng.uniform(0.003, 0.01)])),
    )


def _catmull(pts: NDArray[np.float64], per: int = 10) -> NDArray[np.float64]:
    if len(pts) < 3:
        return np.linspace(pts[0], pts[-1], per * max(1, len(pts) - 1) + 1)
    p = np.vstack([2 * pts[0] - pts[1], pts, 2 * pts[-1] - pts[-2]])
    t = np.linspace(0, 1, per, endpoint=False)[:, None]
    out = []
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        out.append(
            0.5
            * (
                2 * p1
                + (-p0 + p2) * t
                + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3
            )
        )
    out.append(pts[-1:])
    return np.vstack(out)


def _trace(stroke: Stroke, smooth: bool) -> NDArray[np.float64]:
    """The pen's path through a stroke's control points: smooth between corners, or straight throughout."""
    pts = np.array([p[:2] for p in stroke], np.float64)
    if not smooth:
        return np.vstack(
            [np.linspace(a, b, 8, endpoint=False) for a, b in zip(pts[:-1], pts[1:], strict=True)]
            + [pts[-1:]]
        )
    cuts = (
        [0] + [i for i, p in enumerate(stroke) if len(p) == 3 and 0 < i < len(stroke) - 1] + [len(stroke) - 1]
    )
    return np.vstack(
        [_catmull(pts[a : b + 1])[:-1] for a, b in zip(cuts[:-1], cuts[1:], strict=True)] + [pts[-1:]]
    )


def draw(
    strokes: Allograph, w: Writer, rng: np.random.Generator, smooth: bool = True, crop: bool = True
) -> Mask:
    """`strokes` as `w` writes them, one sample (this sample's jitter from `rng`), as an ink mask."""
    h = PX
    width = w.width * h
    pad = round(0.25 * h)
    canvas = np.zeros((h + 2 * pad, round(width + 0.6 * h) + 2 * pad), np.float32)
    rot = np.radians(rng.normal(0, 3))
    c, s = np.cos(rot), np.sin(rot)
    for stroke in strokes:
        path = _trace(stroke, smooth)
        ctrl = np.array([p[:2] for p in stroke])
        # the sample's sloppiness: each control point off by a little, carried smoothly along the path
        shift = rng.normal(0, w.sloppy, ctrl.shape)
        idx = np.linspace(0, len(ctrl) - 1, len(path))
        path = path + np.stack([np.interp(idx, np.arange(len(ctrl)), shift[:, k]) for k in range(2)], 1)
        if w.tremor:
            path = path + rng.normal(0, w.tremor, path.shape)
        x, yy = path[:, 0], path[:, 1]
        y = np.where(yy > 0, np.abs(yy) ** w.waist, yy)
        px = (x - 0.5) * width + w.slant * (0.5 - y) * h
        py = (y - 0.5) * h
        px, py = c * px - s * py, s * px + c * py
        pts = np.stack([px + canvas.shape[1] / 2, py + canvas.shape[0] / 2], 1)
        n = len(pts)
        phase = rng.uniform(0, 2 * np.pi)
        press = 1 + w.pressure * np.sin(np.linspace(0, np.pi, n) + phase * 0.3) * 0.8 - w.pressure * 0.4
        press[: max(1, n // 12)] *= 0.8  # the pen lands lighter
        for i in range(n - 1):
            thick = max(1, round(w.pen * h * press[i]))
            level = float(np.clip(0.75 + 0.25 * press[i], 0.5, 1.0))
            a, b = np.round(pts[i] * 4).astype(np.int32), np.round(pts[i + 1] * 4).astype(np.int32)
            cv2.line(canvas, tuple(a.tolist()), tuple(b.tolist()), level, thick, cv2.LINE_AA, 2)
    out = np.asarray(cv2.GaussianBlur(canvas, (3, 3), 0.7), np.float32)
    if not crop:
        return out
    ys, xs = np.nonzero(out > 0.1)
    return np.ascontiguousarray(out[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]) if len(xs) else out


def digit(family: str, number: int, d: int, rng: np.random.Generator) -> tuple[Mask, str]:
    """Digit `d` by writer `number` of `family`: the ink mask and the allograph's name."""
    w = writer(family, number)
    name = w.allograph[d]
    if rng.random() < 0.08:  # even a consistent writer varies now and then
        name = sorted(ALLOGRAPHS[d])[int(rng.integers(len(ALLOGRAPHS[d])))]
    return draw(ALLOGRAPHS[d][name], w, rng, FAMILIES[family].smooth), name


def mark(family: str, number: int, kind: str, rng: np.random.Generator) -> Mask:
    """A no-digit mark (`MARKS`) by writer `number` of `family`. A dash keeps its square canvas (not cropped
    to its ink), so whoever scales it to the box keeps it a dash and not a bar as tall as the box."""
    w = writer(family, number)
    if kind == "dash":
        return dash(rng, w.pen)
    return draw(MARKS[kind], w, rng, FAMILIES[family].smooth)


def dash(rng: np.random.Generator, pen: float | None = None) -> Mask:
    """A "–" in a square canvas (the box's height): a short, nearly level stroke near the middle."""
    s = 96
    out = np.zeros((s, s), np.float32)
    length = rng.uniform(0.3, 0.75) * s
    cx, cy = s / 2 + rng.normal(0, 0.06 * s), s / 2 + rng.normal(0, 0.08 * s)
    tilt = rng.normal(0, 0.08) * length
    bow = rng.normal(0, 0.04) * s
    t = np.linspace(0, 1, 12)
    xs = cx - length / 2 + length * t
    ys = cy + tilt * (t - 0.5) - bow * np.sin(np.pi * t)
    pts = np.round(np.stack([xs, ys], 1) * 4).astype(np.int32)
    width = max(2, round((pen if pen is not None else rng.uniform(0.04, 0.1)) * s))
    cv2.polylines(out, [pts], False, float(rng.uniform(0.8, 1.0)), width, cv2.LINE_AA, 2)
    return np.asarray(cv2.GaussianBlur(out, (3, 3), 0.7), np.float32)
