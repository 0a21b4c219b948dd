"""Labelled digit-box crops cut by the reader itself from corpus photos: training data in the reader's domain.

Rendered boxes (`ocr.digits.boxes`) never show what a real reading feeds the classifier: the phone's blur and
JPEG, the page's light, a frame line the re-registration left in, the cut a millimetre off. Here each corpus
photo goes through `PhotoReader.read` unchanged — decode, locate, the quality gate, straighten, re-register,
`cut_cell` — with a model that records the crops it is asked about (the first `predict` of a reading is
`read_page`'s every digit box, in spec order). Photos the reader rejects give nothing. Each crop is labelled
from the photo's truth and measured against it: how far (in box widths) the reader placed the box from where
the camera put it, so a consumer can keep only the boxes the reader found (a box read one row off shows a
neighbour's digit, not its label).
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ocr.cells import DigitModel
from ocr.corpus.make import Job, make_one
from ocr.digits.boxes import EMPTY_CLASS, X_CLASS
from ocr.digits.preprocess import SIZE, preprocess
from ocr.reader import PhotoReader
from ocr.reading import Reading


@dataclass(frozen=True)
class PhotoCrops:
    """Preprocessed crops (×255, uint8, N×SIZE×SIZE) and, per crop, its label and where it came from."""

    x: NDArray[np.uint8]
    y: NDArray[np.int64]
    offset: NDArray[np.float32]  # reader's box centre to the true one, in box widths
    page: NDArray[np.int64]
    severity: NDArray[np.str_]
    writer: NDArray[np.str_]
    photo: NDArray[np.int64]  # the job's index
    photos: int  # photos read (not rejected)
    rejected: int

    def well_placed(self, limit: float = 0.35) -> NDArray[np.bool_]:
        return np.asarray(self.offset < limit)


class _Recorder:
    """The committed model, plus a record of every batch of crops the reader asks it about."""

    def __init__(self, model: DigitModel) -> None:
        self.model = model
        self.calls: list[list[NDArray[Any]]] = []

    def predict(self, crops: list[NDArray[Any]]) -> NDArray[np.float32]:
        self.calls.append(list(crops))
        return self.model.predict(crops)


def label(box: dict[str, Any]) -> int:
    """The training label of a truth box: its digit, X (crossed out) or empty."""
    content = box["content"]
    return int(box["digit"]) if content == "digit" else X_CLASS if content == "x" else EMPTY_CLASS


def _centre(quad: Any) -> NDArray[np.float64]:
    centre: NDArray[np.float64] = np.asarray(quad, np.float64).reshape(4, 2).mean(axis=0)
    return centre


def crops_of(
    reader: PhotoReader, recorder: _Recorder, jpeg: bytes, truth: dict[str, Any]
) -> list[Any] | None:
    """(crop, label, offset, writer) for every digit box the reader cut from one photo; None if rejected."""
    recorder.calls.clear()
    reading: Reading = reader.read(jpeg, tps=truth.get("tps"))
    if reading.rejected is not None or not recorder.calls or reading.page != truth["page"]:
        return None
    spec = next(
        s
        for s in reader.layouts.values()
        if s.contest == truth["contest"] and s.page == truth["page"] and s.paslon == truth["paslon"]
    )
    cut = recorder.calls[0]
    if len(cut) != sum(len(n.boxes) for n in spec.numbers):
        return None
    out = []
    k = 0
    for n in spec.numbers:
        got = reading.fields.get(n.field)
        for i in range(len(n.boxes)):
            crop, k = cut[k], k + 1
            box = truth["boxes"].get(f"{n.field}/{i}")
            if box is None or box.get("quad") is None or got is None:
                continue
            true = np.asarray(box["quad"], np.float64)
            width = float(np.hypot(*(true[1] - true[0])))
            offset = float(np.hypot(*(_centre(got.digits[i].quad) - _centre(true)))) / width
            out.append((crop, label(box), offset, str(box.get("writer", ""))))
    return out


_READER: list[tuple[PhotoReader, _Recorder]] = []


def _worker_init() -> None:
    import cv2

    from ocr.digits.classifier import DigitClassifier

    cv2.setNumThreads(1)
    recorder = _Recorder(DigitClassifier.load())
    _READER.append((PhotoReader(model=recorder), recorder))


def _one(job: Job) -> tuple[Job, list[Any] | None]:
    if not _READER:
        _worker_init()
    reader, recorder = _READER[0]
    sample = make_one(job)
    found = crops_of(reader, recorder, sample.jpeg, sample.truth)
    if found is None:
        return job, None
    return job, [(np.round(preprocess(c) * 255).astype(np.uint8), y, o, w) for c, y, o, w in found]


def pipeline_crops(jobs: Sequence[Job], workers: int = 2) -> PhotoCrops:
    """Make every job's photo, read it, and keep the labelled crops (`workers` processes, job order kept)."""
    if workers > 1:
        with mp.get_context("fork").Pool(workers, initializer=_worker_init) as pool:
            results = pool.map(_one, jobs, chunksize=4)
    else:
        results = [_one(j) for j in jobs]
    rows = [(job, r) for job, found in results if found is not None for r in found]
    n = len(rows)
    return PhotoCrops(
        x=np.stack([r[0] for _, r in rows]) if n else np.zeros((0, SIZE, SIZE), np.uint8),
        y=np.array([r[1] for _, r in rows], np.int64),
        offset=np.array([r[2] for _, r in rows], np.float32),
        page=np.array([j.page for j, _ in rows], np.int64),
        severity=np.array([j.severity for j, _ in rows], dtype=np.str_),
        writer=np.array([r[3] for _, r in rows], dtype=np.str_),
        photo=np.array([j.index for j, _ in rows], np.int64),
        photos=sum(found is not None for _, found in results),
        rejected=sum(found is None for _, found in results),
    )
