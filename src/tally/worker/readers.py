"""Which OCR reader a worker uses, chosen by `TALLY_OCR_READER` ("module:factory"), built once per process."""

from __future__ import annotations

import importlib
from typing import Protocol

from ocr.reading import Reading


class Reader(Protocol):
    def read(self, jpeg: bytes, *, tps: str | None = None) -> Reading: ...


def load_reader(spec: str) -> Reader | None:
    """The reader named by `spec`, or None when OCR is not installed (jobs then record `ocr_unavailable`).

    Only a missing module means "not installed"; any other error while loading a reader that exists is a
    bug and is raised, never hidden behind a quiet `ocr_unavailable`.
    """
    if spec in ("", "none"):
        return None
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_name.startswith(exc.name):
            return None
        raise
    factory = getattr(module, attr or "PhotoReader")
    reader: Reader = factory()
    return reader


def reader_name(spec: str) -> str:
    return spec.partition(":")[0][:40] or "none"
