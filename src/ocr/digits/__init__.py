"""The digit-box recognizer: 11 classes (0–9 and X/blank) from a grey crop of one box.

`DigitClassifier.load()` (once per process) → `.predict(crops)` → N×11 calibrated probabilities.
Training lives in `scripts/train_digits.py`; how it was trained and how well it does: docs/recognizer.md.
"""

from ocr.digits.classifier import BLANK, MODEL, DigitClassifier
from ocr.digits.preprocess import SIZE, preprocess

__all__ = ["BLANK", "MODEL", "SIZE", "DigitClassifier", "preprocess"]
