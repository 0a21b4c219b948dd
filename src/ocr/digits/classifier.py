"""The digit-box classifier at run time: the committed ONNX CNN on onnxruntime, one thread, batched.

The network has 12 outputs (0–9, X, empty). `predict` returns the 11 classes the OCR decodes (0–9 and
"X/blank", the sum of X and empty: both mean "no digit here"); `predict_marks` keeps X and empty apart for
whoever wants to know whether an officer crossed a box or left it blank. Probabilities are calibrated by
one temperature fitted on the VALIDATION split (stored in the JSON beside the model).

A second look for doubtful boxes (`"second_look"` in the JSON, when present): a box whose calibrated
confidence is below `below` is read again shifted by each of `shifts` (px of the 32×32 input) and its logits
averaged over the views. Only the few doubtful boxes pay for it (~1 in 10), and it takes the confidence out of
misreads of unfamiliar hands, where one view's answer depends on where the cut fell (docs/recognizer.md).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray

from ocr.digits.preprocess import preprocess

MODEL = Path(__file__).resolve().parent / "model" / "digits.onnx"
BLANK = 10  # index of "X/blank" in `predict`'s 11 columns


class DigitClassifier:
    """Load once per process (`DigitClassifier.load()` is cached per path), then call `predict` on batches."""

    def __init__(self, path: Path, threads: int = 1) -> None:
        self.path = path
        self.meta: dict[str, Any] = json.loads(path.with_suffix(".json").read_text())
        blob = path.read_bytes()
        if hashlib.sha256(blob).hexdigest() != self.meta["sha256"]:
            raise ValueError(f"{path.name} does not match the sha256 in its metadata")
        self.temperature = float(self.meta["temperature"])
        self.version = f"digits-{self.meta['sha256'][:12]}"
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        self._session = ort.InferenceSession(blob, opts, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name
        look = self.meta.get("second_look") or {}
        self.second_below = float(look.get("below", 0.0))
        self.second_shifts = [(int(dx), int(dy)) for dx, dy in look.get("shifts", [])]

    @staticmethod
    def load(path: Path | None = None) -> DigitClassifier:
        return _load(Path(path or MODEL).resolve())

    def _run(self, batch: NDArray[np.float32]) -> NDArray[np.float32]:
        return np.asarray(self._session.run(None, {self._input: batch})[0], np.float32)

    def logits(self, crops: Sequence[NDArray[Any]]) -> NDArray[np.float32]:
        """Raw N×12 network outputs for grey box crops (one view each: no second look)."""
        if not len(crops):
            return np.zeros((0, 12), np.float32)
        return self._run(np.stack([preprocess(c) for c in crops])[:, None, :, :].astype(np.float32))

    def predict_marks(self, crops: Sequence[NDArray[Any]]) -> NDArray[np.float32]:
        """Calibrated N×12 probabilities: 0–9, X, empty (doubtful boxes averaged over a second look)."""
        if not len(crops):
            return np.zeros((0, 12), np.float32)
        batch = np.stack([preprocess(c) for c in crops])[:, None, :, :].astype(np.float32)
        z = self._run(batch) / self.temperature
        if self.second_shifts:
            p = _softmax(z)
            doubtful = np.nonzero(np.maximum(p[:, :10].max(1), p[:, 10:].sum(1)) < self.second_below)[0]
            if len(doubtful):
                views = [np.roll(batch[doubtful], (dy, dx), axis=(2, 3)) for dx, dy in self.second_shifts]
                again = sum(self._run(v) for v in views) / self.temperature
                z[doubtful] = (z[doubtful] + again) / (1 + len(views))
        return _softmax(z)

    def predict(self, crops: Sequence[NDArray[Any]]) -> NDArray[np.float32]:
        """Calibrated N×11 probabilities: 0–9 and X/blank."""
        p = self.predict_marks(crops)
        out: NDArray[np.float32] = np.concatenate([p[:, :10], p[:, 10:].sum(axis=1, keepdims=True)], axis=1)
        return out


def _softmax(z: NDArray[np.float32]) -> NDArray[np.float32]:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    out: NDArray[np.float32] = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
    return out


@cache
def _load(path: Path) -> DigitClassifier:
    return DigitClassifier(path)
