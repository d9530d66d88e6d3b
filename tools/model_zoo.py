#!/usr/bin/python3
"""Build the infbench model zoo: ONNX, OpenCV-ready ONNX, TorchScript and
reference tensors for a fixed set of torchvision image classifiers.

Why this exists
---------------
The C++ benchmarks load the *same* network into ONNX Runtime, LibTorch and
OpenCV DNN and compare both speed and outputs.  That only means something if

* every framework gets an artefact exported from one and the same set of
  weights (so each model is built in one go and all its files are rewritten
  together),
* the outputs are numerically meaningful.  No pretrained weights are available
  offline, so weights are seeded-random; BatchNorm running statistics are then
  re-estimated on random N(0,1) batches, otherwise deep nets' logits collapse
  to ~1e-9 and any relative-error comparison is noise,
* OpenCV DNN (4.6) gets a graph it can actually import (no ``Identity`` nodes,
  static batch where its shape inference cannot cope with a dynamic one).

Run with Debian's interpreter (it is the one that sees python3-torch):

    /usr/bin/python3 tools/model_zoo.py --all
    /usr/bin/python3 tools/model_zoo.py --out models resnet18 mobilenet_v3_small

See tools/README.md for the manifest layout.  No network access is needed.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional

import numpy as np

# Heavy imports (torch, torchvision, onnx, cv2) are done lazily in main() so
# that --help / --list / name validation are instant.
torch = None  # type: ignore
torchvision = None  # type: ignore
onnx = None  # type: ignore
cv2 = None  # type: ignore

SCHEMA_VERSION = 1
# Bump when the artefacts this script produces change in a way that should
# invalidate existing builds (models whose entry has another value are rebuilt).
BUILDER_VERSION = 2

OPSET = 17
IMAGE_SHAPE = (3, 224, 224)
NUM_CLASSES = 1000
SAMPLE_BATCH = 4          # rows in <name>.sample_input.npy
TS_CHECK_BATCH = 3        # TorchScript is traced at batch 1, checked here
REL_ERR_TOL = 1e-4        # max|a-b| / max|b| allowed for every check
# Collapsed random nets give logits ~1e-10; healthy ones here are 1e-2..1
# (mobilenet_v3_small's classifier is initialised N(0, 0.01), hence ~9e-3).
MIN_LOGITS_STD = 1e-3
# std of (logits - their mean over the batch) / std of logits: near 0 means
# every input gets the same answer, so comparisons would not test much.
MIN_INPUT_SENSITIVITY = 1e-2

SAMPLE_INPUT_SEED = 1234  # numpy seed of the reference input
BN_DATA_SEED = 4321       # torch seed of the BN re-estimation batches
CHECK_INPUT_SEED = 777    # numpy seed (+batch size) of OpenCV check inputs


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """One zoo entry: which torchvision constructor and which weight seed."""
    name: str
    arch: str           # torchvision.models.<arch>
    seed: int           # torch.manual_seed(seed) right before construction
    note: str
    # True: the program takes uint8 NHWC pixels and normalises them itself (PixelInput), so a
    # deployment copies 1 byte per pixel value to the device instead of 4 (issue 17 item 3).
    pixels: bool = False


# ImageNet normalisation (torchvision's): x = (pixel / 255 - mean) / std, per RGB channel.
PIXEL_MEAN = (0.485, 0.456, 0.406)
PIXEL_STD = (0.229, 0.224, 0.225)
PIXEL_SHAPE = (IMAGE_SHAPE[1], IMAGE_SHAPE[2], IMAGE_SHAPE[0])  # H, W, C


MODELS: Dict[str, ModelSpec] = {m.name: m for m in [
    ModelSpec("resnet50", "resnet50", 0, "paper model"),
    ModelSpec("vgg19", "vgg19", 0, "paper model; plain VGG19 without BatchNorm"),
    ModelSpec("densenet201", "densenet201", 0, "paper model"),
    ModelSpec("efficientnet_b0", "efficientnet_b0", 0, "paper model"),
    ModelSpec("resnet18", "resnet18", 0, "small model for fast tests"),
    ModelSpec("mobilenet_v3_small", "mobilenet_v3_small", 0,
              "small model for fast tests; has squeeze-excite blocks"),
    # The paper's four behind a uint8 pixel input (issue 17 item 3), and resnet18 for the tests.
    *[ModelSpec(f"{arch}_u8", arch, 0, f"{arch}'s weights behind a uint8 pixel input", pixels=True)
      for arch in ("resnet50", "densenet201", "vgg19", "efficientnet_b0")],
    ModelSpec("resnet18_u8", "resnet18", 0, "resnet18's weights behind a uint8 pixel input "
              "(tests)", pixels=True),
]}


def input_shape(spec: ModelSpec) -> tuple:
    """Per-sample input shape of the exported program."""
    return PIXEL_SHAPE if spec.pixels else IMAGE_SHAPE


def input_dtype(spec: ModelSpec) -> str:
    return "uint8" if spec.pixels else "float32"



# --------------------------------------------------------------------------
# small utilities
# --------------------------------------------------------------------------

def log(msg: str) -> None:
    print(msg, flush=True)


@contextlib.contextmanager
def step(what: str) -> Iterator[None]:
    """Print a step and how long it took (builds are slow; show where)."""
    t0 = time.perf_counter()
    log(f"  - {what} ...")
    yield
    log(f"    done in {time.perf_counter() - t0:.1f}s")


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    """max|a-b| / max|b|: scale-free, so one tolerance fits every model."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shape mismatch {a.shape} vs {b.shape}")
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


def atomic_write(path: Path, writer: Callable[[Path], None]) -> None:
    """Write via a temp file in the same directory, then rename, so an
    interrupted build never leaves a truncated file that looks valid."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name, suffix=".tmp")
    os.close(fd)
    try:
        writer(Path(tmp))
        os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp makes it 0600
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def save_npy(path: Path, array: np.ndarray) -> None:
    """np.save via a file object: given a path it would append '.npy' to
    atomic_write's temp name."""
    with open(path, "wb") as f:
        np.save(f, array)


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def random_input(batch: int, seed: int, spec: Optional[ModelSpec] = None) -> np.ndarray:
    """Seeded N(0,1) float32 image batch, or uniform uint8 NHWC pixels for a pixel-input spec
    (numpy RNG: reproducible anywhere)."""
    rng = np.random.default_rng(seed)
    if spec is not None and spec.pixels:
        return rng.integers(0, 256, size=(batch, *PIXEL_SHAPE), dtype=np.uint8)
    return rng.standard_normal((batch, *IMAGE_SHAPE), dtype=np.float32)


def example_input(spec: ModelSpec, batch: int, **kwargs):
    """Zeros in the program's input shape and dtype (tracing, export); kwargs go to torch.zeros
    (device; dtype for float inputs)."""
    if spec.pixels:
        kwargs["dtype"] = torch.uint8
    return torch.zeros(batch, *input_shape(spec), **kwargs)


def pixel_input(net):
    """net behind its preprocessing: uint8 [N, H, W, 3] pixels -> NCHW in the weights' float
    type, (pixel / 255 - mean) / std, as one multiply-add per channel. type_as follows the
    weights (fp16 after .half(), or the adapter's conversion of a frozen graph's constants)
    where a dtype literal would be baked into the trace."""
    scale = torch.tensor([1.0 / (255.0 * s) for s in PIXEL_STD]).reshape(1, 3, 1, 1)
    shift = torch.tensor([-m / s for m, s in zip(PIXEL_MEAN, PIXEL_STD)]).reshape(1, 3, 1, 1)

    class PixelInput(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = net
            self.register_buffer("scale", scale)
            self.register_buffer("shift", shift)

        def forward(self, pixels):
            x = pixels.permute(0, 3, 1, 2).type_as(self.scale)
            return self.net(x * self.scale + self.shift)

    return PixelInput().eval()


# --------------------------------------------------------------------------
# model construction
# --------------------------------------------------------------------------

def build_model(spec: ModelSpec, bn_batches: int, bn_batch_size: int):
    """Seeded random torchvision model with re-estimated BN statistics, eval mode; a pixel-input
    spec gets the same weights as its arch's float entry, behind pixel_input."""
    torch.manual_seed(spec.seed)
    model = getattr(torchvision.models, spec.arch)(weights=None)
    model.eval()
    reestimate_batchnorm(model, bn_batches, bn_batch_size)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return pixel_input(model) if spec.pixels else model


def batchnorm_layers(model) -> list:
    return [m for m in model.modules()
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]


def reestimate_batchnorm(model, batches: int, batch_size: int) -> None:
    """Replace BN running stats by their cumulative average over random batches.

    Default-initialised BN (mean 0, var 1) does not normalise anything, so the
    activations of a random deep net shrink layer by layer and the logits end
    up ~1e-9.  Only the BN layers are put in train mode (momentum=None means a
    plain cumulative average); dropout and stochastic depth stay in eval mode
    so later layers see the same activation statistics as at inference time.
    """
    bns = batchnorm_layers(model)
    if not bns:
        return
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None
        bn.train()
    gen = torch.Generator().manual_seed(BN_DATA_SEED)
    with torch.no_grad():
        for _ in range(batches):
            model(torch.randn(batch_size, *IMAGE_SHAPE, generator=gen))
    for bn in bns:
        bn.eval()


def count_flops(model, shape: Optional[tuple] = None) -> int:
    """2 * MACs of Conv2d and Linear layers at batch 1 (nothing else counted).
    shape: per-sample input shape (default IMAGE_SHAPE)."""
    shape = IMAGE_SHAPE if shape is None else tuple(shape)
    total = [0]

    def conv_hook(m, inp, out):
        kh, kw = m.kernel_size
        total[0] += out.numel() * (m.in_channels // m.groups) * kh * kw

    def linear_hook(m, inp, out):
        total[0] += out.numel() * m.in_features

    handles = []
    for m in model.modules():
        if isinstance(m, torch.nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, torch.nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
    try:
        with torch.no_grad():
            model(torch.zeros(1, *shape))
    finally:
        for h in handles:
            h.remove()
    return 2 * total[0]


def eager(model, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(x)).numpy().astype(np.float32)


# --------------------------------------------------------------------------
# ONNX
# --------------------------------------------------------------------------

def export_onnx(model, path: Path, batch: Optional[int],
                shape: Optional[tuple] = None, dtype=None) -> None:
    """torch.onnx.export; batch=None gives a symbolic batch dimension.
    shape: per-sample input shape (default IMAGE_SHAPE); dtype: the input's (default float32)."""
    n = 1 if batch is None else batch
    shape = IMAGE_SHAPE if shape is None else tuple(shape)
    dummy = torch.zeros(n, *shape, dtype=dtype)
    dynamic_axes = None
    if batch is None:
        dynamic_axes = {"input": {0: "batch"}, "logits": {0: "batch"}}

    def write(tmp: Path) -> None:
        torch.onnx.export(model, dummy, str(tmp), input_names=["input"],
                          output_names=["logits"], dynamic_axes=dynamic_axes,
                          opset_version=OPSET, do_constant_folding=True)
    atomic_write(path, write)


def check_onnx(path: Path, dynamic: bool) -> None:
    """onnx.checker plus the I/O contract the C++ side relies on."""
    onnx.checker.check_model(str(path))  # by path: fine for >2 GB too
    m = onnx.load(str(path), load_external_data=False)
    ins = [i for i in m.graph.input
           if i.name not in {t.name for t in m.graph.initializer}]
    if [i.name for i in ins] != ["input"] or [o.name for o in m.graph.output] != ["logits"]:
        raise RuntimeError(f"{path.name}: unexpected I/O names")
    for vi in (ins[0], m.graph.output[0]):
        d0 = vi.type.tensor_type.shape.dim[0]
        if dynamic and not d0.dim_param:
            raise RuntimeError(f"{path.name}: batch dim of {vi.name} is not symbolic")
        if not dynamic and d0.dim_param:
            raise RuntimeError(f"{path.name}: batch dim of {vi.name} should be static")


def remove_identity_nodes(model_proto) -> int:
    """Drop Identity nodes, rewiring consumers to the Identity's input.

    torch 1.13 emits Identity on initializers (shared/duplicated weights) and
    OpenCV 4.6's importer rejects those.  An Identity feeding a graph output is
    kept (renaming graph outputs would break the 'logits' contract).
    """
    g = model_proto.graph
    outputs = {o.name for o in g.output}
    alias: Dict[str, str] = {}
    keep = []
    for node in g.node:
        if node.op_type == "Identity" and node.output[0] not in outputs:
            alias[node.output[0]] = node.input[0]
        else:
            keep.append(node)

    def resolve(name: str) -> str:
        while name in alias:
            name = alias[name]
        return name

    for node in keep:
        for i, name in enumerate(node.input):
            if name in alias:
                node.input[i] = resolve(name)
    removed = len(g.node) - len(keep)
    del g.node[:]
    g.node.extend(keep)
    # value_info for removed tensors is now dangling; drop it.
    live = {n for node in g.node for n in list(node.input) + list(node.output)}
    vis = [vi for vi in g.value_info if vi.name in live]
    del g.value_info[:]
    g.value_info.extend(vis)
    return removed


def make_opencv_onnx(src: Path, dst: Path) -> int:
    """Copy of an exported ONNX file with the fix-ups OpenCV 4.6 needs."""
    m = onnx.load(str(src))
    removed = remove_identity_nodes(m)
    atomic_write(dst, lambda tmp: onnx.save(m, str(tmp)))
    return removed


def opencv_forward(path: Path, x: np.ndarray) -> np.ndarray:
    net = cv2.dnn.readNetFromONNX(str(path))
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    net.setInput(x)
    return np.array(net.forward(), dtype=np.float32)


def try_opencv(path: Path, x: np.ndarray, ref: np.ndarray) -> tuple:
    """(rel_err or None, error message or None) of OpenCV vs eager on x."""
    try:
        out = opencv_forward(path, x)
        if out.shape != ref.shape:
            return None, f"output shape {out.shape}, expected {ref.shape}"
        return rel_err(out, ref), None
    except Exception as e:  # cv2.error, mostly
        msg = str(e).strip().splitlines()
        return None, (msg[-1] if msg else repr(e))[:300]


# --------------------------------------------------------------------------
# TorchScript
# --------------------------------------------------------------------------

def export_torchscript(model, path: Path, example=None) -> None:
    """Trace at batch 1 (example: the input, default float zeros), freeze (weights become
    constants), save."""
    example = torch.zeros(1, *IMAGE_SHAPE) if example is None else example
    with torch.no_grad():
        traced = torch.jit.trace(model, example)
        frozen = torch.jit.freeze(traced.eval())
    atomic_write(path, lambda tmp: frozen.save(str(tmp)))


def check_torchscript(path: Path, inputs: List[np.ndarray], refs: List[np.ndarray]) -> float:
    """Reload from disk (what C++ does) and compare with eager on each input."""
    ts = torch.jit.load(str(path))
    ts.eval()
    errs = []
    with torch.no_grad():
        for x, ref in zip(inputs, refs):
            errs.append(rel_err(ts(torch.from_numpy(x)).numpy(), ref))
    return max(errs)


# --------------------------------------------------------------------------
# manifest / up-to-date logic
# --------------------------------------------------------------------------

def load_manifest(out_dir: Path) -> dict:
    p = out_dir / "manifest.json"
    if p.exists():
        with open(p) as f:
            man = json.load(f)
        if man.get("schema_version") == SCHEMA_VERSION:
            return man
        log(f"note: {p} has another schema_version; starting a fresh manifest")
    return {"schema_version": SCHEMA_VERSION, "models": {}}


def save_manifest(out_dir: Path, man: dict) -> None:
    man["schema_version"] = SCHEMA_VERSION
    man["flops_note"] = ("flops_per_sample = 2 * multiply-accumulates of Conv2d "
                         "and Linear layers only, at batch 1 (BN, activations, "
                         "pooling, adds not counted)")
    man["models"] = dict(sorted(man["models"].items()))
    text = json.dumps(man, indent=2) + "\n"
    atomic_write(out_dir / "manifest.json", lambda tmp: tmp.write_text(text))


def entry_status(out_dir: Path, entry: Optional[dict], opencv_batches: List[int]) -> tuple:
    """(up_to_date, reasons).  A model is rebuilt as a whole if anything is off,
    because all its files must come from one set of weights."""
    if not entry:
        return False, ["not in manifest"]
    reasons = []
    if entry.get("builder_version") != BUILDER_VERSION:
        reasons.append("built by another builder_version")
    verified = set(entry.get("checks", {}).get("opencv_batch_sizes", []))
    missing = sorted(set(opencv_batches) - verified)
    if missing and "opencv" not in entry.get("checks", {}):  # "opencv": why none was built
        reasons.append(f"OpenCV not built/verified for batch sizes {missing}")
    for kind, f in entry.get("files", {}).items():
        p = out_dir / f["path"]
        if p.is_dir():  # a TF SavedModel (tools/tf_zoo.py checks its own)
            continue
        if not p.exists():
            reasons.append(f"{kind}: missing {f['path']}")
        elif p.stat().st_size != f["bytes"] or sha256_of(p) != f["sha256"]:
            reasons.append(f"{kind}: sha256 mismatch for {f['path']}")
        else:
            log(f"  {f['path']}: up to date")
    return not reasons, reasons


def file_record(out_dir: Path, path: Path, batch) -> dict:
    return {"path": path.relative_to(out_dir).as_posix(), "sha256": sha256_of(path),
            "bytes": path.stat().st_size, "batch": batch}


def describe(spec: ModelSpec, bn_batches: int, bn_batch_size: int, has_bn: bool) -> str:
    bn = (f"BatchNorm running stats re-estimated as the cumulative average over "
          f"{bn_batches} random N(0,1) batches of {bn_batch_size} "
          f"(torch seed {BN_DATA_SEED}; only BN layers in train mode)"
          if has_bn else "no BatchNorm layers")
    return (f"torchvision.models.{spec.arch}(weights=None) with "
            f"torch.manual_seed({spec.seed}) before construction (random "
            f"weights, not pretrained); {bn}; {spec.note}. " + (
                f"Input: uint8 [N,{PIXEL_SHAPE[0]},{PIXEL_SHAPE[1]},3] pixels, normalised inside "
                f"the program ((pixel/255 - {list(PIXEL_MEAN)}) / {list(PIXEL_STD)}, then NCHW). "
                f"Sample input: numpy default_rng({SAMPLE_INPUT_SEED}) uniform 0..255."
                if spec.pixels else
                f"Sample input: numpy default_rng({SAMPLE_INPUT_SEED}) standard normal."))


# --------------------------------------------------------------------------
# one model
# --------------------------------------------------------------------------

class BuildError(RuntimeError):
    pass


def require(ok: bool, msg: str) -> None:
    if not ok:
        raise BuildError(msg)


def build_opencv_variants(name: str, mdir: Path, onnx_path: Path, model,
                          batches: List[int], checks: dict) -> Dict[str, tuple]:
    """Produce the OpenCV file(s) for one model; returns kind -> (path, batch).

    First try the Identity-free copy of the dynamic-batch export at every
    requested batch size.  If OpenCV fails or is wrong at any of them, fall back
    to one static-batch export per batch size (also Identity-free), each of
    which must pass.
    """
    inputs = {b: random_input(b, CHECK_INPUT_SEED + b) for b in batches}
    refs = {b: eager(model, inputs[b]) for b in batches}
    results: Dict[str, tuple] = {}

    dyn = mdir / f"{name}.opencv.onnx"
    removed = make_opencv_onnx(onnx_path, dyn)
    check_onnx(dyn, dynamic=True)
    log(f"    dynamic: removed {removed} Identity node(s)")
    dyn_checks, failures = {}, {}
    for b in batches:
        err, msg = try_opencv(dyn, inputs[b], refs[b])
        if err is not None and err <= REL_ERR_TOL:
            dyn_checks[str(b)] = err
            log(f"    dynamic @ batch {b}: rel err {err:.2e}  ok")
        else:
            failures[str(b)] = msg if msg else f"rel err {err:.3e} > {REL_ERR_TOL}"
            log(f"    dynamic @ batch {b}: FAILED ({failures[str(b)]})")
    checks["opencv_dynamic_trial"] = {"rel_err": dyn_checks, "failures": failures,
                                      "identity_nodes_removed": removed}
    if not failures:
        checks["opencv_rel_err"] = {"opencv": dyn_checks}
        results["opencv"] = (dyn, "dynamic")
        return results

    dyn.unlink()
    checks["opencv_rel_err"] = {}
    for b in batches:
        p = mdir / f"{name}.opencv.b{b}.onnx"
        export_onnx(model, p, batch=b)
        make_opencv_onnx(p, p)
        check_onnx(p, dynamic=False)
        err, msg = try_opencv(p, inputs[b], refs[b])
        require(err is not None and err <= REL_ERR_TOL,
                f"{p.name}: OpenCV check failed: {msg or f'rel err {err:.3e}'}")
        log(f"    static b{b}: rel err {err:.2e}  ok")
        checks["opencv_rel_err"][f"opencv_b{b}"] = {str(b): err}
        results[f"opencv_b{b}"] = (p, b)
    return results


def build_one(spec: ModelSpec, out_dir: Path, opencv_batches: List[int],
              bn_batches: int, bn_batch_size: int, old_entry: Optional[dict]) -> dict:
    """Build, verify and describe every artefact of one model."""
    name = spec.name
    mdir = out_dir / name
    mdir.mkdir(parents=True, exist_ok=True)
    checks: dict = {"rel_err_tolerance": REL_ERR_TOL}

    with step(f"construct torchvision.models.{spec.arch} (seed {spec.seed}) + BN re-estimation"):
        model = build_model(spec, bn_batches, bn_batch_size)
        has_bn = bool(batchnorm_layers(model))
        n_params = sum(p.numel() for p in model.parameters())
        flops = count_flops(model.net if spec.pixels else model)
    log(f"    {n_params:,} parameters, {flops / 1e9:.2f} GFLOP/sample (conv+linear)")

    with step("sample input/output"):
        x = random_input(SAMPLE_BATCH, SAMPLE_INPUT_SEED, spec)
        y = eager(model, x)
        std = float(y.std())
        sens = float((y - y.mean(axis=0)).std() / max(std, 1e-30))
        checks["logits_std"] = std
        checks["logits_input_sensitivity"] = sens
        checks["logits_abs_max"] = float(np.abs(y).max())
        checks["sample_argmax"] = [int(i) for i in y.argmax(axis=1)]
        log(f"    logits std {std:.4g}, input sensitivity {sens:.3f}, "
            f"max|logit| {np.abs(y).max():.4g}, argmax {checks['sample_argmax']}")
        require(std >= MIN_LOGITS_STD, f"logits std {std:.3e} < {MIN_LOGITS_STD}: "
                "degenerate weights, comparisons would be meaningless")
        require(sens >= MIN_INPUT_SENSITIVITY, f"input sensitivity {sens:.3e} < "
                f"{MIN_INPUT_SENSITIVITY}: logits barely depend on the input")
        x_path, y_path = mdir / f"{name}.sample_input.npy", mdir / f"{name}.sample_output.npy"
        atomic_write(x_path, lambda t: save_npy(t, x))
        atomic_write(y_path, lambda t: save_npy(t, y))

    files = {"sample_input": (x_path, SAMPLE_BATCH), "sample_output": (y_path, SAMPLE_BATCH)}

    with step("export TorchScript (trace @1, freeze) and check @%d and @%d"
              % (TS_CHECK_BATCH, SAMPLE_BATCH)):
        ts_path = mdir / f"{name}.ts"
        export_torchscript(model, ts_path, example_input(spec, 1))
        x3 = random_input(TS_CHECK_BATCH, CHECK_INPUT_SEED + TS_CHECK_BATCH, spec)
        err = check_torchscript(ts_path, [x3, x], [eager(model, x3), y])
        log(f"    rel err {err:.2e}")
        require(err <= REL_ERR_TOL, f"TorchScript rel err {err:.3e} > {REL_ERR_TOL}")
        checks["torchscript_rel_err"] = err
        files["torchscript"] = (ts_path, "dynamic")

    with step("export ONNX (dynamic batch, opset %d) + onnx.checker" % OPSET):
        onnx_path = mdir / f"{name}.onnx"
        export_onnx(model, onnx_path, batch=None, shape=input_shape(spec),
                    dtype=torch.uint8 if spec.pixels else None)
        check_onnx(onnx_path, dynamic=True)
        checks["onnx_checker"] = "passed"
        checks["onnx_batch_dim_symbolic"] = True
        files["onnx"] = (onnx_path, "dynamic")

    if spec.pixels:  # OpenCV DNN's importer takes float input blobs only
        checks["opencv"] = "not built: OpenCV DNN takes float input blobs only"
    else:
        with step(f"OpenCV variants, verified at batch sizes {opencv_batches}"):
            files.update(build_opencv_variants(name, mdir, onnx_path, model,
                                               opencv_batches, checks))
            checks["opencv_batch_sizes"] = opencv_batches
            checks["opencv_version"] = cv2.__version__

    with step("hash files"):
        records = {k: file_record(out_dir, p, b) for k, (p, b) in files.items()}
    remove_stale_files(out_dir, old_entry, records)

    return {
        "name": name,
        "builder_version": BUILDER_VERSION,
        "description": describe(spec, bn_batches, bn_batch_size, has_bn),
        "torchvision_arch": spec.arch,
        "seed": spec.seed,
        "parameters": n_params,
        "flops_per_sample": flops,
        "flops_counts": "conv+linear only (2*MACs at batch 1)",
        "inputs": [{"name": "input", "shape": [-1, *input_shape(spec)],
                    "dtype": input_dtype(spec)}],
        "outputs": [{"name": "logits", "shape": [-1, NUM_CLASSES], "dtype": "float32"}],
        "files": records,
        "checks": checks,
        "built_with": {"torch": torch.__version__, "torchvision": torchvision.__version__,
                       "onnx": onnx.__version__, "opencv": cv2.__version__,
                       "opset": OPSET},
    }


def remove_stale_files(out_dir: Path, old_entry: Optional[dict], new_records: dict) -> None:
    """Delete files of the previous build that the new one no longer lists
    (e.g. static OpenCV variants when the dynamic one now suffices)."""
    if not old_entry:
        return
    keep = {r["path"] for r in new_records.values()}
    for f in old_entry.get("files", {}).values():
        p = out_dir / f["path"]
        if f["path"] not in keep and p.exists():
            log(f"  removing stale {f['path']}")
            shutil.rmtree(p) if p.is_dir() else p.unlink()


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------

def parse_args(argv: List[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description="Build ONNX / OpenCV ONNX / TorchScript files and reference "
                    "tensors for infbench's model zoo.")
    ap.add_argument("models", nargs="*", metavar="MODEL", help="models to build")
    ap.add_argument("--all", action="store_true", help="build every model")
    ap.add_argument("--list", action="store_true", help="list models and exit")
    ap.add_argument("--out", default="models", type=Path, help="output dir (default: models)")
    ap.add_argument("--opencv-batch-sizes", default="1,2,4,8,16,32,64",
                    help="batch sizes OpenCV files are built/verified for "
                         "(default: 1,2,4,8,16,32,64)")
    ap.add_argument("--force", action="store_true", help="rebuild even if up to date")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                    help="torch/OpenCV threads (default: all cores)")
    ap.add_argument("--bn-batches", type=int, default=8,
                    help="random batches for BN re-estimation (default: 8)")
    ap.add_argument("--bn-batch-size", type=int, default=16,
                    help="batch size for BN re-estimation (default: 16)")
    args = ap.parse_args(argv)

    if args.list:
        return args
    if args.all:
        args.models = list(MODELS)
    unknown = [m for m in args.models if m not in MODELS]
    if unknown:
        ap.exit(2, f"error: unknown model(s): {', '.join(unknown)}; "
                   f"valid: {', '.join(MODELS)}\n")
    if not args.models:
        ap.exit(2, f"error: name at least one MODEL or use --all; valid: {', '.join(MODELS)}\n")
    try:
        args.opencv_batch_sizes = sorted({int(b) for b in args.opencv_batch_sizes.split(",")})
        assert all(b > 0 for b in args.opencv_batch_sizes)
    except (ValueError, AssertionError):
        ap.exit(2, "error: --opencv-batch-sizes must be positive integers, e.g. 1,8\n")
    args.models = list(dict.fromkeys(args.models))  # dedupe, keep order
    return args


def import_frameworks(threads: int) -> None:
    global torch, torchvision, onnx, cv2
    try:
        import torch as _torch
        import torchvision as _tv
        import onnx as _onnx
        import cv2 as _cv2
    except ImportError as e:
        sys.exit(f"error: {e}. Run with /usr/bin/python3 (Debian python3-torch, "
                 "python3-torchvision, python3-onnx, python3-opencv).")
    torch, torchvision, onnx, cv2 = _torch, _tv, _onnx, _cv2
    torch.set_num_threads(threads)
    cv2.setNumThreads(threads)


def main(argv: List[str]) -> int:
    args = parse_args(argv)
    if args.list:
        for spec in MODELS.values():
            log(f"{spec.name:20s} torchvision.models.{spec.arch}, seed {spec.seed}: {spec.note}")
        return 0

    import_frameworks(args.threads)
    out_dir: Path = args.out
    out_dir.mkdir(parents=True, exist_ok=True)
    man = load_manifest(out_dir)
    log(f"torch {torch.__version__}, torchvision {torchvision.__version__}, "
        f"onnx {onnx.__version__}, OpenCV {cv2.__version__}, {args.threads} thread(s)")

    failed = []
    for name in args.models:
        t0 = time.perf_counter()
        log(f"[{name}]")
        old = man["models"].get(name)
        if not args.force:
            ok, reasons = entry_status(out_dir, old, args.opencv_batch_sizes)
            if ok:
                log(f"  up to date ({time.perf_counter() - t0:.1f}s)")
                continue
            log("  rebuilding: " + "; ".join(reasons))
        try:
            entry = build_one(MODELS[name], out_dir, args.opencv_batch_sizes,
                              args.bn_batches, args.bn_batch_size, old)
        except BuildError as e:
            log(f"  ERROR: {e}")
            failed.append(name)
            continue
        entry["build_seconds"] = round(time.perf_counter() - t0, 1)
        man = load_manifest(out_dir)  # re-read: keep whatever else is there
        man["models"][name] = entry
        save_manifest(out_dir, man)
        log(f"  built {name} in {entry['build_seconds']:.1f}s")

    if failed:
        log(f"FAILED: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
