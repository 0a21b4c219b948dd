"""Digit-box recognizer on held-out handwriting: accuracy per source, calibration, ms per box, Tesseract too.

    python bench/digits.py [--n 5000] [--seed 7] [--tesseract 400] [--model path/to/digits.onnx]

Boxes are rendered from the TEST split only (MNIST's last 10% and the TEST font families), through the same
box-crop photography as training. Timing is one thread (onnxruntime and OpenCV), preprocessing included; a
C.Hasil page reads ~90 boxes in one call, so batches of 90 are timed too. Calibration: expected calibration
error (ECE, 10 equal-width confidence bins) of the 11-class probabilities over all boxes.
Tesseract reads a subset (it takes ~0.1 s a box) with `--psm 10` and a digit whitelist; an empty answer
counts as "X/blank".
"""

from __future__ import annotations

import argparse
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
from ocr.digits.boxes import BoxSample, label_plan, render_box  # noqa: E402

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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--tesseract", type=int, default=400, help="boxes also read by Tesseract")
    ap.add_argument("--model", type=Path, help="ONNX model (JSON beside it), not the committed one")
    a = ap.parse_args()
    cv2.setNumThreads(1)
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
    model = DigitClassifier.load(a.model)
    crops = [b.crop for b in boxes]
    model.predict(crops[:64])  # warm up
    per_box = []
    for i in range(0, len(crops), 64):
        t = time.perf_counter()
        model.predict(crops[i : i + 64])
        per_box.append((time.perf_counter() - t) * 1000 / len(crops[i : i + 64]))
    page = []  # one page's worth of boxes per call, as the reader calls it
    for i in range(0, len(crops) - 89, 90):
        t = time.perf_counter()
        model.predict(crops[i : i + 90])
        page.append((time.perf_counter() - t) * 1000)
    single = []
    for c in crops[:300]:
        t = time.perf_counter()
        model.predict([c])
        single.append((time.perf_counter() - t) * 1000)
    probs = model.predict(crops)
    pred = probs.argmax(1)
    truth = np.array([min(b.label, BLANK) for b in boxes])

    k = min(a.tesseract, len(boxes))
    t = time.perf_counter()
    tess = np.array([tesseract(c) for c in crops[:k]])
    tess_ms = (time.perf_counter() - t) * 1000 / max(k, 1)

    groups: dict[str, list[int]] = defaultdict(list)
    for i, b in enumerate(boxes):
        groups["X" if b.source == "synthetic-x" else "empty" if b.source == "none" else b.source].append(i)
    table = Table(title=f"Digit boxes, TEST split, seed {a.seed} ({model.version})")
    for col in ("source", "boxes", "CNN accuracy", "Tesseract boxes", "Tesseract accuracy"):
        table.add_column(col, justify="left" if col == "source" else "right")

    def row(name: str, idx: list[int]) -> None:
        ix = np.array(idx)
        tx = ix[ix < k]
        cnn = float((pred[ix] == truth[ix]).mean())
        ts = f"{float((tess[tx] == truth[tx]).mean()):.3f}" if len(tx) else "—"
        table.add_row(name, str(len(ix)), f"{cnn:.4f}", str(len(tx)), ts)

    for name in sorted(groups):
        row(name, groups[name])
    row("all digits", [i for i, b in enumerate(boxes) if b.label < 10])
    row("all boxes", list(range(len(boxes))))
    Console().print(table)
    print(
        f"CNN ms per box (batches of 64, one thread, preprocessing included): median "
        f"{statistics.median(per_box):.3f}; one box per call: median {statistics.median(single):.3f}"
    )
    print(f"CNN ms per 90-box batch (one page): median {statistics.median(page):.1f}")
    print(f"ECE (10 bins, all boxes): {ece(probs, truth):.4f}; mean NLL {nll(probs, truth):.4f}")
    print(f"Tesseract ms per box: {tess_ms:.1f}")


if __name__ == "__main__":
    main()
