"""Corpus generation speed: a small run on all cores, extrapolated to the 3,000-photo target.

    python bench/corpus.py                 # 60 photos (20 per page), moderate, both cores
    python bench/corpus.py --n 120 --workers 1

Prints photos/s (after the workers' start-up), the extrapolated time for 3,000 photos (1,000 per page)
beside the 10-minute target, and how one sample's CPU time splits (fill vs camera) on one core, beside the
figures before the camera's speed work (commit ddc2f5f, on this machine at load ~2.5: CPU time grows with
the load). The old path is not kept: it would be a second camera to maintain. CPU time leaves out the
waits of a shared machine, so "from CPU time" is what idle cores give; the wall-clock rate is what this
machine gave right now (see the load average).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# bench/ocr.py would shadow the `ocr` package when this runs as `python bench/corpus.py`
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from ocr.corpus import make  # noqa: E402
from ocr.corpus.officer import fill_page  # noqa: E402
from ocr.corpus.values import consistent_sheet  # noqa: E402
from ocr.forms.spec import load_spec  # noqa: E402

TARGET_N, TARGET_S = 3000, 600.0
BEFORE_FILL_S, BEFORE_CAMERA_S = 0.058, 0.255  # ddc2f5f, moderate, one core, CPU s per photo (load ~2.5)


def split_one_core(k: int = 12) -> tuple[float, float]:
    """Mean CPU seconds per sample in fill and in the camera, in this process (CPU time, so a busy shared
    machine does not inflate it the way it inflates wall time)."""
    from ocr.corpus.camera import photograph

    make._init()
    make._keep_freed_memory()  # as the corpus workers do
    fill_t = cam_t = 0.0
    for i in range(-3, k):  # the first three warm up: each page's blank is rendered once per worker
        page = i % 3 + 1
        rng = np.random.default_rng([1, abs(i)])
        spec = load_spec("ppwp-2024", page)
        sheet = consistent_sheet(make.contest_for("ppwp-2024", 0), rng)
        t0 = time.process_time()
        f = fill_page(
            spec,
            sheet,
            make._STATE["hand"],
            rng,
            px_per_mm=make.PX_PER_MM,
            tps="3173041007005",
            header={},
            slip_rate=0.1,
        )
        t1 = time.process_time()
        quads = {key: np.array(r.corners()) * make.PX_PER_MM for key, r in spec.boxes().items()}
        photograph(f.page_bgr, quads, "moderate", rng)
        if i >= 0:
            cam_t += time.process_time() - t1
            fill_t += t1 - t0
    return fill_t / k, cam_t / k


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--severity", default="moderate")
    args = ap.parse_args()
    workers = args.workers or mp.cpu_count()
    stamps: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        job_list = make.jobs(args.n, 42, "ppwp-2024", [1, 2, 3], [args.severity])
        make.run(job_list, Path(tmp), workers, progress=lambda _name: stamps.append(time.perf_counter()))
        took = time.perf_counter() - started
        size = sum(p.stat().st_size for p in Path(tmp).iterdir()) / args.n
    skip = min(len(stamps) - 2, 4 * workers)  # start-up: workers load the handwriting, render each blank
    steady = (len(stamps) - 1 - skip) / (stamps[-1] - stamps[skip])
    rate = args.n / took
    fill_s, cam_s = split_one_core()
    eta = TARGET_N / steady
    cpu_rate = workers / (fill_s + cam_s)  # what the cores give when nothing else runs
    load = os.getloadavg()[0]
    budget = workers * TARGET_S / TARGET_N  # CPU s per photo that still makes the target on idle cores
    before = BEFORE_FILL_S + BEFORE_CAMERA_S
    rows = [
        ("photos", f"{args.n}", ""),
        ("workers", f"{workers}", ""),
        ("photos/s (wall clock, with start-up)", f"{rate:.2f}", ""),
        ("photos/s (wall clock, after start-up)", f"{steady:.2f}", f"{TARGET_N / TARGET_S:.2f} needed"),
        (f"{TARGET_N} photos (extrapolated)", f"{eta / 60:.1f} min", f"{TARGET_S / 60:.0f} min target"),
        ("bytes per photo + truth", f"{size / 1e6:.2f} MB", ""),
        ("fill, CPU per photo", f"{fill_s * 1000:.0f} ms", f"{BEFORE_FILL_S * 1000:.0f} ms before"),
        ("camera, CPU per photo", f"{cam_s * 1000:.0f} ms", f"{BEFORE_CAMERA_S * 1000:.0f} ms before"),
        ("CPU per photo", f"{(fill_s + cam_s) * 1000:.0f} ms",
         f"{before * 1000:.0f} ms before; {budget * 1000:.0f} ms makes the target"),
        (f"{TARGET_N} photos from CPU time, {workers} idle cores", f"{TARGET_N / cpu_rate / 60:.1f} min",
         f"{TARGET_N * before / workers / 60:.1f} min before; {TARGET_S / 60:.0f} min target"),
        ("load average (1 min)", f"{load:.1f}", f"{workers} cores"),
    ]
    w = max(len(r[0]) for r in rows)
    sys.stdout.write(f"{'corpus':<{w}}  {'measured':>12}  baseline / target\n")
    for name, value, base in rows:
        sys.stdout.write(f"{name:<{w}}  {value:>12}  {base}\n")


if __name__ == "__main__":
    main()
