#!/usr/bin/python3
"""Train three different small CNNs on Fashion-MNIST and export them for infbench.

Why this exists
---------------
The rest of the zoo (tools/model_zoo.py) has seeded-random weights: good for
speed and cross-framework agreement, useless for accuracy.  These three
members are really trained, so the project can show whether an ensemble of
them (mean of their softmax probabilities) is more accurate than each member,
and check the C++ side's accuracy against PyTorch's.

* Deterministic: fixed seeds (torch, numpy, per-member data order),
  ``torch.use_deterministic_algorithms(True)`` and a fixed thread count, so two
  runs give bit-identical weights and files (``weights_sha256`` and the files'
  sha256 in the manifest).
* Fast: the three trainings take a few minutes on 2 CPU cores.
* The members differ in width, depth, kernel size, pooling, normalisation,
  dropout and seed, so that their errors differ.

Everything else (ONNX export and OpenCV fix-ups, frozen TorchScript, checks,
hashes, the manifest) comes from tools/model_zoo.py.

Run with Debian's interpreter (the one that sees python3-torch):

    /usr/bin/python3 tools/fashion_mnist_zoo.py                # build or skip if up to date
    /usr/bin/python3 tools/fashion_mnist_zoo.py --force --epochs 3

Data: Debian package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist).
See tools/README.md for the outputs.  No network access is needed.
"""

from __future__ import annotations

import argparse
import ctypes
import dataclasses
import gzip
import hashlib
import io
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional

# libgomp's default busy-wait makes 2 threads several times slower than 1 when
# the 2 cores are shared with anything else (a compiler, the other helpers).
# Must be set before torch is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import model_zoo as mz  # noqa: E402  (lazy torch/onnx/cv2 globals: see setup())

torch = None  # type: ignore  # set by setup()
nn = None  # type: ignore

# Bump when what this script produces changes (entries with another value are rebuilt).
BUILDER = "tools/fashion_mnist_zoo.py"
BUILDER_VERSION = 1
SECTION = "fashion_mnist"         # top-level manifest key with the shared facts

DEFAULT_DATA_DIR = Path("/usr/share/datasets/fashion-mnist")
DATA_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
SAMPLE_SHAPE = (1, 28, 28)
NUM_CLASSES = 10
# Training-set statistics of x/255 (0.28604, 0.35302), rounded.
NORM_MEAN = 0.2860
NORM_STD = 0.3530
SUBSET = 1000                     # rows in test_*_1k.npy (fast C++ tests)
CHECK_ROWS = 8                    # test images used for the export checks
OPENCV_BATCHES = [1, 8]           # OpenCV verified at these batch sizes
TS_CHECK_BATCHES = [8, 3]         # TorchScript (traced at 1) checked at these
MIN_TOP1 = 0.87                   # a member below this fails the build
EVAL_BATCH = 1000


@dataclasses.dataclass(frozen=True)
class Member:
    """One ensemble member: architecture, seed and training recipe."""
    name: str
    seed: int                     # torch/numpy seed: init, dropout, data order
    epochs: int
    max_lr: float                 # Adam + one-cycle schedule
    batch_size: int
    arch: str                     # human-readable, goes into the manifest
    build: Callable[[], object]   # returns a fresh torch.nn.Module


def net_a():
    """Narrow: 2 x (3x3 conv, ReLU, max-pool), linear head."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, NUM_CLASSES))


def net_b():
    """Deeper, with BatchNorm: 3 x (3x3 conv, BN, ReLU, max-pool), linear head."""
    def block(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                nn.ReLU(), nn.MaxPool2d(2)]
    return nn.Sequential(*block(1, 16), *block(16, 32), *block(32, 64),
                         nn.Flatten(), nn.Linear(64 * 3 * 3, NUM_CLASSES))


def net_c():
    """5x5 kernels, average pooling, dropout and a hidden fully-connected layer."""
    return nn.Sequential(
        nn.Conv2d(1, 12, 5, padding=2), nn.ReLU(), nn.AvgPool2d(2),
        nn.Conv2d(12, 24, 5, padding=2), nn.ReLU(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Dropout(0.2), nn.Linear(24 * 7 * 7, 64), nn.ReLU(),
        nn.Dropout(0.2), nn.Linear(64, NUM_CLASSES))


MEMBERS: List[Member] = [
    Member("fmnist_cnn_a", 11, 2, 5e-3, 128,
           "conv3x3(1->16)+ReLU+maxpool2, conv3x3(16->32)+ReLU+maxpool2, "
           "flatten, linear(1568->10)", net_a),
    Member("fmnist_cnn_b", 22, 2, 3e-3, 128,
           "3 x [conv3x3 (no bias)+BatchNorm+ReLU+maxpool2] with 16, 32, 64 channels "
           "(28->14->7->3), flatten, linear(576->10)", net_b),
    Member("fmnist_cnn_c", 33, 3, 6e-3, 128,
           "conv5x5(1->12)+ReLU+avgpool2, conv5x5(12->24)+ReLU+avgpool2, flatten, "
           "dropout 0.2, linear(1176->64)+ReLU, dropout 0.2, linear(64->10)", net_c),
]


class Fail(RuntimeError):
    """A check failed: the build stops with status 1."""


def require(ok: bool, msg: str) -> None:
    if not ok:
        raise Fail(msg)


# --------------------------------------------------------------------------
# set-up and data
# --------------------------------------------------------------------------

def setup(threads: int) -> None:
    """Import torch & co (through model_zoo), make everything deterministic."""
    global torch, nn
    mz.import_frameworks(threads)   # sets mz.torch/onnx/cv2, torch and OpenCV threads
    torch, nn = mz.torch, mz.torch.nn
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(threads)
    tune_malloc()


def tune_malloc() -> None:
    """Keep freed memory in the heap: with glibc's defaults every large
    activation is a fresh mmap, and page-faulting it in costs more than the
    layer itself on this VM.  No effect on results."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 1 << 30)        # M_MMAP_THRESHOLD
        libc.mallopt(-1, (1 << 31) - 1)  # M_TRIM_THRESHOLD
        libc.mallopt(-2, 64 << 20)       # M_TOP_PAD
    except (OSError, AttributeError):
        pass


def read_idx(path: Path) -> np.ndarray:
    """Parse a gzip'ed IDX file of unsigned bytes (the MNIST format)."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0:2] != b"\0\0" or data[2] != 0x08:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != math.prod(dims):
        raise ValueError(f"{path}: {arr.size} values, header says {dims}")
    return arr.reshape(dims)


def normalise(images: np.ndarray) -> np.ndarray:
    """uint8 [N,28,28] -> float32 [N,1,28,28], (x/255 - mean) / std."""
    x = images.astype(np.float32) / np.float32(255)
    x = (x - np.float32(NORM_MEAN)) / np.float32(NORM_STD)
    return np.ascontiguousarray(x[:, None], dtype=np.float32)


def require_data(data_dir: Path) -> None:
    """Exit with one line if the Debian package's files are absent."""
    missing = [n for n in DATA_FILES.values() if not (data_dir / n).is_file()]
    if missing:
        sys.exit(f"error: Fashion-MNIST not found in {data_dir} (missing {', '.join(missing)}): "
                 "apt-get install dataset-fashion-mnist")


def load_data(data_dir: Path) -> Dict[str, np.ndarray]:
    """Normalised training and test images (float32 NCHW) and int64 labels."""
    require_data(data_dir)
    raw = {k: read_idx(data_dir / n) for k, n in DATA_FILES.items()}
    for split, n in (("train", 60000), ("test", 10000)):
        require(raw[f"{split}_images"].shape == (n, 28, 28)
                and raw[f"{split}_labels"].shape == (n,), f"unexpected {split} shapes")
    return {
        "train_x": normalise(raw["train_images"]),
        "train_y": raw["train_labels"].astype(np.int64),
        "test_x": normalise(raw["test_images"]),
        "test_y": raw["test_labels"].astype(np.int64),
    }


# --------------------------------------------------------------------------
# training and evaluation
# --------------------------------------------------------------------------

def train(member: Member, data: Dict[str, np.ndarray], epochs: int):
    """Train one member from its seed; returns (eval-mode model, seconds).

    Adam with a one-cycle learning-rate schedule, plain cross-entropy, no
    augmentation.  The data order is a per-epoch permutation drawn from a
    generator seeded with the member's seed, so it is fixed and differs
    between members.
    """
    torch.manual_seed(member.seed)
    np.random.seed(member.seed)
    model = member.build()
    x = torch.from_numpy(data["train_x"])
    y = torch.from_numpy(data["train_y"])
    n, bs = len(y), member.batch_size
    steps_per_epoch = math.ceil(n / bs)
    opt = torch.optim.Adam(model.parameters(), lr=member.max_lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=member.max_lr, total_steps=epochs * steps_per_epoch)
    order = torch.Generator().manual_seed(member.seed)
    loss_fn = nn.CrossEntropyLoss()
    t0 = time.perf_counter()
    model.train()
    for epoch in range(epochs):
        perm = torch.randperm(n, generator=order)
        total = 0.0
        for i in range(0, n, bs):
            idx = perm[i:i + bs]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * len(idx)
        mz.log(f"    epoch {epoch + 1}/{epochs}: mean loss {total / n:.4f} "
               f"({time.perf_counter() - t0:.1f}s)")
    seconds = time.perf_counter() - t0
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model, seconds


def logits_of(model, x: np.ndarray) -> np.ndarray:
    """Eager PyTorch logits, float32, in batches."""
    out = []
    with torch.no_grad():
        for i in range(0, len(x), EVAL_BATCH):
            out.append(model(torch.from_numpy(x[i:i + EVAL_BATCH])).numpy())
    return np.concatenate(out).astype(np.float32)


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64)
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def top1(scores: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.argmax(scores, axis=1) == labels))


def weights_sha256(model) -> str:
    """Hash of the state dict (names, dtypes, shapes, bytes): the determinism
    evidence that does not depend on the export formats."""
    h = hashlib.sha256()
    for name, t in model.state_dict().items():
        a = t.detach().contiguous().numpy()
        h.update(f"{name}|{a.dtype}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


# --------------------------------------------------------------------------
# export and checks
# --------------------------------------------------------------------------

def export_torchscript(model, path: Path) -> None:
    """Trace at batch 1, freeze, save through a buffer.

    Unlike model_zoo.export_torchscript this does not save to the temporary
    file's path: TorchScript names the archive's top folder after the file it
    is saved to, so the random temp name would make the sha256 differ per run.
    """
    with torch.no_grad():
        traced = torch.jit.trace(model, torch.zeros(1, *SAMPLE_SHAPE))
        frozen = torch.jit.freeze(traced.eval())
    buf = io.BytesIO()
    torch.jit.save(frozen, buf)
    mz.atomic_write(path, lambda tmp: tmp.write_bytes(buf.getvalue()))


def count_identity_nodes(path: Path) -> int:
    m = mz.onnx.load(str(path))
    return sum(1 for n in m.graph.node if n.op_type == "Identity")


def export_member(member: Member, model, out_dir: Path, data: Dict[str, np.ndarray],
                  ref_1k: np.ndarray, checks: dict) -> Dict[str, tuple]:
    """Write and verify the member's files; returns kind -> (path, batch)."""
    mdir = out_dir / SECTION
    files: Dict[str, tuple] = {}
    x8 = data["test_x"][:CHECK_ROWS]
    ref8 = ref_1k[:CHECK_ROWS]

    ts_path = mdir / f"{member.name}.ts"
    export_torchscript(model, ts_path)
    xs = [data["test_x"][:b] for b in TS_CHECK_BATCHES]
    err = mz.check_torchscript(ts_path, xs, [ref_1k[:b] for b in TS_CHECK_BATCHES])
    require(err <= mz.REL_ERR_TOL, f"{ts_path.name}: TorchScript rel err {err:.3e}")
    checks["torchscript_rel_err"] = err
    checks["torchscript_check_batches"] = TS_CHECK_BATCHES
    files["torchscript"] = (ts_path, "dynamic")

    onnx_path = mdir / f"{member.name}.onnx"
    mz.export_onnx(model, onnx_path, batch=None, shape=SAMPLE_SHAPE)
    mz.check_onnx(onnx_path, dynamic=True)
    checks["onnx_checker"] = "passed"
    checks["onnx_batch_dim_symbolic"] = True
    files["onnx"] = (onnx_path, "dynamic")

    # OpenCV: use the plain export if it has no Identity node and passes at
    # every batch size; otherwise the Identity-free copy, which must pass.
    cv_path = onnx_path
    identities = count_identity_nodes(onnx_path)
    if identities == 0:
        errs = {b: mz.try_opencv(onnx_path, x8[:b], ref8[:b]) for b in OPENCV_BATCHES}
        plain_ok = all(e is not None and e <= mz.REL_ERR_TOL for e, _ in errs.values())
    else:
        plain_ok = False
    if not plain_ok:
        cv_path = mdir / f"{member.name}.opencv.onnx"
        checks["opencv_identity_nodes_removed"] = mz.make_opencv_onnx(onnx_path, cv_path)
        mz.check_onnx(cv_path, dynamic=True)
        errs = {b: mz.try_opencv(cv_path, x8[:b], ref8[:b]) for b in OPENCV_BATCHES}
    else:
        checks["opencv_identity_nodes_removed"] = 0
    for b, (e, msg) in errs.items():
        require(e is not None and e <= mz.REL_ERR_TOL,
                f"{cv_path.name}: OpenCV at batch {b}: {msg or f'rel err {e:.3e}'}")
    checks["opencv_rel_err"] = {"opencv": {str(b): e for b, (e, _) in errs.items()}}
    checks["opencv_batch_sizes"] = OPENCV_BATCHES
    checks["opencv_version"] = mz.cv2.__version__
    files["opencv"] = (cv_path, "dynamic")
    mz.log(f"    TorchScript rel err {checks['torchscript_rel_err']:.2e}; OpenCV "
           f"({cv_path.name}) rel err " + ", ".join(
               f"@{b}: {e:.2e}" for b, (e, _) in errs.items()))

    logits_path = mdir / f"{member.name}.test_logits_1k.npy"
    mz.atomic_write(logits_path, lambda t: mz.save_npy(t, ref_1k))
    files["test_logits_1k"] = (logits_path, SUBSET)
    return files


def write_test_data(out_dir: Path, data: Dict[str, np.ndarray]) -> Dict[str, dict]:
    """test_images[_1k].npy / test_labels[_1k].npy; returns manifest records."""
    mdir = out_dir / SECTION
    arrays = {
        "test_images": data["test_x"], "test_labels": data["test_y"],
        "test_images_1k": data["test_x"][:SUBSET], "test_labels_1k": data["test_y"][:SUBSET],
    }
    records = {}
    for kind, arr in arrays.items():
        p = mdir / f"{kind}.npy"
        mz.atomic_write(p, lambda t, a=arr: mz.save_npy(t, np.ascontiguousarray(a)))
        records[kind] = mz.file_record(out_dir, p, len(arr))
    return records


# --------------------------------------------------------------------------
# manifest
# --------------------------------------------------------------------------

def preprocessing() -> dict:
    return {
        "layout": "NCHW float32 [N,1,28,28]",
        "formula": f"(x/255 - {NORM_MEAN:.4f}) / {NORM_STD:.4f}, x = uint8 pixel",
        "scale": "1/255", "mean": NORM_MEAN, "std": NORM_STD,
    }


def up_to_date(out_dir: Path, man: dict, epochs: Dict[str, int]) -> tuple:
    """(ok, reasons): every member and the shared files as the manifest says."""
    reasons = []
    section = man.get(SECTION)
    if not section:
        return False, [f"no '{SECTION}' section in the manifest"]
    entries = [("data", section)]
    for m in MEMBERS:
        e = man["models"].get(m.name)
        if not e:
            reasons.append(f"{m.name}: not in manifest")
            continue
        if e.get("builder") != BUILDER or e.get("builder_version") != BUILDER_VERSION:
            reasons.append(f"{m.name}: built by another builder/version")
        if e.get("training", {}).get("epochs") != epochs[m.name]:
            reasons.append(f"{m.name}: trained for another number of epochs")
        entries.append((m.name, e))
    if section.get("builder_version") != BUILDER_VERSION:
        reasons.append("data: built by another builder_version")
    for who, e in entries:
        for kind, f in e.get("files", {}).items():
            p = out_dir / f["path"]
            if not p.exists():
                reasons.append(f"{who}/{kind}: missing {f['path']}")
            elif p.stat().st_size != f["bytes"] or mz.sha256_of(p) != f["sha256"]:
                reasons.append(f"{who}/{kind}: sha256 mismatch for {f['path']}")
    return not reasons, reasons


def member_entry(member: Member, model, records: dict, checks: dict, train_s: float,
                 epochs: int, acc: float, acc_1k: float, ensemble: dict, threads: int) -> dict:
    """A manifest entry in model_zoo's format, plus the training facts."""
    return {
        "name": member.name,
        "builder": BUILDER,
        "builder_version": BUILDER_VERSION,
        "description": (f"Small CNN trained on Fashion-MNIST (60,000 training images, "
                        f"{epochs} epoch(s), seed {member.seed}): {member.arch}. Input "
                        f"normalised (x/255 - {NORM_MEAN:.4f}) / {NORM_STD:.4f}. Member of the "
                        f"'{SECTION}' ensemble (see the manifest's '{SECTION}' section)."),
        "dataset": SECTION,
        "architecture": member.arch,
        "seed": member.seed,
        "parameters": sum(p.numel() for p in model.parameters()),
        "flops_per_sample": mz.count_flops(model, shape=SAMPLE_SHAPE),
        "flops_counts": "conv+linear only (2*MACs at batch 1)",
        "inputs": [{"name": "input", "shape": [-1, *SAMPLE_SHAPE], "dtype": "float32"}],
        "outputs": [{"name": "logits", "shape": [-1, NUM_CLASSES], "dtype": "float32"}],
        "preprocessing": preprocessing(),
        "accuracy_top1_pytorch": acc,
        "accuracy_top1_pytorch_1k": acc_1k,
        "ensemble_top1_pytorch": ensemble["top1_pytorch"],
        "files": records,
        "checks": checks,
        "training": {
            "epochs": epochs, "batch_size": member.batch_size,
            "optimizer": "Adam", "lr_schedule": f"OneCycleLR(max_lr={member.max_lr})",
            "loss": "cross-entropy", "augmentation": "none",
            "data_order": f"torch.randperm per epoch, torch.Generator seeded {member.seed}",
            "deterministic_algorithms": True, "threads": threads,
            "train_seconds": round(train_s, 1),
            "weights_sha256": weights_sha256(model),
        },
        "built_with": {"torch": torch.__version__, "onnx": mz.onnx.__version__,
                       "opencv": mz.cv2.__version__, "opset": mz.OPSET},
    }


# --------------------------------------------------------------------------
# C++ cross-check
# --------------------------------------------------------------------------

def cxx_top1(infbench: Path, out_dir: Path, man: dict, threads: int) -> Dict[str, Dict[str, float]]:
    """Top-1 on the 1k subset through `infbench predict`, per member and framework."""
    section = man[SECTION]
    images = out_dir / section["files"]["test_images_1k"]["path"]
    labels = np.load(out_dir / section["files"]["test_labels_1k"]["path"])
    kinds = {"onnxruntime": "onnx", "libtorch": "torchscript", "opencv": "opencv"}
    results: Dict[str, Dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for m in MEMBERS:
            files = man["models"][m.name]["files"]
            for fw, kind in kinds.items():
                out = Path(tmp) / f"{m.name}.{fw}.npy"
                cmd = [str(infbench), "predict", "--framework", fw,
                       "--model", str(out_dir / files[kind]["path"]),
                       "--input", str(images), "--output", str(out),
                       "--batch-size", str(max(OPENCV_BATCHES)), "--threads", str(threads)]
                r = subprocess.run(cmd, capture_output=True, text=True)
                if r.returncode != 0 or not out.exists():
                    msg = (r.stderr or r.stdout).strip().splitlines()
                    mz.log(f"  infbench {fw} {m.name}: FAILED ({msg[-1] if msg else r.returncode})")
                    results.setdefault(m.name, {})[fw] = float("nan")
                    continue
                logits = np.load(out)
                ref = np.load(out_dir / files["test_logits_1k"]["path"])
                acc = top1(logits, labels)
                results.setdefault(m.name, {})[fw] = acc
                mz.log(f"  infbench {fw:11s} {m.name}: top-1 {acc:.4f} on {len(labels)}, "
                       f"rel err vs PyTorch {mz.rel_err(logits, ref):.1e}")
    return results


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------

def parse_args(argv: List[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description="Train three small CNNs on Fashion-MNIST (deterministically) and "
                    "export ONNX / OpenCV ONNX / TorchScript files plus test data for "
                    "infbench's ensemble experiments.")
    ap.add_argument("--out", default="models", type=Path,
                    help="output dir; files go to OUT/fashion_mnist/ (default: models)")
    ap.add_argument("--force", action="store_true", help="retrain even if up to date")
    ap.add_argument("--epochs", type=int, default=None,
                    help="epochs for every member (default: each member's own, "
                         + ", ".join(f"{m.name}={m.epochs}" for m in MEMBERS) + ")")
    ap.add_argument("--threads", type=int, default=2,
                    help="torch/OpenCV threads (default: 2; results are only bit-"
                         "reproducible for the same value)")
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                    help=f"Fashion-MNIST IDX files (default: {DEFAULT_DATA_DIR})")
    ap.add_argument("--infbench", type=Path, default=None,
                    help="infbench binary for the C++ cross-check (default: build/infbench "
                         "next to tools/ if it exists)")
    ap.add_argument("--no-infbench", action="store_true", help="skip the C++ cross-check")
    args = ap.parse_args(argv)
    if args.epochs is not None and args.epochs < 1:
        ap.exit(2, "error: --epochs must be >= 1\n")
    if args.threads < 1:
        ap.exit(2, "error: --threads must be >= 1\n")
    return args


def build(args, epochs: Dict[str, int], old_man: dict) -> None:
    """Train, evaluate, export and check all members; merge into the manifest."""
    out_dir: Path = args.out
    t_all = time.perf_counter()
    with mz.step("load Fashion-MNIST"):
        data = load_data(args.data_dir)
    test_y = data["test_y"]

    trained = []
    for m in MEMBERS:
        mz.log(f"[{m.name}] {m.arch}; seed {m.seed}, {epochs[m.name]} epoch(s)")
        model, secs = train(m, data, epochs[m.name])
        logits = logits_of(model, data["test_x"])
        acc = top1(logits, test_y)
        mz.log(f"    trained in {secs:.1f}s; test top-1 {acc:.4f}")
        trained.append((m, model, secs, logits, acc))

    probs = [softmax(t[3]) for t in trained]
    mean_probs = np.mean(probs, axis=0)
    ens = {
        "method": "argmax of the mean of the members' softmax probabilities (float64)",
        "members": [m.name for m in MEMBERS],
        "top1_pytorch": top1(mean_probs, test_y),
        "top1_pytorch_1k": top1(mean_probs[:SUBSET], test_y[:SUBSET]),
        "members_top1_pytorch": {t[0].name: t[4] for t in trained},
        "members_top1_pytorch_1k": {t[0].name: top1(t[3][:SUBSET], test_y[:SUBSET])
                                    for t in trained},
        "top1_pytorch_mean_logits": top1(np.mean([t[3] for t in trained], axis=0), test_y),
        "oracle_any_member_correct": float(np.mean(np.any(
            [np.argmax(t[3], axis=1) == test_y for t in trained], axis=0))),
        "pairwise_disagreement": {
            f"{a[0].name}/{b[0].name}": float(np.mean(
                np.argmax(a[3], axis=1) != np.argmax(b[3], axis=1)))
            for i, a in enumerate(trained) for b in trained[i + 1:]},
    }
    mz.log(f"ensemble (mean softmax) top-1 {ens['top1_pytorch']:.4f}")
    low = [f"{t[0].name} {t[4]:.4f}" for t in trained if t[4] < MIN_TOP1]
    require(not low, f"test top-1 below {MIN_TOP1}: {', '.join(low)} (try more --epochs)")

    with mz.step("export + check (TorchScript, ONNX, OpenCV) and test data"):
        data_records = write_test_data(out_dir, data)
        entries = {}
        for m, model, secs, logits, acc in trained:
            checks: dict = {"rel_err_tolerance": mz.REL_ERR_TOL,
                            "check_input": f"first {CHECK_ROWS} test images"}
            files = export_member(m, model, out_dir, data, logits[:SUBSET], checks)
            records = {k: mz.file_record(out_dir, p, b) for k, (p, b) in files.items()}
            mz.remove_stale_files(out_dir, old_man["models"].get(m.name), records)
            entries[m.name] = member_entry(
                m, model, records, checks, secs, epochs[m.name], acc,
                top1(logits[:SUBSET], test_y[:SUBSET]), ens, args.threads)

    section = {
        "builder": BUILDER, "builder_version": BUILDER_VERSION,
        "description": ("Fashion-MNIST (Debian dataset-fashion-mnist) test set and an "
                        "ensemble of three small CNNs trained on its training set; "
                        "ensemble = argmax of the mean of the members' softmax "
                        "probabilities. test_logits_1k per member are PyTorch eager "
                        "logits of test_images_1k (reference for the C++ side)."),
        "classes": CLASSES,
        "preprocessing": preprocessing(),
        "files": data_records,
        "ensemble": ens,
        "build_seconds": round(time.perf_counter() - t_all, 1),
        "threads": args.threads,
    }
    man = mz.load_manifest(out_dir)  # re-read: keep whatever others wrote meanwhile
    man["models"].update(entries)
    man[SECTION] = section
    mz.save_manifest(out_dir, man)


def summary(man: dict, cxx: Optional[Dict[str, Dict[str, float]]]) -> None:
    fws = ["onnxruntime", "libtorch", "opencv"] if cxx else []
    head = f"{'member':14s} {'params':>8s} {'train s':>8s} {'top-1':>7s}"
    head += "".join(f" {fw + ' 1k':>15s}" for fw in fws)
    mz.log(head)
    for m in MEMBERS:
        e = man["models"][m.name]
        row = (f"{m.name:14s} {e['parameters']:8,d} {e['training']['train_seconds']:8.1f} "
               f"{e['accuracy_top1_pytorch']:7.4f}")
        row += "".join(f" {cxx[m.name][fw]:15.4f}" for fw in fws)
        mz.log(row)
    ens = man[SECTION]["ensemble"]
    mz.log(f"{'ensemble':14s} {'':8s} {'':8s} {ens['top1_pytorch']:7.4f}   "
           f"(mean of softmax; 1k subset: {ens['top1_pytorch_1k']:.4f})")


def add_accuracy_kinds(out_dir: Path, man: dict) -> None:
    """The kinds the runner's accuracy check reads (docs/metrics.md "Accuracy"), derived from the
    built files without retraining: sample_input (the first 4 test images, shared), sample_output
    (each member's PyTorch logits of them), labelled_input / labelled_labels (the 1k test subset)."""
    section = man[SECTION]["files"]
    images = out_dir / section["test_images_1k"]["path"]
    sample_path = out_dir / SECTION / "sample_input.npy"
    mz.atomic_write(sample_path, lambda t: mz.save_npy(t, np.load(images)[:4]))
    for m in MEMBERS:
        files = man["models"][m.name]["files"]
        logits = np.load(out_dir / files["test_logits_1k"]["path"])[:4]
        out_path = out_dir / SECTION / f"{m.name}.sample_output.npy"
        mz.atomic_write(out_path, lambda t, a=logits: mz.save_npy(t, a))
        files["sample_input"] = mz.file_record(out_dir, sample_path, 4)
        files["sample_output"] = mz.file_record(out_dir, out_path, 4)
        files["labelled_input"] = dict(section["test_images_1k"])
        files["labelled_labels"] = dict(section["test_labels_1k"])
    mz.save_manifest(out_dir, man)


def main(argv: List[str]) -> int:
    args = parse_args(argv)
    t0 = time.perf_counter()
    epochs = {m.name: args.epochs or m.epochs for m in MEMBERS}
    out_dir: Path = args.out
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / SECTION).mkdir(exist_ok=True)
    man = mz.load_manifest(out_dir)
    ok, reasons = (False, ["--force"]) if args.force else up_to_date(out_dir, man, epochs)
    if not ok:
        require_data(args.data_dir)  # before the slow imports
    setup(args.threads)
    mz.log(f"torch {torch.__version__}, onnx {mz.onnx.__version__}, OpenCV "
           f"{mz.cv2.__version__}, {args.threads} thread(s)")
    if ok:
        mz.log("up to date (all files match the manifest's sha256); --force retrains")
    else:
        mz.log("building: " + "; ".join(reasons[:6]) + (" ..." if len(reasons) > 6 else ""))
        try:
            build(args, epochs, man)
        except Fail as e:
            mz.log(f"ERROR: {e}")
            return 1
        man = mz.load_manifest(out_dir)
    add_accuracy_kinds(out_dir, man)

    cxx = None
    infbench = args.infbench or Path(__file__).resolve().parent.parent / "build" / "infbench"
    if not args.no_infbench and infbench.is_file() and os.access(infbench, os.X_OK):
        mz.log(f"C++ cross-check with {infbench} (1k subset):")
        cxx = cxx_top1(infbench, out_dir, man, args.threads)
    summary(man, cxx)
    mz.log(f"total {time.perf_counter() - t0:.1f}s")
    if cxx and any(math.isnan(v) for r in cxx.values() for v in r.values()):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
