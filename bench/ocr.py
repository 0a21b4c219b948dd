"""OCR benchmark on a held-out corpus: per severity and page, the reader against two baselines.

    python bench/ocr.py --n 300 --seed 9001            # generate in-process (held-out TEST handwriting)
    python bench/ocr.py --dir corpus/ --limit 3000     # or read a corpus made by `tally samples make`
    python bench/ocr.py --dir corpus/ --workers 2      # photos spread over processes, each timed alone
    python bench/ocr.py --dir corpus/ --long-side 2000 # each photo re-encoded as the KPPS phone sends it

Prints, per severity × page: digit accuracy, field accuracy, forms auto-accepted, SILENT ERRORS (a wrong
value with status accepted), reviews that were right all along, digit boxes the reader framed > 0.35 box
widths from where the camera put them (misplaced: a wrong marker or registration), unusable photos
rejected, median/p95 ms per photo, and peak memory. Then per severity and TPS (the corpus's consecutive
pages 1–3 are one TPS's form), what the service stores: the pages decoded together (`decode_tps`, page 3's
V.A against Σ page 2), forms whose every field is accepted, and silent errors; every silent error is listed
by photo and field. Baselines in the same run, on the same straightened pages: Tesseract reading each digit
box (psm 10, digits only), and the CNN's per-box argmax without joint decoding; both "accept" everything,
as Sirekap did, so their silent errors are their wrong fields. Timings are on one core.

`--long-side N` re-encodes every photo as the KPPS page does before it uploads (static/kpps/kpps.js): turned
upright by its EXIF orientation, scaled to a long side of N, JPEG quality 0.9 without EXIF, like
`createImageBitmap(…, {imageOrientation: "from-image"})` → canvas → `toBlob("image/jpeg", 0.9)`; a photo
already within N is sent as it is. The truth's box quads are scaled with it. The time to re-encode is the
phone's, not counted in ms/photo. `--paired` also reads each photo as made and counts, field by field, what
the smaller copy changed (accepted ↔ review, right ↔ wrong, read ↔ rejected): the differences between two
runs are small, and only the pairs say which way they go.

`--model PATH` reads with another digit model (its JSON beside it); `--baseline-model PATH` runs the whole
bench a second time with that model first and ends with both side by side (fields accepted, forms whose
every field is accepted, silent errors, median ms per photo, and the dashes some officers write in unused
leading boxes: how many were read as a digit, and as 1).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from io import BytesIO
from pathlib import Path
from typing import Any

# This file is named ocr.py: keep its own folder off the path so `import ocr` finds the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import pytesseract  # noqa: E402
from PIL import Image, ImageOps  # noqa: E402

from ocr.cells import cut_cell, paper_level  # noqa: E402
from ocr.corpus.make import load  # noqa: E402
from ocr.decode import BLANK_CLASS  # noqa: E402
from ocr.digits import DigitClassifier  # noqa: E402
from ocr.fields import decode_tps  # noqa: E402
from ocr.reader import DECODE_LONG_SIDE, READ_PX_PER_MM, PhotoReader, decode_photo, load_digit_model  # noqa: E402
from ocr.reading import Reading  # noqa: E402
from reconcile.contest import builtin_contest  # noqa: E402

cv2.setNumThreads(1)


def _truth_digit(box: dict[str, Any]) -> int | None:
    return int(box["digit"]) if box.get("content") == "digit" else None


MISPLACED = 0.35  # box widths between where the reader framed a box and where the camera put it


def _off(quad: Any, true: Any) -> float:
    """Distance from the reader's box centre to the truth's, in box widths (0 when the truth has no quad)."""
    if true is None:
        return 0.0
    t = np.asarray(true, dtype=np.float64)
    d = np.asarray(quad, dtype=np.float64).mean(axis=0) - t.mean(axis=0)
    return float(np.hypot(*d) / np.hypot(*(t[1] - t[0])))


def _value(digits: list[int | None]) -> int | None:
    if all(d is None for d in digits):
        return None
    return int("".join(str(d or 0) for d in digits))


def baselines(reader: PhotoReader, jpeg: bytes, truth: dict[str, Any], stats: dict[str, Any]) -> None:
    """Tesseract per box and the CNN's argmax per box, on the page the reader straightens and
    re-registers (so the baselines differ from the reader only in how a box becomes a number)."""
    from ocr.locate import locate

    photo = decode_photo(jpeg, DECODE_LONG_SIDE)
    found = locate(photo, reader.frames, reader.blanks)
    if found is None:
        return
    tag = found.frame.tag_id
    spec = reader.layouts[tag]
    page = found.straighten(photo, READ_PX_PER_MM)
    if tag in reader.registrars:
        page = reader.registrars[tag].apply(page)[0]
    paper = paper_level(page)
    crops, keys = [], []
    for n in spec.numbers:
        for i, b in enumerate(n.boxes):
            crops.append(cut_cell(page, b, READ_PX_PER_MM, paper, i, reader.printed[tag]).crop)
            keys.append((n.field, i))
    readers: dict[str, list[int | None]] = {}
    if reader.model is not None:
        probs = np.asarray(reader.model.predict(crops))
        readers["cnn"] = [None if int(k) == BLANK_CLASS else int(k) for k in probs.argmax(axis=1)]
    tess = []
    for c in crops:
        big = cv2.copyMakeBorder(
            cv2.resize(c, None, fx=1.5, fy=1.5), 10, 10, 10, 10, cv2.BORDER_CONSTANT, value=255
        )
        txt = pytesseract.image_to_string(
            big, config="--psm 10 -c tessedit_char_whitelist=0123456789"
        ).strip()
        tess.append(int(txt[0]) if txt[:1].isdigit() else None)
    readers["tesseract"] = tess
    for name, got in readers.items():
        per_field: dict[str, list[int | None]] = defaultdict(list)
        for (field, i), d in zip(keys, got, strict=True):
            box = truth["boxes"].get(f"{field}/{i}", {})
            stats[name]["digits"] += 1
            stats[name]["digits_ok"] += d == _truth_digit(box)
            per_field[field].append(d)
        for field, ds in per_field.items():
            ok = _value(ds) == truth["fields"].get(field)
            stats[name]["fields"] += 1
            stats[name]["fields_ok"] += ok
            stats[name]["silent"] += not ok  # no checks: every reading is published


PHONE_QUALITY = 90  # canvas.toBlob("image/jpeg", 0.9)


def as_phone_sends(jpeg: bytes, truth: dict[str, Any], long_side: int) -> bytes:
    """The photo as the KPPS page uploads it at `long_side` (upright, scaled, re-encoded; no EXIF), and the
    truth's box quads scaled to match (they are in upright pixels already)."""
    with Image.open(BytesIO(jpeg)) as im:
        s = long_side / max(im.size)
        if s >= 1.0:
            return jpeg  # small enough: the page sends the camera's own file
        upright = ImageOps.exif_transpose(im).convert("RGB")
    size = (round(upright.width * s), round(upright.height * s))
    upright = upright.resize(size, Image.Resampling.LANCZOS)
    for box in truth["boxes"].values():
        if box.get("quad") is not None:
            box["quad"] = (np.asarray(box["quad"], dtype=np.float64) * s).tolist()
    out = BytesIO()
    upright.save(out, format="JPEG", quality=PHONE_QUALITY)
    return out.getvalue()


_READER: PhotoReader | None = None
_ARGS: argparse.Namespace | None = None


def _init(args: argparse.Namespace, model: Path | None) -> None:
    global _READER, _ARGS
    cv2.setNumThreads(1)
    digits = DigitClassifier.load(model) if model else None
    _READER, _ARGS = PhotoReader(model=digits, register=not args.no_register), args


def score(item: tuple[int, Any]) -> dict[str, Any]:
    """One photo's counters (its severity × page group), CPU ms, and the baselines' counters."""
    k, source = item
    assert _READER is not None and _ARGS is not None
    jpeg, truth = load(source)
    made = jpeg
    if _ARGS.long_side:
        jpeg = as_phone_sends(jpeg, truth, _ARGS.long_side)
    sev, page = truth["severity"], int(truth["page"])
    g: dict[str, float] = defaultdict(float)
    silent: list[str] = []
    t = time.process_time()  # CPU time of this single-threaded process: fair on a shared machine
    r = _READER.read(jpeg, tps=truth.get("tps"))
    ms = (time.process_time() - t) * 1000
    g["photos"] += 1
    g["rejected"] += r.rejected is not None
    base: dict[str, Any] = {"cnn": defaultdict(int), "tesseract": defaultdict(int)}
    if r.rejected is None:
        g["page_ok"] += r.page == page
        all_ok = bool(r.fields)
        for name, f in r.fields.items():
            true = truth["fields"].get(name)
            g["fields"] += 1
            g["fields_ok"] += f.value == true
            g["accepted"] += f.status == "accepted"
            g["silent"] += f.status == "accepted" and f.value != true
            if f.status == "accepted" and f.value != true:
                silent.append(f"{truth['photo']} {name}: read {f.value}, written {true}")
            g["review_right"] += f.status == "review" and f.value == true
            all_ok &= f.status == "accepted"
            for i, d in enumerate(f.digits):
                box = truth["boxes"].get(f"{name}/{i}", {})
                g["digits"] += 1
                g["digits_ok"] += d.value == _truth_digit(box)
                g["misplaced"] += _off(d.quad, box.get("quad")) > MISPLACED
                if box.get("mark") == "dash":  # an unused leading box dashed: "no digit", never a 1
                    g["dashes"] += 1
                    g["dash_digit"] += d.value is not None
                    g["dash_1"] += d.value == 1
        g["forms_auto"] += all_ok
        if _ARGS.baseline_every and k % _ARGS.baseline_every == 0 and sev != "unusable":
            baselines(_READER, jpeg, truth, base)
    tps = (truth["contest"], sev, truth["seed"], truth["index"] // 3)  # `tally samples make`: 3 pages per TPS
    return {
        "key": (sev, page),
        "g": dict(g),
        "ms": ms,
        "base": base,
        "silent": silent,
        "tps": tps,
        "reading": r.to_json(),
        "truth": truth["fields"],
        "photo": truth["photo"],
        "flips": flips(_READER.read(made, tps=truth.get("tps")), r, truth) if _ARGS.paired else {},
        "bytes": len(jpeg),
    }


def flips(made: Reading, sent: Reading, truth: dict[str, Any]) -> dict[str, int]:
    """How the photo as sent (--long-side) changed the reading of the photo as made, field by field."""
    out: dict[str, int] = defaultdict(int)
    if (made.rejected is None) != (sent.rejected is None):
        out["rejected→read" if made.rejected else "read→rejected"] += 1
    if made.rejected or sent.rejected:
        return dict(out)
    for name, a in made.fields.items():
        b, true = sent.fields.get(name), truth["fields"].get(name)
        if b is None:
            continue
        if (a.status == "accepted") != (b.status == "accepted"):
            out["accepted→review" if a.status == "accepted" else "review→accepted"] += 1
        if (a.value == true) != (b.value == true):
            out["right→wrong" if a.value == true else "wrong→right"] += 1
    return dict(out)


def score_tps(
    pages: list[tuple[dict[str, Any], dict[str, Any], str]], contest: str
) -> tuple[dict[str, float], list[str]]:
    """One TPS's pages decoded together, as the service stores them: counters and its silent errors."""
    g: dict[str, float] = defaultdict(float)
    silent: list[str] = []
    readings = [Reading.from_json(r) for r, _, _ in pages]
    truth = pages[0][1]
    read = {n for r in readings if r.rejected is None for n in r.fields}
    fields = decode_tps(readings, builtin_contest(contest))
    g["tps"] += 1
    g["complete"] += len({r.page for r in readings if r.rejected is None}) == 3
    all_ok = g["complete"] == 1
    for name in read:
        f, true = fields[name], truth.get(name)
        g["fields"] += 1
        g["fields_ok"] += f.value == true
        g["accepted"] += f.status == "accepted"
        all_ok &= f.status == "accepted"
        if f.status == "accepted" and f.value != true:
            g["silent"] += 1
            silent.append(f"TPS of {pages[0][2]} {name}: read {f.value}, written {true}")
    g["forms_auto"] += all_ok
    return g, silent


def _sources(args: argparse.Namespace) -> list[Any]:
    if args.dir:
        return [str(p) for d in args.dir for p in sorted(Path(d).glob("*.json"))[: args.limit]]
    from ocr.corpus.make import jobs

    return list(jobs(args.n, args.seed, "ppwp-2024", [1, 2, 3], args.severity.split(",")))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=120, help="photos to generate (3 pages cycle)")
    ap.add_argument("--seed", type=int, default=9001)
    ap.add_argument("--severity", default="clean,moderate,harsh,unusable")
    ap.add_argument("--dir", action="append", default=[], help="read corpus directories (repeatable)")
    ap.add_argument("--limit", type=int, default=3000, help="photos per directory")
    ap.add_argument("--no-register", action="store_true", help="skip local re-registration (the before)")
    ap.add_argument("--baseline-every", type=int, default=5, help="run the baselines on every k-th photo")
    ap.add_argument("--workers", type=int, default=1, help="processes (each single-threaded, timed alone)")
    ap.add_argument("--long-side", type=int, default=0, help="re-encode as the KPPS phone sends (0: as made)")
    ap.add_argument("--paired", action="store_true", help="with --long-side: also read each photo as made")
    ap.add_argument("--model", type=Path, help="digit model (ONNX, JSON beside it), not the committed one")
    ap.add_argument("--baseline-model", type=Path, help="also run with this digit model; both side by side")
    args = ap.parse_args()
    runs = {}
    if args.baseline_model:
        runs["baseline"] = bench(args, args.baseline_model)
    runs["new"] = bench(args, args.model)
    if len(runs) > 1:
        compare(runs)


def bench(args: argparse.Namespace, model_path: Path | None) -> dict[str, Any]:
    """One whole run with one digit model: prints its report and returns the figures `compare` shows."""
    groups: dict[tuple[str, int], dict[str, Any]] = defaultdict(lambda: defaultdict(float))
    ms: dict[str, list[float]] = defaultdict(list)
    base: dict[str, Any] = {"cnn": defaultdict(int), "tesseract": defaultdict(int)}
    items = list(enumerate(_sources(args)))
    # Readers always run in pool processes, even one: the parent keeps every reading for the TPS decode, and
    # its memory is not a reading process's.
    pool = mp.get_context("fork").Pool(max(1, args.workers), _init, (args, model_path))
    results: Iterable[dict[str, Any]] = pool.imap_unordered(score, items, chunksize=4)
    silent: list[str] = []
    by_tps: dict[tuple[Any, ...], list[tuple[dict[str, Any], dict[str, Any], str]]] = defaultdict(list)
    changed: dict[str, int] = defaultdict(int)
    sent: list[int] = []
    for res in results:
        sent.append(res["bytes"])
        for k, v in res["flips"].items():
            changed[k] += v
        for k, v in res["g"].items():
            groups[res["key"]][k] += v
        silent += res["silent"]
        by_tps[res["tps"]].append((res["reading"], res["truth"], res["photo"]))
        ms[res["key"][0]].append(res["ms"])
        ms[f"{res['key'][0]} p{res['key'][1]}"].append(res["ms"])
        for name, counts in res["base"].items():
            for k, v in counts.items():
                base[name][k] += v
    pool.close()
    pool.join()  # the workers' peak memory is known once they have ended
    # the workers' model; the parent need not build a whole reader for its name
    model = DigitClassifier.load(model_path).version if model_path else load_digit_model()[1]
    how = f"long side {args.long_side} px, JPEG q{PHONE_QUALITY}" if args.long_side else "as made"
    print(f"photos as sent: {how}, mean {statistics.mean(sent) / 1024:.0f} kB")
    report(groups, ms, base, model)
    tps_groups: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for key, pages in sorted(by_tps.items()):
        if key[1] == "unusable":
            continue
        g, s = score_tps(pages, key[0])
        for k, v in g.items():
            tps_groups[key[1]][k] += v
        silent += s
    report_tps(tps_groups)
    if args.paired:
        order = (
            "accepted→review",
            "review→accepted",
            "right→wrong",
            "wrong→right",
            "read→rejected",
            "rejected→read",
        )
        print("paired with each photo as made: " + ", ".join(f"{k} {changed[k]}" for k in order))
    print(f"silent errors ({len(silent)}):" if silent else "silent errors: none")
    for line in sorted(silent):
        print("  " + line)
    pages: dict[str, float] = defaultdict(float)
    for g in groups.values():
        for k, v in g.items():
            pages[k] += v
    tps: dict[str, float] = defaultdict(float)
    for g in tps_groups.values():
        for k, v in g.items():
            tps[k] += v
    every = [x for key, xs in ms.items() if " p" not in key for x in xs]
    return {"model": model, "pages": pages, "tps": tps, "silent": len(silent), "ms": statistics.median(every)}


def compare(runs: dict[str, dict[str, Any]]) -> None:
    """The runs side by side (all severities of the run together)."""
    names = list(runs)
    rows: list[tuple[str, list[str]]] = [("digit model", [r["model"] for r in runs.values()])]
    for label, fn in (
        ("digit accuracy (pages)", lambda r: _pct(r["pages"]["digits_ok"], r["pages"]["digits"])),
        ("fields accepted (pages)", lambda r: _pct(r["pages"]["accepted"], r["pages"]["fields"])),
        (
            "fields accepted (TPS, pages decoded together)",
            lambda r: _pct(r["tps"]["accepted"], r["tps"]["fields"]),
        ),
        ("field accuracy (TPS)", lambda r: _pct(r["tps"]["fields_ok"], r["tps"]["fields"])),
        (
            "forms with every field accepted (TPS)",
            lambda r: _pct(r["tps"]["forms_auto"], r["tps"]["complete"]),
        ),
        ("SILENT errors (pages + TPS)", lambda r: str(r["silent"])),
        ("median ms per photo (CPU, one core)", lambda r: f"{r['ms']:.0f}"),
        ("dashed leading boxes", lambda r: str(int(r["pages"]["dashes"]))),
        (
            "… read as a digit / as 1",
            lambda r: f"{int(r['pages']['dash_digit'])} / {int(r['pages']['dash_1'])}",
        ),
    ):
        rows.append((label, [fn(r) for r in runs.values()]))
    width = max(len(r[0]) for r in rows)
    print(f"{'':{width}}  " + "  ".join(f"{n:>22}" for n in names))
    for label, vals in rows:
        print(f"{label:{width}}  " + "  ".join(f"{v:>22}" for v in vals))


def _pct(a: float, b: float) -> str:
    return f"{100 * a / b:6.2f}%" if b else "     —"


def report(
    groups: dict[tuple[str, int], Any], ms: dict[str, list[float]], base: dict[str, Any], model: str
) -> None:
    print(
        f"{'severity':9} {'page':>4} {'photos':>6} {'rejected':>8} {'digit acc':>9} {'field acc':>9} "
        f"{'auto form':>9} {'accepted':>8} {'SILENT':>6} {'rev.right':>9} {'misplaced':>9}"
    )
    for (sev, page), g in sorted(groups.items()):
        read = g["photos"] - g["rejected"]
        print(
            f"{sev:9} {page:>4} {int(g['photos']):>6} {_pct(g['rejected'], g['photos']):>8} "
            f"{_pct(g['digits_ok'], g['digits']):>9} {_pct(g['fields_ok'], g['fields']):>9} "
            f"{_pct(g['forms_auto'], read):>9} {_pct(g['accepted'], g['fields']):>8} {int(g['silent']):>6} "
            f"{int(g['review_right']):>9} {int(g['misplaced']):>9}"
        )
    for sev, xs in sorted(ms.items()):
        q = statistics.quantiles(xs, n=20) if len(xs) > 1 else xs * 19
        print(
            f"time {sev:9}: median {statistics.median(xs):6.0f} ms, p95 {q[18]:6.0f} ms (CPU time, one core)"
        )
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest of the ended readers
    print(f"peak memory: {peak / 1024:.0f} MB per reading process")
    print(f"digit model: {model}")
    for name, s in base.items():
        if not s["fields"]:
            continue
        print(
            f"baseline {name:9}: digit acc {_pct(s['digits_ok'], s['digits'])}, field acc "
            f"{_pct(s['fields_ok'], s['fields'])}, silent errors {s['silent']} of {s['fields']} fields "
            "(accepts everything)"
        )


def report_tps(groups: dict[str, dict[str, float]]) -> None:
    print(
        f"{'severity':9} {'TPS':>5} {'3 pages':>7} {'field acc':>9} {'auto form':>9} {'accepted':>8} "
        f"{'SILENT':>6}   (pages decoded together, as stored)"
    )
    for sev, g in sorted(groups.items()):
        print(
            f"{sev:9} {int(g['tps']):>5} {int(g['complete']):>7} {_pct(g['fields_ok'], g['fields']):>9} "
            f"{_pct(g['forms_auto'], g['complete']):>9} {_pct(g['accepted'], g['fields']):>8} "
            f"{int(g['silent']):>6}"
        )


if __name__ == "__main__":
    main()
