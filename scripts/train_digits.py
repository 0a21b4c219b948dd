"""Train the 11-class digit-box recognizer (0–9, X/blank) and write the ONNX model and its metadata.

    uv pip install --python .venv/bin/python torch==2.13.0 onnx --find-links /opt/wheels  # CPU torch, onnx
    git show 24f7525:src/ocr/digits/model/digits.onnx > /tmp/digits-rendered.onnx   # the rendered-box model
    git show 24f7525:src/ocr/digits/model/digits.json > /tmp/digits-rendered.json
    python scripts/train_digits.py --init /tmp/digits-rendered.onnx   # the committed model, ~15 min

The committed model is that rendered-box model fine-tuned (defaults) on the crops the reader itself cuts from
TRAIN-hand corpus photos (`--photos`, `ocr.digits.pipeline_crops`) mixed with 1.5 rendered boxes per photo
crop, a quarter of whose digits and 40 % of whose X marks come from the stroke model's TRAIN writers
(`ocr.corpus.strokes`: dashes, small crosses, "λ", flagged 1s, open 4s, crossed 7s…). The temperature is
fitted on the VALIDATION photo crops and on rendered boxes of never-trained VALIDATION families, the higher
kept; the "angular" stroke family (TEST only) is scored with its confident misreads. The rendered-box model
(24f7525) predates the stroke model: `--photos 0 --pools 2 --harder 2 --epochs 5 --lr 3e-3 --stroke-share 0
--mark-share 0 --calibrate photos --second-look 0` without `--init`.

Reproducible: every box crop is rendered from a fixed seed and every corpus photo is made from a fixed seed
with one split's hands (TRAIN for training, VALIDATION for picking the epoch and fitting the temperature, TEST
only for the scores written into the metadata); torch is seeded and runs deterministic single-process CPU
kernels. The model has 12 outputs (0–9, X, empty); the runtime merges X and empty into the 11th class and
keeps them apart in `predict_marks`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ocr.corpus.handwriting import FAMILIES, MNIST_BOUNDS, Handwriting, Split
from ocr.corpus.make import jobs
from ocr.digits.boxes import label_plan, render_box
from ocr.digits.pipeline_crops import PhotoCrops, pipeline_crops
from ocr.digits.preprocess import SIZE, preprocess

OUT = Path(__file__).resolve().parents[1] / "src" / "ocr" / "digits" / "model"
CACHE = Path("/tmp/tally-digit-boxes")
CHUNK = 1000
WORKERS = 2  # rendering processes (the machine has two cores)
Boxes = tuple[np.ndarray, np.ndarray, list[str]]  # preprocessed crops ×255, labels, sources
# VALIDATION families no model trains on: the three VALIDATION fonts and the "quick" stroke family (half the
# digits); the temperature may be fitted on them (`--calibrate family`) rather than on the training population
CALIBRATION_SOURCES = ("font:kaushan-script", "font:bwht-organize", "font:delphine") + ("stroke:quick",) * 3
NEVER_TRAINED = ("stroke:angular",)  # the TEST stroke family: never trained on, never calibrated on


def _chunk(args: tuple[str, int, int, float, bool, float, float, tuple[str, ...]]) -> Boxes:
    split, seed, n, font_share, harder, stroke_share, mark_share, sources = args
    hand = Handwriting(Split(split), font_share=font_share, stroke_share=stroke_share, mark_share=mark_share)
    rng = np.random.default_rng(seed)
    xs, ys, srcs = np.zeros((n, SIZE, SIZE), np.uint8), np.zeros(n, np.int64), []
    for i, label in enumerate(label_plan(rng, n)):
        source = sources[int(rng.integers(len(sources)))] if sources and label < 10 else None
        b = render_box(hand, rng, int(label), source, harder=harder)
        xs[i] = np.round(preprocess(b.crop) * 255)
        ys[i] = label
        srcs.append(b.source)
    return xs, ys, srcs


def boxes(
    split: Split,
    seed: int,
    n: int,
    font_share: float = 0.35,
    harder: bool = False,
    stroke_share: float = 0.0,
    mark_share: float = 0.0,
    sources: tuple[str, ...] = (),
) -> Boxes:
    """`n` preprocessed box crops of `split`, rendered in chunks of CHUNK from seeds seed*1000+k (cached);
    `harder`: glyphs bent and placed more freely (`render_box(harder=True)`, TRAIN only); `stroke_share`,
    `mark_share`: digits and X marks from the stroke model; `sources`: every digit from one of these."""
    extra = f"-s{stroke_share}-m{mark_share}" if stroke_share or mark_share else ""
    extra += f"-{'+'.join(sorted(set(sources)))}" if sources else ""
    path = CACHE / f"{split}-{seed}-{n}-{font_share}{'-harder' if harder else ''}{extra}.npz"
    if path.exists():
        z = np.load(path)
        return z["x"], z["y"], list(z["src"])
    chunks = range(-(-n // CHUNK))
    args = (stroke_share, mark_share, sources)
    jobs = [
        (str(split), seed * 1000 + k, min(CHUNK, n - k * CHUNK), font_share, harder, *args) for k in chunks
    ]
    with mp.get_context("fork").Pool(WORKERS) as pool:
        parts = pool.map(_chunk, jobs)
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    src = [s for p in parts for s in p[2]]
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path, x=x, y=y, src=np.array(src))
    return x, y, src


def photo_boxes(split: Split, seed: int, n: int, severities: tuple[str, ...]) -> PhotoCrops:
    """The crops the reader cuts from `n` corpus photos (PPWP pages 1–3 in turn, `severities` in turn)
    written by `split`'s hands, photographed from seed `seed` (cached)."""
    path = CACHE / f"photos-{split}-{seed}-{n}-{'-'.join(severities)}.npz"
    if path.exists():
        z = np.load(path)
        return PhotoCrops(
            **{k: z[k] for k in z.files if k not in ("photos", "rejected")},
            photos=int(z["photos"]),
            rejected=int(z["rejected"]),
        )
    t0 = time.time()
    c = pipeline_crops(jobs(n, seed, "ppwp-2024", [1, 2, 3], list(severities), hand=str(split)), WORKERS)
    took = time.time() - t0
    print(f"{split} photos: {c.photos} read, {c.rejected} rejected, {len(c.y)} boxes in {took:.0f} s")
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path, **vars(c))
    return c


def net(width: tuple[int, ...] = (16, 32, 64, 64, 128)) -> nn.Module:
    """conv-BN-ReLU ×5 (`width` channels), max-pools to 16×16, 8×8 and 4×4, global average pool, linear."""

    def block(i: int, o: int) -> list[nn.Module]:
        return [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU()]

    c1, c2, c3, c4, c5 = width
    return nn.Sequential(
        *block(1, c1),
        nn.MaxPool2d(2),  # 16×16
        *block(c1, c2),
        nn.MaxPool2d(2),  # 8×8
        *block(c2, c3),
        *block(c3, c4),
        nn.MaxPool2d(2),  # 4×4
        *block(c4, c5),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Dropout(0.2),
        nn.Linear(c5, 12),
    )


def load_onnx(model: nn.Module, path: Path) -> None:
    """Start from an exported model (BatchNorm folded into the convs at export): each conv gets the folded
    weights and its BatchNorm becomes the identity plus the folded bias; keep those BNs in eval mode."""
    import onnx
    from onnx import numpy_helper

    g = onnx.load(str(path)).graph
    init = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in g.initializer}
    convs = [[init[n] for n in node.input[1:]] for node in g.node if node.op_type == "Conv"]
    gemm = next(node for node in g.node if node.op_type == "Gemm")
    layers = list(model)
    with torch.no_grad():
        for conv, bn, (w, b) in zip(
            (m for m in layers if isinstance(m, nn.Conv2d)),
            (m for m in layers if isinstance(m, nn.BatchNorm2d)),
            convs,
            strict=True,
        ):
            conv.weight.copy_(w)
            bn.running_mean.zero_()
            bn.running_var.fill_(1 - bn.eps)
            bn.weight.fill_(1)
            bn.bias.copy_(b)
        linear = layers[-1]
        assert isinstance(linear, nn.Linear)
        linear.weight.copy_(init[gemm.input[1]])
        linear.bias.copy_(init[gemm.input[2]])


def jitter(xb: torch.Tensor, gen: torch.Generator, warp: float = 0.0) -> torch.Tensor:
    """Each crop of the batch moved by a small random affine map: scale ±10%, rotation ±8°, shear ±0.1,
    shift ±2 px; with `warp` > 0 also bent by a smooth random displacement (a 4×4 grid of offsets of σ `warp`
    px, interpolated). Every epoch then sees different crops of the same writers (cheap: 32×32 tensors)."""
    n = len(xb)
    u = torch.rand(n, 5, generator=gen) * 2 - 1
    scale, angle, shear = 1 + 0.1 * u[:, 0], u[:, 1] * (8 * np.pi / 180), 0.1 * u[:, 2]
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [
            torch.stack([cos, -sin + shear, u[:, 3] * (2 / 16)], 1),
            torch.stack([sin, cos, u[:, 4] * (2 / 16)], 1),
        ],
        1,
    )
    grid = nn.functional.affine_grid(theta, list(xb.shape), align_corners=False)
    if warp > 0:
        coarse = torch.randn(n, 2, 4, 4, generator=gen) * (warp * 2 / SIZE)  # px → grid units
        fine = nn.functional.interpolate(coarse, size=(SIZE, SIZE), mode="bicubic", align_corners=True)
        grid = grid + fine.permute(0, 2, 3, 1)
    return nn.functional.grid_sample(xb, grid, padding_mode="zeros", align_corners=False)


def tensor(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(x.astype(np.float32) / 255.0).unsqueeze(1)


def logits_of(model: nn.Module, x: np.ndarray) -> np.ndarray:
    model.eval()
    with torch.no_grad():
        return torch.cat([model(tensor(x[i : i + 1024])) for i in range(0, len(x), 1024)]).numpy()


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The T minimising validation NLL of softmax(logits / T) (a 1-D search is enough)."""

    def nll(t: float) -> float:
        z = logits / t
        z = z - z.max(1, keepdims=True)
        return float(-(z[np.arange(len(y)), y] - np.log(np.exp(z).sum(1))).mean())

    grid = np.exp(np.linspace(np.log(0.3), np.log(5), 200))
    return float(grid[int(np.argmin([nll(t) for t in grid]))])


def merged_accuracy(logits: np.ndarray, y: np.ndarray) -> float:
    """Accuracy on the 11 classes the runtime reports (X and empty are one class)."""
    p = np.minimum(logits.argmax(1), 10)
    return float((p == np.minimum(y, 10)).mean())


def ece(logits: np.ndarray, y: np.ndarray, temperature: float, bins: int = 10) -> float:
    """Expected calibration error of the runtime's 11-class probabilities (as bench/digits.py measures it)."""
    z = logits / temperature
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    p = np.concatenate([p[:, :10], p[:, 10:].sum(1, keepdims=True)], 1)
    conf, right = p.max(1), p.argmax(1) == np.minimum(y, 10)
    k = np.minimum((conf * bins).astype(int), bins - 1)
    return float(sum(abs(conf[k == b].mean() - right[k == b].mean()) * (k == b).mean() for b in set(k)))


def probabilities(logits: np.ndarray, temperature: float) -> np.ndarray:
    """The runtime's 11 calibrated columns (X and empty summed)."""
    z = logits / temperature
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    return np.concatenate([p[:, :10], p[:, 10:].sum(1, keepdims=True)], 1)


def confident_wrong(logits: np.ndarray, y: np.ndarray, temperature: float, at: float = 0.95) -> int:
    """Wrong answers given with a calibrated confidence ≥ `at` (the misreads the decoder would trust)."""
    p = probabilities(logits, temperature)
    return int(((p.argmax(1) != np.minimum(y, 10)) & (p.max(1) >= at)).sum())


def scores(logits: np.ndarray, y: np.ndarray, temperature: float) -> dict[str, float]:
    digits = y < 10
    return {
        "accuracy": round(merged_accuracy(logits, y), 5),
        "digit_accuracy": round(float((logits[digits].argmax(1) == y[digits]).mean()), 5),
        "ece": round(ece(logits, y, temperature), 5),
    }


MIX = ("clean", "moderate", "harsh")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=20240214)
    ap.add_argument("--train", type=int, default=30_000, help="boxes per TRAIN pool")
    ap.add_argument("--pools", type=int, default=1, help="TRAIN pools, seeds seed, seed+3, seed+4, …")
    ap.add_argument(
        "--harder",
        type=int,
        default=1,
        help="TRAIN pools by render_box(harder=True), seeds seed+100, seed+101, …",
    )
    ap.add_argument("--stroke-share", type=float, default=0.25, help="TRAIN digits from the stroke model")
    ap.add_argument(
        "--mark-share",
        type=float,
        default=0.4,
        help="TRAIN X marks from the stroke model (dash, small cross…)",
    )
    ap.add_argument(
        "--calibrate",
        choices=("photos", "family", "both", "max"),
        default="max",
        help="fit the temperature on VALIDATION photo crops, on rendered boxes of the never-trained "
        "VALIDATION families (fonts and the 'quick' stroke family), on both, or on each and keep the "
        "higher (max: as humble as the least familiar of them needs)",
    )
    ap.add_argument(
        "--second-look",
        type=float,
        default=0.99,
        help="boxes below this calibrated confidence are read again shifted ±1 px and averaged (0: off)",
    )
    ap.add_argument("--family-boxes", type=int, default=5_000, help="boxes of the calibration families")
    ap.add_argument("--never-trained", type=int, default=5_000, help="TEST boxes of the 'angular' family")
    ap.add_argument("--warp", type=float, default=0.8, help="σ in px of the per-batch smooth displacement")
    ap.add_argument("--evals", type=int, default=2, help="VALIDATION checks per epoch (the best is kept)")
    ap.add_argument(
        "--width",
        type=lambda v: tuple(int(c) for c in v.split(",")),
        default=(16, 32, 64, 64, 128),
        help="channels of the five convs, e.g. 24,48,80,80,128",
    )
    ap.add_argument("--smoothing", type=float, default=0.05, help="label smoothing")
    ap.add_argument("--mixup", type=float, default=0.0, help="mixup: Beta(a, a) blend of crop pairs (0: off)")
    ap.add_argument(
        "--checkpoint",
        type=Path,
        default=CACHE / "best.pt",
        help="the best state so far (written after every improving epoch)",
    )
    ap.add_argument("--val", type=int, default=5_000)
    ap.add_argument("--test", type=int, default=5_000)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--init", type=Path, help="fine-tune from this ONNX model (BatchNorm frozen)")
    ap.add_argument(
        "--photos",
        type=int,
        default=720,
        help="TRAIN-hand corpus photos (clean, moderate, harsh; pages 1-3) whose reader-cut crops join the "
        "rendered boxes; 0: rendered boxes only",
    )
    ap.add_argument("--val-photos", type=int, default=120, help="VALIDATION-hand photos (epoch, temperature)")
    ap.add_argument("--test-photos", type=int, default=300, help="TEST-hand moderate photos (the score)")
    ap.add_argument(
        "--rendered-ratio",
        type=float,
        default=1.5,
        help="rendered boxes drawn afresh each epoch, per photo crop",
    )
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(1)  # on a shared 2-core machine one thread is 3× faster than two fighting
    torch.use_deterministic_algorithms(True)
    t0 = time.time()
    # seed+1 and seed+2 are VALIDATION and TEST; further TRAIN pools take seed+3 onwards
    shares = {"stroke_share": a.stroke_share, "mark_share": a.mark_share}
    pools = [boxes(Split.TRAIN, a.seed + (k + 2 if k else 0), a.train, **shares) for k in range(a.pools)]
    pools += [boxes(Split.TRAIN, a.seed + 100 + k, a.train, harder=True, **shares) for k in range(a.harder)]
    xre, yre = np.concatenate([p[0] for p in pools]), np.concatenate([p[1] for p in pools])
    xva, yva, _ = boxes(Split.VALIDATION, a.seed + 1, a.val, **shares)
    # seed+5: the calibration families (VALIDATION); seed+6: the never-trained family (TEST, scored once)
    xfam, yfam, _ = boxes(
        Split.VALIDATION, a.seed + 5, a.family_boxes, mark_share=0.5, sources=CALIBRATION_SOURCES
    )
    print(f"rendered {len(xre)} train / {len(xva)} validation boxes in {time.time() - t0:.0f} s", flush=True)
    # Photos: seed+200 TRAIN, seed+201 VALIDATION, seed+202 TEST hands. Only boxes the reader placed on
    # their true box are labelled (one read a row off shows its neighbour's digit).
    photo: dict[str, PhotoCrops] = {}
    if a.photos:
        photo["train"] = photo_boxes(Split.TRAIN, a.seed + 200, a.photos, MIX)
        photo["validation"] = photo_boxes(Split.VALIDATION, a.seed + 201, a.val_photos, MIX)
        photo["test"] = photo_boxes(Split.TEST, a.seed + 202, a.test_photos, ("moderate",))
    placed = {k: (c.x[c.well_placed()], c.y[c.well_placed()]) for k, c in photo.items()}
    xpt, ypt = placed.get("train", (xre[:0], yre[:0]))
    # the validation that picks the epoch and fits the temperature: the reader's crops when there are any
    xsel, ysel = placed.get("validation", (xva, yva))
    n_rendered = min(len(xre), round(a.rendered_ratio * len(xpt))) if a.photos else len(xre)
    per_epoch = len(xpt) + n_rendered

    model = net(a.width)
    if a.init:
        load_onnx(model, a.init)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=1e-4)
    batches = -(-per_epoch // 128)
    warmup = 0.1 if a.init else 0.2
    # --epochs 0 with --init: no training; the model is calibrated, exported and scored as it is
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=a.lr, total_steps=max(1, a.epochs * batches), pct_start=warmup
    )
    # some crops are illegible: don't chase certainty
    loss_fn = nn.CrossEntropyLoss(label_smoothing=a.smoothing)
    gen = torch.Generator().manual_seed(a.seed)
    mix_rng = np.random.default_rng(a.seed)
    best, best_state, best_at = -1.0, None, "0"
    before: dict[str, object] = {}
    if a.init:  # the starting model is a candidate too: fine-tuning must beat it on VALIDATION
        best = merged_accuracy(logits_of(model, xsel), ysel)
        best_state = {k: v.clone() for k, v in model.state_dict().items()}
        init_meta = a.init.with_suffix(".json")
        t_init = json.loads(init_meta.read_text())["temperature"] if init_meta.exists() else 1.0
        before = {k: scores(logits_of(model, x), y, t_init) for k, (x, y) in placed.items() if k != "train"}
        print(f"initial model: validation {best:.4f}; photo crops {before}", flush=True)
    marks = {round(batches * (k + 1) / a.evals) for k in range(a.evals)}  # batches after which to validate
    for epoch in range(a.epochs):
        model.train()
        if a.init:
            for m in model:
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()
        # every photo crop, and rendered boxes drawn afresh (the rendered hands keep what they taught)
        pick = torch.randperm(len(xre), generator=gen)[:n_rendered].numpy()
        xep, yep = np.concatenate([xpt, xre[pick]]), np.concatenate([ypt, yre[pick]])
        perm = torch.randperm(len(xep), generator=gen).numpy()
        for b, i in enumerate(range(0, len(perm), 128), start=1):
            idx = perm[i : i + 128]
            xb = jitter(tensor(xep[idx]), gen, a.warp)  # the cut is never centred the same way twice
            opt.zero_grad()
            yb = torch.from_numpy(yep[idx])
            if a.mixup:  # blend each crop with another and the loss with it: no certainty between classes
                lam = float(mix_rng.beta(a.mixup, a.mixup))
                other = torch.randperm(len(xb), generator=gen)
                out = model(lam * xb + (1 - lam) * xb[other])
                loss = lam * loss_fn(out, yb) + (1 - lam) * loss_fn(out, yb[other])
            else:
                loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            sched.step()
            if b not in marks:
                continue
            acc = merged_accuracy(logits_of(model, xsel), ysel)
            rendered = merged_accuracy(logits_of(model, xva), yva) if a.photos else acc
            model.train()
            if a.init:
                for m in model:
                    if isinstance(m, nn.BatchNorm2d):
                        m.eval()
            at = f"{epoch + b / batches:.2f}"
            took = time.time() - t0
            print(
                f"epoch {at}: loss {loss.item():.3f} validation {acc:.4f} (rendered {rendered:.4f}) "
                f"({took:.0f} s)",
                flush=True,
            )
            if acc > best or (acc == best and not a.init):
                best, best_state, best_at = acc, {k: v.clone() for k, v in model.state_dict().items()}, at
                a.checkpoint.parent.mkdir(parents=True, exist_ok=True)
                torch.save({"epoch": at, "validation": acc, "state": best_state}, a.checkpoint)
    assert best_state is not None
    model.load_state_dict(best_state)
    model.eval()
    calib = {
        "photos": (logits_of(model, xsel), ysel),
        "family": (logits_of(model, xfam), yfam),
    }
    fitted = {k: fit_temperature(*v) for k, v in calib.items()}
    both = (np.concatenate([calib["photos"][0], calib["family"][0]]), np.concatenate([ysel, yfam]))
    fitted["both"] = fit_temperature(*both)
    fitted["max"] = max(fitted["photos"], fitted["family"])
    temperature = fitted[a.calibrate]
    print(f"temperatures: {fitted}", flush=True)

    a.out.mkdir(parents=True, exist_ok=True)
    onnx_path = a.out / "digits.onnx"
    torch.onnx.export(
        model,
        (torch.zeros(1, 1, SIZE, SIZE),),
        str(onnx_path),
        input_names=["crops"],
        output_names=["logits"],
        dynamic_axes={"crops": {0: "n"}, "logits": {0: "n"}},
        opset_version=17,
        dynamo=False,
    )
    xte, yte, src = boxes(Split.TEST, a.seed + 2, a.test)
    lte = logits_of(model, xte)
    xnt, ynt, _ = boxes(Split.TEST, a.seed + 6, a.never_trained, mark_share=0.5, sources=NEVER_TRAINED)
    lnt = logits_of(model, xnt)
    digits = yte < 10
    meta = {
        "classes": [str(d) for d in range(10)] + ["X", "empty"],
        "merged_class": "X/blank (outputs 10 and 11 summed)",
        "input": {"size": SIZE, "preprocess": "ocr.digits.preprocess.preprocess"},
        **({"second_look": {"below": a.second_look, "shifts": [[1, 0], [-1, 0]]}} if a.second_look else {}),
        "temperature": round(temperature, 4),
        "sha256": hashlib.sha256(onnx_path.read_bytes()).hexdigest(),
        "seed": a.seed,
        "width": list(a.width),
        "parameters": sum(p.numel() for p in model.parameters()),
        "epochs": a.epochs,
        "kept": best_at,
        "init": f"{a.init.name} sha256 {hashlib.sha256(a.init.read_bytes()).hexdigest()}" if a.init else None,
        "lr": a.lr,
        "boxes": {
            "train": a.train * a.pools,
            "train_harder": a.train * a.harder,
            "validation": a.val,
            "test": a.test,
        },
        "augmentation": "per-batch affine jitter (scale ±10%, rotation ±8°, shear ±0.1, shift ±2 px)"
        + (f", smooth warp σ {a.warp} px" if a.warp else "")
        + ("; harder pools: glyphs bent (elastic), re-penned, placed more freely" if a.harder else ""),
        "label_smoothing": a.smoothing,
        "mixup": a.mixup,
        "stroke_model": {"train_digit_share": a.stroke_share, "train_mark_share": a.mark_share},
        "temperature_fitted_on": {
            "photos": "VALIDATION photo crops",
            "family": f"{a.family_boxes} rendered VALIDATION boxes of never-trained families "
            + ", ".join(sorted(set(CALIBRATION_SOURCES))),
            "both": "VALIDATION photo crops and the never-trained VALIDATION families",
            "max": "the higher of the temperatures fitted on VALIDATION photo crops and on the never-trained "
            "VALIDATION families",
        }[a.calibrate],
        "temperatures_fitted": {k: round(v, 4) for k, v in fitted.items()},
        "never_trained_family": {
            "what": f"{a.never_trained} rendered TEST boxes, digits by the 'angular' stroke family",
            **scores(lnt, ynt, temperature),
            "wrong_at_0.95": confident_wrong(lnt, ynt, temperature),
        },
        "split": {
            "mnist_fractions": {str(s): list(v) for s, v in MNIST_BOUNDS.items()},
            "font_families": {str(s): sorted(f for f, v in FAMILIES.items() if v[0] == s) for s in Split},
        },
        "validation_accuracy": round(best, 5),
        "test_accuracy": round(merged_accuracy(lte, yte), 5),
        "test_digit_accuracy": round(float((lte[digits].argmax(1) == yte[digits]).mean()), 5),
        "test_ece": round(ece(lte, yte, temperature), 5),
        "test_accuracy_by_source": {
            s: round(merged_accuracy(lte[m], yte[m]), 5)
            for s in sorted(set(src))
            if (m := np.array([x == s for x in src])).sum() > 0
        },
        "train_seconds": round(time.time() - t0),
        "torch": torch.__version__,
    }
    if photo:
        meta["photos"] = {
            "what": "crops PhotoReader.read cuts from corpus photos (ocr.digits.pipeline_crops), PPWP pages "
            "1-3; only boxes the reader placed < 0.35 box widths from the true one",
            "per_epoch": {"photo_crops": len(xpt), "rendered_boxes": n_rendered},
            "validation_picks_epoch_and_temperature": True,
            **{
                k: {
                    "hand": str(sp),
                    "seed": a.seed + 200 + n,
                    "severities": list(MIX if k != "test" else ("moderate",)),
                    "photos": c.photos,
                    "rejected": c.rejected,
                    "boxes": len(c.y),
                    "well_placed": int(c.well_placed().sum()),
                }
                for n, (k, sp) in enumerate(
                    (("train", Split.TRAIN), ("validation", Split.VALIDATION), ("test", Split.TEST))
                )
                if (c := photo[k]) is not None
            },
            "validation_scores": scores(logits_of(model, xsel), ysel, temperature),
            "test_scores": scores(logits_of(model, placed["test"][0]), placed["test"][1], temperature),
            "init_scores": before,
        }
    (a.out / "digits.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(json.dumps(meta, indent=2))


if __name__ == "__main__":
    main()
