"""Doubts settled blind at the TPS: how many fields reach the PPS, and how many wrong numbers are counted.

    python bench/kpps.py --n 300 --seed 7100 --workers 2         # 100 held-out TPS (pages 1-3), generated
    python bench/kpps.py --dir corpus/ --workers 2                 # or a corpus made by `tally samples make`
    python bench/kpps.py --n 900 --cache /tmp/kpps.json            # read once, then simulate people again

Each TPS's photos are read by the real reader and decoded together (`decode_tps`, as the worker stores them).
Then, for every field the reader did not accept, a simulated KPPS looks at the paper and types the number
blind (never shown the machine's), slipping as tired people do: a typo in `--typo` of answers (a digit
changed, dropped, doubled or two swapped) and the number of another row of the same page in `--wrong-row`.
The TPS is decoded again with those answers as one more witness (`Evidence.human`).

A KPPS number that disagrees with the machine's is typed once more (`--look-again`, the page asks for one
more look without showing the machine's number). Then the PPS: the fields the KPPS left, typed blind from
the crop, against today's rule (every reader doubt typed beside the machine's number); a number other than
the one that counts needs a second officer. Printed per kelurahan of `--kelurahan-tps` TPS, with the PPS
minutes at `--think-s` seconds a field.

Rows, in one run on the same readings:
- reader alone: fields settled without a person (today's rule);
- "sesuai" (the 2024 set-up, the baseline): the officer is shown the machine's number and confirms it, so
  every doubt counts as read: all fields settled, and every misread among the doubts is counted;
- reader + blind KPPS: settled by two independent readings, the rest left to the PPS.
For each: share of fields settled before the PPS, wrong numbers counted (accepted and not what was written),
keystrokes per TPS (digits typed + Enter), PPS fields left per TPS, TPS with nothing left for the PPS.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# A sibling of bench/ocr.py: keep this folder off the path so `import ocr` finds the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
os.environ.setdefault("OMP_NUM_THREADS", "1")

import json  # noqa: E402

import cv2  # noqa: E402

from ocr.corpus.make import load  # noqa: E402
from ocr.decode import check_holds  # noqa: E402
from ocr.fields import decode_tps  # noqa: E402
from ocr.reader import PhotoReader  # noqa: E402
from ocr.reading import FieldReading, Reading  # noqa: E402
from reconcile.contest import Contest, builtin_contest  # noqa: E402

_READER: PhotoReader | None = None


def _init() -> None:
    global _READER
    cv2.setNumThreads(1)
    _READER = PhotoReader()


def read_one(source: Any) -> tuple[tuple[Any, ...], dict[str, Any], dict[str, Any], int]:
    assert _READER is not None
    jpeg, truth = load(source)
    reading = _READER.read(jpeg, tps=truth.get("tps"))
    tps = (truth["contest"], truth["severity"], truth["seed"], truth["index"] // 3)  # 3 pages per TPS
    return tps, reading.to_json(), truth["fields"], int(truth["page"])


def typo(value: int, rng: random.Random) -> int:
    """A tired officer's slip on the keypad: a digit changed, dropped, doubled, or two neighbours swapped."""
    s = str(value)
    kind = rng.choice(["change", "drop", "double", "swap"] if len(s) > 1 else ["change", "double"])
    i = rng.randrange(len(s))
    if kind == "change":
        s = s[:i] + rng.choice([d for d in "0123456789" if d != s[i]]) + s[i + 1 :]
    elif kind == "drop":
        s = s[:i] + s[i + 1 :]
    elif kind == "double":
        s = s[:i] + s[i] + s[i:]
    else:
        j = min(i, len(s) - 2)
        s = s[:j] + s[j + 1] + s[j] + s[j + 2 :]
    return int(s) if s != str(value) else typo(value, rng)


@dataclass
class Tally:
    fields: int = 0
    settled: int = 0
    wrong: int = 0
    keystrokes: int = 0
    left: int = 0
    tps: int = 0
    tps_done: int = 0

    def add(self, fields: dict[str, FieldReading], truth: dict[str, int | None], keys: int = 0) -> None:
        self.tps += 1
        self.keystrokes += keys
        left = 0
        for name, true in truth.items():
            f = fields[name]
            self.fields += 1
            if f.status == "accepted":
                self.settled += 1
                self.wrong += f.value != true
            else:
                left += 1
        self.left += left
        self.tps_done += left == 0


@dataclass
class Effort:
    """The PPS's work: fields typed, fields a second officer must decide, TPS that need two officers."""

    typed: int = 0
    second: int = 0
    tps: int = 0
    tps_two: int = 0

    def add(self, second: list[str]) -> None:
        self.tps += 1
        self.second += len(second)
        self.tps_two += bool(second)


def blind_answers(
    doubts: list[str], truth: dict[str, int | None], page_of: dict[str, int], rng: random.Random, args: Any
) -> dict[str, int]:
    """What the KPPS types for each doubtful field, looking at the paper (the truth) and slipping."""
    answers: dict[str, int] = {}
    for name in doubts:
        true = truth[name] or 0
        roll = rng.random()
        if roll < args.wrong_row:
            same_page = [n for n in truth if n != name and page_of[n] == page_of[name]]
            answers[name] = truth[rng.choice(same_page)] or 0
        elif roll < args.wrong_row + args.typo:
            answers[name] = typo(true, rng)
        else:
            answers[name] = true
    return answers


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300, help="photos to generate (pages 1-3 of n/3 TPS)")
    ap.add_argument("--seed", type=int, default=7100)
    ap.add_argument("--severity", default="moderate")
    ap.add_argument("--dir", action="append", default=[], help="corpus directories (`tally samples make`)")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--typo", type=float, default=0.02, help="share of blind answers with a keypad slip")
    ap.add_argument("--wrong-row", type=float, default=0.01, help="share copied from another row")
    ap.add_argument("--cache", help="keep the readings in this JSON file and reuse them on the next run")
    ap.add_argument(
        "--kelurahan-tps", type=int, default=15, help="TPS per kelurahan for the PPS effort table"
    )
    ap.add_argument("--think-s", type=float, default=8.0, help="seconds a PPS spends on a field")
    ap.add_argument(
        "--look-again",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="a KPPS answer that disagrees is typed once more, blind (as the page asks)",
    )
    args = ap.parse_args()

    if args.dir:
        sources: list[Any] = [str(p) for d in args.dir for p in sorted(Path(d).glob("*.json"))]
    else:
        from ocr.corpus.make import jobs

        sources = list(jobs(args.n, args.seed, "ppwp-2024", [1, 2, 3], args.severity.split(",")))
    by_tps: dict[tuple[Any, ...], list[tuple[dict[str, Any], dict[str, Any], int]]] = defaultdict(list)
    cache = Path(args.cache) if args.cache else None
    if cache is not None and cache.exists():  # the readings of an earlier run: only the people are simulated
        for tps, reading, truth, page in json.loads(cache.read_text("utf-8")):
            by_tps[tuple(tps)].append((reading, truth, page))
    else:
        with mp.get_context("fork").Pool(max(1, args.workers), _init) as pool:
            for tps, reading, truth, page in pool.imap_unordered(read_one, sources, chunksize=2):
                by_tps[tps].append((reading, truth, page))
        if cache is not None:
            rows = [(list(k), *page) for k, pages in by_tps.items() for page in pages]
            cache.write_text(json.dumps(rows), "utf-8")

    rng = random.Random(args.seed)
    alone, sesuai, blind = Tally(), Tally(), Tally()
    today, now = Effort(), Effort()
    asked = slipped = rejected = 0
    why: dict[str, int] = defaultdict(int)
    for key, pages in sorted(by_tps.items()):
        if len(pages) != 3:
            continue  # a TPS whose pages were not all generated (n not a multiple of 3)
        contest = builtin_contest(key[0])
        readings = [Reading.from_json(r) for r, _, _ in pages]
        read = {n for r in readings if r.rejected is None for n in r.fields}  # a rejected page is retaken
        rejected += sum(r.rejected is not None for r in readings)
        truth = {n: v for _, t, _ in pages for n, v in t.items() if n in read}
        page_of = {n: p for _, t, p in pages for n in t}
        fields = decode_tps(readings, contest)
        alone.add(fields, truth)
        doubts = [n for n in truth if fields[n].status != "accepted"]
        confirmed = {n: FieldReading(n, f.value, f.confidence, "accepted") for n, f in fields.items()}
        sesuai.add(confirmed, truth, keys=len(doubts))  # one tap on "sesuai" per doubt
        answers = blind_answers(doubts, truth, page_of, rng, args)
        asked += len(answers)
        slipped += sum(answers[n] != (truth[n] or 0) for n in answers)
        keys = sum(len(str(v)) + 1 for v in answers.values())
        after = decode_tps(readings, contest, human=answers)
        if args.look_again:
            # The page says only "belum cocok, lihat lagi formulirnya" (never the machine's number) and the
            # KPPS types the field once more, as blind as the first time.
            again = [n for n in doubts if after[n].status != "accepted" and answers[n] != fields[n].value]
            second = blind_answers(again, truth, page_of, rng, args)
            asked += len(second)
            slipped += sum(second[n] != (truth[n] or 0) for n in second)
            keys += sum(len(str(v)) + 1 for v in second.values())
            answers |= second
            after = decode_tps(readings, contest, human=answers)
        blind.add(after, truth, keys)
        for n in truth:
            if after[n].status != "accepted":
                why[_why(after[n], answers.get(n), truth[n], n, truth, contest)] += 1
        # The PPS. Before this issue: every field the reader doubted, typed beside the machine's number; a
        # number other than the one that counts opens a correction a second officer approves.
        typed = blind_answers(doubts, truth, page_of, rng, args)
        today.add([n for n in doubts if typed[n] != fields[n].value])
        today.typed += len(doubts)
        # Now: the fields the KPPS left, typed blind; the reader's own number with every check holding
        # settles with one officer, anything else goes to a second officer side by side.
        left = [n for n in truth if after[n].status != "accepted"]
        pps = blind_answers(left, truth, page_of, rng, args)
        final = decode_tps(readings, contest, human=answers | pps)
        # A PPS number equal to the one that counts confirms it at once (the service's `check`), even where
        # the paper's own arithmetic is off; a different one waits for a second officer.
        now.add([n for n in left if final[n].status != "accepted" and pps[n] != fields[n].value])
        now.typed += len(left)

    print(
        f"{alone.tps} TPS ({args.severity}), {alone.fields} fields on the pages read ({rejected} photos"
        f" refused for a retake); {asked} blind answers, {slipped} of them slipped"
    )
    print()
    print(f"| {'':34} | settled before PPS | wrong counted | keys / TPS | PPS fields / TPS | TPS done |")
    print(f"|{'-' * 36}|{'-' * 20}|{'-' * 15}|{'-' * 12}|{'-' * 18}|{'-' * 10}|")
    for label, t in (
        ("reader alone", alone),
        ('baseline: KPPS taps "sesuai"', sesuai),
        ("reader + blind KPPS answers", blind),
    ):
        print(
            f"| {label:34} | {100 * t.settled / max(1, t.fields):17.2f}% | {t.wrong:13d} "
            f"| {t.keystrokes / max(1, t.tps):10.1f} | {t.left / max(1, t.tps):16.2f} "
            f"| {100 * t.tps_done / max(1, t.tps):7.1f}% |"
        )
    print()
    print(
        "left to the PPS, by cause: "
        + ", ".join(f"{k} {v}" for k, v in sorted(why.items(), key=lambda t: -t[1]))
    )
    per = args.kelurahan_tps
    print()
    print(f"PPS effort per kelurahan of {per} TPS (think time {args.think_s:.0f} s a field typed):")
    print()
    print(f"| {'':40} | fields typed | 2nd officer fields | TPS needing 2 officers | PPS minutes |")
    print(f"|{'-' * 42}|{'-' * 14}|{'-' * 20}|{'-' * 24}|{'-' * 13}|")
    for label, e in (
        ("before: PPS sees the machine's number", today),
        ("now: KPPS then PPS, both blind", now),
    ):
        k = per / max(1, e.tps)
        print(
            f"| {label:40} | {e.typed * k:12.1f} | {e.second * k:18.1f} | {e.tps_two * k:22.1f} "
            f"| {(e.typed + e.second) * k * args.think_s / 60:11.1f} |"
        )


def _why(
    f: FieldReading,
    typed: int | None,
    true: int | None,
    name: str,
    truth: dict[str, int | None],
    contest: Contest,
) -> str:
    """Why a field still needs the PPS after the blind answer (the bench's own words, not the page's)."""
    if typed is not None and typed != (true or 0):
        return "the KPPS slipped"
    if (f.reason or "").startswith("Petugas menulis"):
        return "the machine read otherwise (KPPS typed it right)"
    if f.digits and any(d.flags for d in f.digits):
        return "a box flag (" + ",".join(sorted({g for d in f.digits for g in d.flags})) + ")"
    mine = [c for c in contest.checks if name in c.fields() and set(c.fields()) <= set(truth)]
    if any(check_holds(c, truth) is False for c in mine):
        return "a check broken on the paper itself (an officer's slip)"
    if f.reason and any(c.hint and f.reason.startswith(c.hint) for c in mine):
        return "a check a partner in dispute breaks (a slip or a misread there)"
    return "no second reading agrees yet"


if __name__ == "__main__":
    main()
