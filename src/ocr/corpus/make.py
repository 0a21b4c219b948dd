"""Make corpus photos: sheet → filled page → phone photo (JPEG) + truth (JSON), on every core, deterministic.

Sample `i` of seed `s` depends only on (s, i): its own generator `default_rng([s, i])`, glyphs from the job's
handwriting split (TEST unless a job asks for TRAIN or VALIDATION writers, as the recognizer's training does),
the camera's own draws. So the same seed gives the same bytes whatever the number of workers.
"""

from __future__ import annotations

import ctypes
import io
import json
import multiprocessing as mp
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ocr.corpus.officer import fill_page
from ocr.corpus.regions import Regions
from ocr.corpus.truth import truth
from ocr.corpus.values import broken_checks, consistent_sheet
from ocr.forms.spec import load_spec
from reconcile.contest import Contest, builtin_contest

PX_PER_MM = 6.0  # page render resolution: ~1,900 × 2,900 px, about what a 12 MP photo resolves of the page
SEVERITIES = ("clean", "moderate", "harsh", "unusable")


@dataclass(frozen=True)
class Job:
    seed: int
    index: int
    contest: str
    page: int
    severity: str
    paslon: int = 0  # KWK slate size (0: the contest's default)
    kind: str | None = None
    slip_rate: float = 0.1
    tps_index: int = -1  # jobs with the same tps_index are pages of one TPS (one sheet); -1: its own
    max_side: int = 0  # shrink the photo to this long side (small committed samples); 0: as made
    hand: str = "test"  # handwriting split (ocr.corpus.handwriting.Split): held-out TEST writers by default


@dataclass(frozen=True)
class Sample:
    name: str
    jpeg: bytes
    truth: dict[str, Any]


_STATE: dict[str, Any] = {}


def _init() -> None:
    from ocr.corpus.handwriting import Handwriting, Split  # helper F's module, loaded once per worker

    _STATE["hand"] = Handwriting(Split.TEST)
    _STATE["hands"] = {str(Split.TEST): _STATE["hand"]}
    _STATE["regions"] = Regions.load()


def _hand(split: str) -> Any:
    """The worker's `Handwriting` of `split`, built on first use (most workers only ever need TEST)."""
    from ocr.corpus.handwriting import Handwriting, Split

    hands: dict[str, Any] = _STATE["hands"]
    if split not in hands:
        hands[split] = Handwriting(Split(split))
    return hands[split]


def _worker_init() -> None:
    """A pool worker: one OpenCV thread (the pool already fills every core; more threads only contend)."""
    import cv2

    cv2.setNumThreads(1)
    _keep_freed_memory()
    _init()


def _keep_freed_memory() -> None:
    """glibc gives big freed blocks back to the kernel and faults fresh zeroed pages in for the next photo
    (~15 % of a photo's CPU, as system time); a corpus process allocates the same sizes photo after photo,
    so it keeps them (its resident size stays at one photo's peak, a few hundred MB)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to tune
        return
    libc.mallopt(-1, 2**31 - 1)  # M_TRIM_THRESHOLD: never trim the heap top
    libc.mallopt(-2, 256 << 20)  # M_TOP_PAD: grow the heap in large steps
    libc.mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD: frames come from the heap, not fresh mmaps


@lru_cache(maxsize=16)
def contest_for(contest: str, paslon: int) -> Contest:
    c = builtin_contest(contest)
    if paslon:
        c = c.with_paslon(tuple(f"Paslon {i}" for i in range(1, paslon + 1)))
    return c


def make_one(job: Job) -> Sample:
    from ocr.corpus.camera import photograph  # helper C2's module

    if not _STATE:
        _init()
    rng = np.random.default_rng([job.seed, job.index])
    tps_rng = np.random.default_rng([job.seed, 1 << 40, job.tps_index if job.tps_index >= 0 else job.index])
    contest = contest_for(job.contest, job.paslon)
    spec = load_spec(job.contest, job.page, job.paslon or None)
    sheet = consistent_sheet(contest, tps_rng)
    if job.kind == "arithmetic":  # the officer's own slip in the sum: one paslon written 10 too high
        sheet[contest.paslon_fields[0]] += 10
    elif job.kind == "confusable":
        for name in contest.paslon_fields:
            sheet[name] = int(tps_rng.choice([17, 71, 27, 72, 38, 83, 117, 127, 138, 173, 183, 213]))
    region, tps, names = _STATE["regions"].pick(tps_rng)
    filled = fill_page(
        spec,
        sheet,
        _hand(job.hand),
        rng,
        px_per_mm=PX_PER_MM,
        tps=tps,
        header=names,
        slip_rate=job.slip_rate,
        kind=job.kind,
    )
    quads = {k: np.array(r.corners(), dtype=np.float64) * PX_PER_MM for k, r in spec.boxes().items()}
    photo = photograph(filled.page_bgr, quads, job.severity, rng)
    name = f"{spec_slug(job)}-{job.severity}-{job.seed}-{job.index:05d}"
    jpeg, scale = shrink(photo.jpeg, job.max_side)
    t = truth(
        spec,
        job,
        sheet,
        filled,
        photo,
        tps=tps,
        region=region,
        broken=broken_checks(contest, sheet),
        scale=scale,
    )
    t["photo"] = name + ".jpg"
    return Sample(name, jpeg, t)


def shrink(jpeg: bytes, max_side: int) -> tuple[bytes, float]:
    """The photo scaled down to `max_side` (EXIF kept) and the scale, for small committed samples."""
    im = Image.open(io.BytesIO(jpeg))
    s = max_side / max(im.size) if max_side else 1.0
    if s >= 1.0:
        return jpeg, 1.0
    small = im.resize((round(im.width * s), round(im.height * s)), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.save(out, format="JPEG", quality=88, exif=im.info.get("exif", b""))
    return out.getvalue(), s


def spec_slug(job: Job) -> str:
    form = "ppwp" if job.contest == "ppwp-2024" else "kwk"
    return f"{form}-hal{job.page}" + (f"-p{job.paslon}" if job.paslon and job.page == 2 else "")


def jobs(
    n: int,
    seed: int,
    contest: str,
    pages: list[int],
    severities: list[str],
    paslon: int = 0,
    kind: str | None = None,
    slip_rate: float = 0.1,
    max_side: int = 0,
    hand: str = "test",
) -> list[Job]:
    """`n` jobs cycling over pages, then severities (1,000 per page for n = 3,000 and three pages). Each run
    of consecutive pages is one TPS (one sheet), so page 3's V.A is the sum of page 2's totals across photos.
    """
    return [
        Job(
            seed,
            i,
            contest,
            pages[i % len(pages)],
            severities[(i // len(pages)) % len(severities)],
            paslon,
            kind,
            slip_rate,
            tps_index=i // len(pages),
            max_side=max_side,
            hand=hand,
        )
        for i in range(n)
    ]


def load(source: str | Job) -> tuple[bytes, dict[str, Any]]:
    """A corpus photo and its truth: from `write`'s files (`<name>.json` beside `<name>.jpg`), or made now."""
    if isinstance(source, str):
        path = Path(source)
        return path.with_suffix(".jpg").read_bytes(), json.loads(path.read_text("utf-8"))
    sample = make_one(source)
    return sample.jpeg, sample.truth


def write(sample: Sample, out: Path) -> None:
    (out / f"{sample.name}.jpg").write_bytes(sample.jpeg)
    (out / f"{sample.name}.json").write_text(json.dumps(sample.truth, indent=1, sort_keys=True), "utf-8")


def _make_and_write(args: tuple[Job, Path]) -> str:
    s = make_one(args[0])
    write(s, args[1])
    return s.name


def run(
    job_list: list[Job], out: Path, workers: int = 0, progress: Callable[[str], None] | None = None
) -> int:
    """Writes every job's photo and truth to `out` using `workers` processes (0: all cores)."""
    out.mkdir(parents=True, exist_ok=True)
    workers = workers or mp.cpu_count()
    done = 0
    items = [(j, out) for j in job_list]
    results: Iterator[str]
    if workers == 1:
        _keep_freed_memory()
        results = map(_make_and_write, items)
        for name in results:
            done += 1
            if progress:
                progress(name)
        return done
    ctx = mp.get_context("fork")
    with ctx.Pool(workers, initializer=_worker_init) as pool:
        for name in pool.imap_unordered(_make_and_write, items, chunksize=4):
            done += 1
            if progress:
                progress(name)
    return done
