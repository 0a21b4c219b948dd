"""The independent evidence of page 2 — OMR bubbles and tally subtotals — against the corpus truth.

    python bench/evidence.py [--n 150] [--seed 9001] [--baseline 3ee7d27] [--cache /tmp/tally-evidence]

Page-2 photos (clean, moderate, harsh in turn) are made with `ocr.corpus.make`, read the way
`ocr.reader.PhotoReader.read` does (decode → locate → straighten → quality gate → re-register), and every
paslon's `read_total` and `read_subtotals` is compared with what the officer actually marked. Per severity:
legible = the reader returned a number, wrong = it returned a number other than the truth. A column with a
second bubble filled by mistake (the `bubble_disagrees` slip) has no right answer: any number is wrong.
The baseline row runs the two modules as they were at `--baseline` (a git revision). Straightened pages are
cached under `--cache` so a rerun after a change to the readers takes seconds.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

# bench/ocr.py would shadow the `ocr` package: drop this script's folder from the import path
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from ocr import omr, tally_marks  # noqa: E402
from ocr.cells import paper_level  # noqa: E402
from ocr.corpus.make import jobs, make_one  # noqa: E402
from ocr.quality import box_visibility, measure  # noqa: E402
from ocr.reader import DECODE_LONG_SIDE, READ_PX_PER_MM, PhotoReader, _box_px, decode_photo  # noqa: E402

SEVERITIES = ["clean", "moderate", "harsh"]
CONTEST = "ppwp-2024"


def straightened(reader: PhotoReader, jpeg: bytes) -> tuple[str, Any] | None:
    """(tag, the registered page at READ_PX_PER_MM) as the reader sees it, or None if it refuses the photo."""
    from ocr.locate import locate, locate_by_markers

    photo = decode_photo(jpeg, DECODE_LONG_SIDE)
    located = locate(photo, reader.frames, reader.blanks) or locate_by_markers(photo, reader.templates)
    if located is None or not located.in_frame:
        return None
    tag = located.frame.tag_id
    layout = reader.layouts[tag]
    full = decode_photo(jpeg)
    full_scale = full.shape[1] / photo.shape[1]
    if full_scale > 1.0 and _box_px(located, layout) < 28.0:  # SHARP_BOX_PX in the reader
        photo, located, full_scale = full, located.rescaled(full_scale), 1.0
    page = located.straighten(photo, READ_PX_PER_MM)
    q = measure(page, _box_px(located.rescaled(full_scale), layout), reader.printed[tag])
    q = replace(q, visibility=box_visibility(page, reader.regions[tag], reader.printed[tag]))
    if q.problem() is not None:
        return None
    if tag in reader.registrars:
        page = reader.registrars[tag].apply(page)[0]
    return tag, page


def pages(reader: PhotoReader, n: int, seed: int, cache: Path) -> list[tuple[str, Any, dict[str, Any]]]:
    """(tag, page, truth) per photo the reader accepts, made once and cached as PNG + JSON."""
    out = []
    folder = cache / str(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for job in jobs(n, seed, CONTEST, [2], SEVERITIES):
        png, meta = folder / f"{job.index:04d}.png", folder / f"{job.index:04d}.json"
        if not meta.exists():
            s = make_one(job)
            got = straightened(reader, s.jpeg)
            if got is not None:
                cv2.imwrite(str(png), got[1])
            meta.write_text(json.dumps({"tag": got[0] if got else None, "truth": s.truth}), "utf-8")
        m = json.loads(meta.read_text("utf-8"))
        if m["tag"] is not None:
            out.append((m["tag"], cv2.imread(str(png), cv2.IMREAD_GRAYSCALE), m["truth"]))
    return out


def at_revision(rev: str, name: str) -> ModuleType:
    """`ocr.<name>` as it was at git revision `rev`."""
    root = Path(__file__).resolve().parent.parent
    src = subprocess.run(
        ["git", "show", f"{rev}:src/ocr/{name}.py"], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    spec = importlib.util.spec_from_loader(f"baseline_{name}", loader=None)
    assert spec is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up while the class is made
    exec(compile(src, f"{rev}:{name}.py", "exec"), mod.__dict__)
    return mod


def omr_truth(truth: dict[str, Any], field: str) -> int | None:
    """What the bubbles spell, or None when no number is right (two bubbles in a column, none filled)."""
    cols = list(truth["bubbles"].get(field) or [])
    for s in truth.get("slips", []):  # a slip's extra bubble: in an empty column it is the column's digit
        if s.get("kind") == "bubble_disagrees" and s.get("field") == field:
            if cols[s["column"]] is not None:
                return None
            cols[s["column"]] = s["extra"]
    if all(c is None for c in cols):
        return None
    return int("".join(str(c or 0) for c in cols))


def score(
    data: list[tuple[str, Any, dict[str, Any]]],
    reader: PhotoReader,
    omr_mod: ModuleType,
    tally_mod: ModuleType,
    show_wrong: bool = False,
) -> tuple[dict[str, dict[str, list[int]]], dict[str, float]]:
    """Per severity: {"omr"/"tally": [fields, legible, wrong]}; and the median ms per page of each."""
    stats: dict[str, dict[str, list[int]]] = defaultdict(lambda: {"omr": [0, 0, 0], "tally": [0, 0, 0]})
    ms: dict[str, list[float]] = {"omr": [], "tally": []}
    for tag, page, truth in data:
        spec, sev = reader.layouts[tag], truth["severity"]
        paper = paper_level(page)
        spent = {"omr": 0.0, "tally": 0.0}
        for num in spec.numbers:
            if num.bubbles:
                t0 = time.perf_counter()
                got = omr_mod.read_total(page, num.bubbles, READ_PX_PER_MM, paper)
                spent["omr"] += time.perf_counter() - t0
                want = omr_truth(truth, num.field)
                _count(stats[sev]["omr"], got, want)
                if show_wrong and got is not None and got != want:
                    print(f"  omr   {truth['photo']} {num.field}: read {got}, truth {want}")
            if num.tally:
                assert reader.model is not None
                t0 = time.perf_counter()
                got = tally_mod.read_subtotals(page, num.tally, reader.model, READ_PX_PER_MM)
                spent["tally"] += time.perf_counter() - t0
                rows = truth["tally"][num.field]
                _count(stats[sev]["tally"], got, sum(rows) if any(rows) else None)
                if show_wrong and got is not None and got != sum(rows):
                    print(f"  tally {truth['photo']} {num.field}: read {got}, truth {rows}")
        for k, v in spent.items():
            ms[k].append(v * 1000)
    return stats, {k: float(np.median(v)) if v else 0.0 for k, v in ms.items()}


def _count(row: list[int], got: int | None, want: int | None) -> None:
    row[0] += want is not None  # a field with no right number counts only when it is read (wrongly)
    row[1] += got is not None and want is not None
    row[2] += got is not None and got != want


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=150)
    ap.add_argument("--seed", type=int, default=9001)
    ap.add_argument("--baseline", default="3ee7d27", help="git revision of the 'before' row")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/tally-evidence"))
    ap.add_argument("--wrong", action="store_true", help="list every wrong reading of the current code")
    args = ap.parse_args()
    cv2.setNumThreads(1)
    reader = PhotoReader()
    data = pages(reader, args.n, args.seed, args.cache)
    print(f"seed {args.seed}: {len(data)} of {args.n} page-2 photos pass the quality gate\n")
    rows = [
        (
            f"before ({args.baseline})",
            at_revision(args.baseline, "omr"),
            at_revision(args.baseline, "tally_marks"),
        ),
        ("after (working tree)", omr, tally_marks),
    ]
    print(
        f"{'':24} {'severity':9} {'OMR legible':>14} {'OMR wrong':>9} {'tally legible':>14} {'tally wrong'}"
    )
    for label, o, t in rows:
        stats, ms = score(data, reader, o, t, show_wrong=args.wrong and o is omr)
        for sev in SEVERITIES:
            s = stats[sev]
            print(
                f"{label:24} {sev:9} {_rate(s['omr']):>14} {s['omr'][2]:>9} "
                f"{_rate(s['tally']):>14} {s['tally'][2]:>11}"
            )
        print(f"{'':24} median ms per page, every paslon: OMR {ms['omr']:.1f}, tally {ms['tally']:.1f}\n")


def _rate(row: list[int]) -> str:
    return f"{row[1]}/{row[0]} {100 * row[1] / max(row[0], 1):.1f}%"


if __name__ == "__main__":
    main()
