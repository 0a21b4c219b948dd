"""Digit-box recognizer on held-out handwriting: accuracy per source, confident misreads, calibration, ms per
box, Tesseract too; a baseline model beside the one under test.

    python bench/digits.py [--n 5000] [--seed 7] [--tesseract 400] [--model path/to/digits.onnx]
        [--baseline path/to/old.onnx] [--family-n 10000] [--stroke-n 3000] [--marks-n 400]

Boxes are rendered from the TEST split only, through the same box-crop photography as training: first `--n`
boxes of MNIST's last 10% and the TEST font families (the same boxes as before the stroke model existed),
then `--stroke-n` digits by TEST writers of the three trained stroke families (writer-disjoint), `--family-n`
digits by the "angular" stroke family no model trained or calibrated on (family-disjoint), and `--marks-n`
of each no-digit mark a stroke writer makes in a leading box (dash, small cross, corner-to-corner cross, λ).
"wrong ≥ 0.95" counts wrong answers given with a calibrated confidence of at least 0.95: the misreads the
decoder would trust. Timing is one thread (onnxruntime and OpenCV), preprocessing included; a
C.Hasil page reads ~90 boxes in one call, so batches of 90 are timed too. Calibration: expected calibration
error (ECE, 10 equal-width confidence bins) of the 11-class probabilities over all boxes.
Tesseract reads a subset (it takes ~0.1 s a box) with `--psm 10` and a digit whitelist; an empty answer
counts as "X/blank".
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

# bench/ocr.py would shadow the `ocr` package: drop this script's folder from the import path
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import pytesseract  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from ocr.corpus.handwriting import Handwriting, Split  # noqa: E402
from ocr.digits import BLANK, DigitClassifier  # noqa: E402
from ocr.digits.boxes import X_CLASS, BoxSample, label_plan, render_box  # noqa: E402

TESS = "--psm 10 -c tessedit_char_whitelist=0123456789"


def tesseract(crop: np.ndarray) -> int:
    text = pytesseract.image_to_string(crop, config=TESS).strip()
    return int(text[0]) if text[:1].isdigit() else BLANK


def ece(probs: np.ndarray, truth: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: |confidence − accuracy| per equal-width confidence bin, size-weighted."""
    conf, right = probs.max(1), probs.argmax(1) == truth
    b = np.minimum((conf * bins).astype(int), bins - 1)
    return float(
        sum(
            abs(conf[b == k].mean() - right[b == k].mean()) * (b == k).mean()
            for k in range(bins)
            if (b == k).any()
        )
    )


def nll(probs: np.ndarray, truth: np.ndarray) -> float:
    return float(-np.log(np.maximum(probs[np.arange(len(truth)), truth], 1e-12)).mean())


CONFIDENT = 0.95


def held_out(a: argparse.Namespace) -> list[BoxSample]:
    hand = Handwriting(Split.TEST)
    rng = np.random.default_rng(a.seed)
    boxes: list[BoxSample] = []
    for label in label_plan(rng, a.n):
        # half the digits from fonts, so each TEST family is well sampled
        if label < 10 and rng.random() < 0.5:
            source = f"font:{hand.families[int(rng.integers(len(hand.families)))]}"
            boxes.append(render_box(hand, rng, int(label), source))
        else:
            boxes.append(render_box(hand, rng, int(label), "mnist" if label < 10 else None))
    rng = np.random.default_rng([a.seed, 1])  # the stroke model's boxes: their own stream
    for family in hand.stroke_families:
        n = a.family_n if family == "angular" else a.stroke_n // 3
        boxes += [render_box(hand, rng, int(rng.integers(10)), f"stroke:{family}") for _ in range(n)]
    for kind in ("dash", "small-cross", "corner-cross", "lambda"):
        boxes += [render_box(hand, rng, X_CLASS, f"mark:{kind}") for _ in range(a.marks_n)]
    return boxes


def timings(model: DigitClassifier, crops: list[np.ndarray]) -> tuple[float, float, float]:
    model.predict(crops[:64])  # warm up
    per_box, page, single = [], [], []
    for i in range(0, len(crops), 64):
        t = time.perf_counter()
        model.predict(crops[i : i + 64])
        per_box.append((time.perf_counter() - t) * 1000 / len(crops[i : i + 64]))
    for i in range(0, len(crops) - 89, 90):  # one page's worth of boxes per call, as the reader calls it
        t = time.perf_counter()
        model.predict(crops[i : i + 90])
        page.append((time.perf_counter() - t) * 1000)
    for c in crops[:300]:
        t = time.perf_counter()
        model.predict([c])
        single.append((time.perf_counter() - t) * 1000)
    return statistics.median(per_box), statistics.median(single), statistics.median(page)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--tesseract", type=int, default=400, help="boxes also read by Tesseract")
    ap.add_argument("--model", type=Path, help="ONNX model (JSON beside it), not the committed one")
    ap.add_argument("--baseline", type=Path, help="a second model, shown beside (e.g. the previous one)")
    ap.add_argument("--stroke-n", type=int, default=3000, help="TEST writers of the trained stroke families")
    ap.add_argument("--family-n", type=int, default=10_000, help="the never-trained stroke family")
    ap.add_argument("--marks-n", type=int, default=400, help="boxes of each no-digit mark")
    a = ap.parse_args()
    cv2.setNumThreads(1)
    boxes = held_out(a)
    crops = [b.crop for b in boxes]
    models = {"new": DigitClassifier.load(a.model)}
    if a.baseline:
        models = {"baseline": DigitClassifier.load(a.baseline), **models}
    truth = np.array([min(b.label, BLANK) for b in boxes])
    probs = {k: m.predict(crops) for k, m in models.items()}

    nt = min(a.tesseract, a.n)
    t = time.perf_counter()
    tess = np.array([tesseract(c) for c in crops[:nt]])
    tess_ms = (time.perf_counter() - t) * 1000 / max(nt, 1)

    groups: dict[str, list[int]] = defaultdict(list)
    for i, b in enumerate(boxes):
        name = "X" if b.source == "synthetic-x" else "empty" if b.source == "none" else b.source
        groups[name].append(i)
    names = {k: f"{k} ({m.version})" for k, m in models.items()}
    table = Table(title=f"Digit boxes, TEST split, seed {a.seed}: " + ", ".join(names.values()))
    table.add_column("source")
    table.add_column("boxes", justify="right")
    for k in models:
        table.add_column(f"{k} accuracy", justify="right")
    for k in models:
        table.add_column(f"{k} wrong ≥ {CONFIDENT}", justify="right")

    def row(name: str, idx: list[int]) -> None:
        ix = np.array(idx)
        accs, confident = [], []
        for p in probs.values():
            wrong = p[ix].argmax(1) != truth[ix]
            accs.append(f"{1 - wrong.mean():.4f}")
            confident.append(str(int((wrong & (p[ix].max(1) >= CONFIDENT)).sum())))
        table.add_row(name, str(len(ix)), *accs, *confident)

    order = sorted(groups, key=lambda g: (g.startswith(("stroke:", "mark:")), g.startswith("mark:"), g))
    for name in order:
        row(name, groups[name])
    digit = [i for i, b in enumerate(boxes) if b.label < 10]
    row("all digits, MNIST + fonts", [i for i in digit if i < a.n])
    row(
        "all digits, stroke TEST writers",
        [i for i in digit if boxes[i].source.startswith("stroke:") and boxes[i].source != "stroke:angular"],
    )
    row("all boxes", list(range(len(boxes))))
    Console(width=150).print(table)
    dashes = np.array(groups.get("mark:dash", []), int)
    for key, m in models.items():
        p = probs[key]
        per_box, single, page = timings(m, crops[: a.n])
        print(
            f"{key}: dashes read as 1: {int((p[dashes].argmax(1) == 1).sum())} of {len(dashes)}; "
            f"ECE (10 bins, all boxes) {ece(p, truth):.4f}; mean NLL {nll(p, truth):.4f}; "
            f"ms per box (batches of 64, one thread, preprocessing included) {per_box:.3f}, one box per call "
            f"{single:.3f}, per 90-box batch (one page) {page:.1f}"
        )
    if nt:
        tx = np.arange(nt)
        acc = float((tess == truth[tx]).mean())
        print(f"Tesseract, first {nt} boxes: accuracy {acc:.3f}, {tess_ms:.1f} ms per box")
    digest = hashlib.sha256(b"".join(c.tobytes() for c in crops)).hexdigest()[:16]
    print(f"{len(boxes)} boxes, crops sha256 {digest}")


if __name__ == "__main__":
    main()
