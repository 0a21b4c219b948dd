"""Train the 11-class digit-box recognizer (0–9, X/blank) and write the ONNX model and its metadata.

    pip install -e '.[train]'          # torch==2.13.0 (local CPU wheel) and onnx
    python scripts/train_digits.py     # the committed model: ~45 min on a loaded 2-core machine (nice 19)

Reproducible: every box crop is rendered from a fixed seed (TRAIN handwriting for training, VALIDATION for
picking the epoch and fitting the temperature, TEST only for the score written into the metadata), torch
is seeded and runs deterministic single-process CPU kernels. The model has 12 outputs (0–9, X, empty); the
runtime merges X and empty into the 11th class and keeps them apart in `predict_marks`.
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
from ocr.digits.boxes import label_plan, render_box
from ocr.digits.preprocess import SIZE, preprocess

OUT = Path(__file__).resolve().parents[1] / "src" / "ocr" / "digits" / "model"
CACHE = Path("/tmp/tally-digit-boxes")
CHUNK = 1000
WORKERS = 2  # rendering processes (the machine has two cores)
Boxes = tuple[np.ndarray, np.ndarray, list[str]]  # preprocessed crops ×255, labels, sources


def _chunk(args: tuple[str, int, int, float, bool]) -> Boxes:
    split, seed, n, font_share, harder = args
    hand = Handwriting(Split(split), font_share=font_share)
    rng = np.random.default_rng(seed)
    xs, ys, srcs = np.zeros((n, SIZE, SIZE), np.uint8), np.zeros(n, np.int64), []
    for i, label in enumerate(label_plan(rng, n)):
        b = render_box(hand, rng, int(label), harder=harder)
        xs[i] = np.round(preprocess(b.crop) * 255)
        ys[i] = label
        srcs.append(b.source)
    return xs, ys, srcs


def boxes(split: Split, seed: int, n: int, font_share: float = 0.35, harder: bool = False) -> Boxes:
    """`n` preprocessed box crops of `split`, rendered in chunks of CHUNK from seeds seed*1000+k (cached);
    `harder`: glyphs bent and placed more freely (`render_box(harder=True)`, TRAIN only)."""
    path = CACHE / f"{split}-{seed}-{n}-{font_share}{'-harder' if harder else ''}.npz"
    if path.exists():
        z = np.load(path)
        return z["x"], z["y"], list(z["src"])
    chunks = range(-(-n // CHUNK))
    jobs = [(str(split), seed * 1000 + k, min(CHUNK, n - k * CHUNK), font_share, harder) for k in chunks]
    with mp.get_context("fork").Pool(WORKERS) as pool:
        parts = pool.map(_chunk, jobs)
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    src = [s for p in parts for s in p[2]]
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path, x=x, y=y, src=np.array(src))
    return x, y, src


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=20240214)
    ap.add_argument("--train", type=int, default=30_000, help="boxes per TRAIN pool")
    ap.add_argument("--pools", type=int, default=2, help="TRAIN pools, seeds seed, seed+3, seed+4, …")
    ap.add_argument(
        "--harder",
        type=int,
        default=2,
        help="TRAIN pools by render_box(harder=True), seeds seed+100, seed+101, …",
    )
    ap.add_argument("--warp", type=float, default=0.8, help="σ in px of the per-batch smooth displacement")
    ap.add_argument("--evals", type=int, default=2, help="VALIDATION checks per epoch (the best is kept)")
    ap.add_argument(
        "--width",
        type=lambda v: tuple(int(c) for c in v.split(",")),
        default=(16, 32, 64, 64, 128),
        help="channels of the five convs, e.g. 24,48,80,80,128",
    )
    ap.add_argument("--smoothing", type=float, default=0.05, help="label smoothing")
    ap.add_argument(
        "--checkpoint",
        type=Path,
        default=CACHE / "best.pt",
        help="the best state so far (written after every improving epoch)",
    )
    ap.add_argument("--val", type=int, default=5_000)
    ap.add_argument("--test", type=int, default=5_000)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--init", type=Path, help="fine-tune from this ONNX model (BatchNorm frozen)")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(1)  # on a shared 2-core machine one thread is 3× faster than two fighting
    torch.use_deterministic_algorithms(True)
    t0 = time.time()
    # seed+1 and seed+2 are VALIDATION and TEST; further TRAIN pools take seed+3 onwards
    pools = [boxes(Split.TRAIN, a.seed + (k + 2 if k else 0), a.train) for k in range(a.pools)]
    pools += [boxes(Split.TRAIN, a.seed + 100 + k, a.train, harder=True) for k in range(a.harder)]
    xtr, ytr = np.concatenate([p[0] for p in pools]), np.concatenate([p[1] for p in pools])
    xva, yva, _ = boxes(Split.VALIDATION, a.seed + 1, a.val)
    print(f"rendered {len(xtr)} train / {len(xva)} validation boxes in {time.time() - t0:.0f} s", flush=True)

    model = net(a.width)
    if a.init:
        load_onnx(model, a.init)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=1e-4)
    steps = a.epochs * (-(-len(xtr) // 128))
    warmup = 0.1 if a.init else 0.2
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=steps, pct_start=warmup)
    # some crops are illegible: don't chase certainty
    loss_fn = nn.CrossEntropyLoss(label_smoothing=a.smoothing)
    gen = torch.Generator().manual_seed(a.seed)
    xt, yt = tensor(xtr), torch.from_numpy(ytr)
    best, best_state, best_at = -1.0, None, "0"
    if a.init:  # the starting model is a candidate too: fine-tuning must beat it on VALIDATION
        best = merged_accuracy(logits_of(model, xva), yva)
        best_state = {k: v.clone() for k, v in model.state_dict().items()}
        print(f"initial model: validation {best:.4f}", flush=True)
    batches = -(-len(xt) // 128)
    marks = {round(batches * (k + 1) / a.evals) for k in range(a.evals)}  # batches after which to validate
    for epoch in range(a.epochs):
        model.train()
        if a.init:
            for m in model:
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()
        perm = torch.randperm(len(xt), generator=gen)
        for b, i in enumerate(range(0, len(perm), 128), start=1):
            idx = perm[i : i + 128]
            xb = jitter(xt[idx], gen, a.warp)  # the cut is never centred the same way twice, nor the hand
            opt.zero_grad()
            loss = loss_fn(model(xb), yt[idx])
            loss.backward()
            opt.step()
            sched.step()
            if b not in marks:
                continue
            acc = merged_accuracy(logits_of(model, xva), yva)
            model.train()
            if a.init:
                for m in model:
                    if isinstance(m, nn.BatchNorm2d):
                        m.eval()
            at = f"{epoch + b / batches:.2f}"
            took = time.time() - t0
            print(f"epoch {at}: loss {loss.item():.3f} validation {acc:.4f} ({took:.0f} s)", flush=True)
            if acc > best or (acc == best and not a.init):
                best, best_state, best_at = acc, {k: v.clone() for k, v in model.state_dict().items()}, at
                a.checkpoint.parent.mkdir(parents=True, exist_ok=True)
                torch.save({"epoch": at, "validation": acc, "state": best_state}, a.checkpoint)
    assert best_state is not None
    model.load_state_dict(best_state)
    model.eval()
    temperature = fit_temperature(logits_of(model, xva), yva)

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
    digits = yte < 10
    meta = {
        "classes": [str(d) for d in range(10)] + ["X", "empty"],
        "merged_class": "X/blank (outputs 10 and 11 summed)",
        "input": {"size": SIZE, "preprocess": "ocr.digits.preprocess.preprocess"},
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
        "split": {
            "mnist_fractions": {str(s): list(v) for s, v in MNIST_BOUNDS.items()},
            "font_families": {str(s): sorted(f for f, v in FAMILIES.items() if v[0] == s) for s in Split},
        },
        "validation_accuracy": round(best, 5),
        "test_accuracy": round(merged_accuracy(lte, yte), 5),
        "test_digit_accuracy": round(float((lte[digits].argmax(1) == yte[digits]).mean()), 5),
        "test_accuracy_by_source": {
            s: round(merged_accuracy(lte[m], yte[m]), 5)
            for s in sorted(set(src))
            if (m := np.array([x == s for x in src])).sum() > 0
        },
        "train_seconds": round(time.time() - t0),
        "torch": torch.__version__,
    }
    (a.out / "digits.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(json.dumps(meta, indent=2))


if __name__ == "__main__":
    main()
