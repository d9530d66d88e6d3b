#!/usr/bin/env python3
"""Export the zoo's models as StableHLO (for infbench's `xla` adapter) with the same weights.

Route: the zoo's ONNX file is interpreted node by node with jax.numpy / jax.lax (a small converter
for the ops torchvision's exports use, like tools/tf_zoo.py's ONNX -> TensorFlow one; any other op
stops with a clear error), the weights become constants of the program, and
``jax.export.export(jax.jit(f))`` at a static input shape gives the module. Why not torchax +
jax.export from the torchvision module: torchax needs PyTorch 2.x (Debian has 1.13) and is not on
the GPU machine, while onnx and jax are on both; and starting from the ONNX file the zoo already
verified keeps one source of weights (nothing re-derived from PyTorch).

XLA compiles static shapes, so one file per precision and batch size:
``<m>/<m>.stablehlo.<precision>.b<batch>.mlirbc`` (``Exported.mlir_module_serialized``: a
portable StableHLO artifact, MLIR bytecode, what PJRT's compile format "mlir" reads) with a
sidecar ``.json`` (input/output names, shapes, dtypes, the platform it was lowered for, versions),
listed in the manifest as ``stablehlo_<precision>_b<batch>``. fp16/bf16: weights, input and output
in that type (as the AOTInductor packages), BatchNorm folded in float64 first.

Each fp32 file is run back through jax (``Exported.call`` on the CPU) and checked against the zoo's
reference (rel err max|a-b|/max|ref| <= 1e-4, same top-1); fp16/bf16 files are checked against a
looser 5e-2 and reported.

    .deps/venv-xla/bin/python tools/xla_zoo.py resnet18 mobilenet_v3_small --batch-sizes 1,8
    python3 tools/xla_zoo.py resnet50 --precision fp16 --batch-sizes 256 --platform cuda  # GPU machine
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import model_zoo  # noqa: E402  (model list, hashing, rel_err, manifest helpers; no torch import)

CONVERTER_VERSION = 3  # 2: locations of the converter's lines only (reproducible bytes); 3: uint8 inputs
PRECISIONS = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}
TOLERANCE = {"fp32": model_zoo.REL_ERR_TOL, "fp16": 5e-2, "bf16": 5e-2}
log = model_zoo.log
jax = jnp = lax = onnx = numpy_helper = None  # imported in main(): --help stays instant


class ConvertError(RuntimeError):
    pass


def attrs_of(node) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def pads_of(a: dict, rank: int = 2) -> list:
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise ConvertError("auto_pad is not supported")
    p = [int(v) for v in a.get("pads", [0] * (2 * rank))]
    return [(p[i], p[i + rank]) for i in range(rank)]


class OnnxToJax:
    """The ONNX graph as a jax function of its one input; weights are numpy constants cast to
    `dtype` (BatchNorm folded in float64 first, so fp16 loses no more than one rounding)."""

    def __init__(self, path: Path, dtype):
        model = onnx.load(str(path))
        self.graph = model.graph
        self.dtype = dtype
        self.inits = {t.name: numpy_helper.to_array(t) for t in self.graph.initializer}
        ins = [i for i in self.graph.input if i.name not in self.inits]
        if len(ins) != 1 or len(self.graph.output) != 1:
            raise ConvertError("expected one graph input and one output")
        self.input_name, self.output_name = ins[0].name, self.graph.output[0].name
        # Per-sample input shape and type as exported: float images take the precision's type,
        # the zoo's pixel-input variants (model_zoo.PixelInput) stay uint8 and cast inside.
        tensor_type = ins[0].type.tensor_type
        self.sample_shape = tuple(int(d.dim_value) for d in tensor_type.shape.dim[1:])
        elem = np.dtype(onnx.helper.tensor_dtype_to_np_dtype(tensor_type.elem_type))
        self.input_dtype = dtype if elem.kind == "f" else jnp.dtype(elem)
        unsupported = sorted({n.op_type for n in self.graph.node} - set(OPS))
        if unsupported:
            raise ConvertError(f"unsupported ONNX op(s): {', '.join(unsupported)}")
        self.ops = {}
        for n in self.graph.node:
            self.ops[n.op_type] = self.ops.get(n.op_type, 0) + 1

    def weight(self, array):
        return jnp.asarray(np.asarray(array, dtype=np.float64).astype(self.dtype))

    def __call__(self, x):
        env = {k: v for k, v in self.inits.items()}  # numpy until an op makes them jax values
        env[self.input_name] = x
        for node in self.graph.node:
            ins = [env[n] if n else None for n in node.input]
            outs = OPS[node.op_type](self, node, ins, attrs_of(node))
            outs = outs if isinstance(outs, (list, tuple)) else [outs]
            for name, value in zip(node.output, outs):
                if name:
                    env[name] = value
        return env[self.output_name]


def op_conv(cv, node, ins, a):
    x, w = ins[0], ins[1]
    y = lax.conv_general_dilated(
        x, cv.weight(w), window_strides=[int(s) for s in a.get("strides", [1, 1])],
        padding=pads_of(a), rhs_dilation=[int(d) for d in a.get("dilations", [1, 1])],
        feature_group_count=int(a.get("group", 1)),
        dimension_numbers=("NCHW", "OIHW", "NCHW"))
    if len(ins) > 2 and ins[2] is not None:
        y = y + cv.weight(ins[2]).reshape(1, -1, 1, 1)
    return y


def op_batchnorm(cv, node, ins, a):
    scale, bias, mean, var = (np.asarray(v, dtype=np.float64) for v in ins[1:5])
    mul = scale / np.sqrt(var + float(a.get("epsilon", 1e-5)))
    shape = (1, -1) + (1,) * (ins[0].ndim - 2)
    return ins[0] * cv.weight(mul.reshape(shape)) + cv.weight((bias - mean * mul).reshape(shape))


def const_or(cv, v):
    return cv.weight(v) if isinstance(v, np.ndarray) and v.dtype.kind == "f" else v


def binary(fn):
    def op(cv, node, ins, a):
        x, y = ins
        if isinstance(x, np.ndarray) and isinstance(y, np.ndarray):
            return fn(x, y)
        return fn(const_or(cv, x), const_or(cv, y))
    return op


def op_pool(kind):
    def op(cv, node, ins, a):
        x = ins[0]
        if a.get("ceil_mode", 0) or any(int(d) != 1 for d in a.get("dilations", [1, 1])):
            raise ConvertError(f"{node.op_type}: ceil_mode/dilations are not supported")
        k = [int(v) for v in a["kernel_shape"]]
        s = [int(v) for v in a.get("strides", [1, 1])]
        pads = [(0, 0), (0, 0)] + pads_of(a)
        dims, strides = (1, 1, *k), (1, 1, *s)
        if kind == "max":
            return lax.reduce_window(x, -jnp.inf, lax.max, dims, strides, pads)
        if any(p != (0, 0) for p in pads) and not a.get("count_include_pad", 0):
            raise ConvertError("padded AveragePool needs count_include_pad=1")
        total = lax.reduce_window(x, 0.0, lax.add, dims, strides, pads)
        return total / np.prod(k)
    return op


def op_gemm(cv, node, ins, a):
    x, w = ins[0], ins[1]
    if a.get("transA", 0):
        x = x.T
    w = cv.weight(w) if isinstance(w, np.ndarray) else w
    y = x @ (w.T if a.get("transB", 0) else w)
    if float(a.get("alpha", 1.0)) != 1.0:
        y = y * float(a["alpha"])
    if len(ins) > 2 and ins[2] is not None:
        y = y + const_or(cv, ins[2]) * float(a.get("beta", 1.0))
    return y


def op_flatten(cv, node, ins, a):
    x = ins[0]
    axis = int(a.get("axis", 1))
    return x.reshape(int(np.prod(x.shape[:axis])), -1)


def op_reshape(cv, node, ins, a):
    shape = [int(s) for s in ins[1]]
    x = ins[0]
    return x.reshape([x.shape[i] if s == 0 else s for i, s in enumerate(shape)])


def op_concat(cv, node, ins, a):
    return jnp.concatenate([const_or(cv, v) for v in ins], axis=int(a["axis"]))


def op_clip(cv, node, ins, a):
    lo = float(ins[1]) if len(ins) > 1 and ins[1] is not None else a.get("min")
    hi = float(ins[2]) if len(ins) > 2 and ins[2] is not None else a.get("max")
    return jnp.clip(ins[0], lo, hi)


def hard_sigmoid(cv, node, ins, a):
    alpha, beta = float(a.get("alpha", 0.2)), float(a.get("beta", 0.5))
    return jnp.clip(ins[0] * alpha + beta, 0.0, 1.0)


def op_constant(cv, node, ins, a):
    if "value" not in a:
        raise ConvertError("Constant without a tensor 'value'")
    return numpy_helper.to_array(a["value"])  # numpy: shapes and pads stay static


def op_cast(cv, node, ins, a):
    """Cast to a float type computes in the precision's type (the weights' type), as the PyTorch
    source's type_as does; other casts keep their target."""
    to = np.dtype(onnx.helper.tensor_dtype_to_np_dtype(int(a["to"])))
    return jnp.asarray(ins[0]).astype(cv.dtype if to.kind == "f" else to)


def op_pad(cv, node, ins, a):
    mode = a.get("mode", b"constant")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    if mode != "constant" or (len(ins) > 3 and ins[3] is not None):
        raise ConvertError(f"Pad: only constant mode without axes is supported (got {mode!r})")
    pads = [int(p) for p in (ins[1] if len(ins) > 1 and ins[1] is not None else a["pads"])]
    value = float(ins[2]) if len(ins) > 2 and ins[2] is not None else float(a.get("value", 0.0))
    if not any(pads):
        return ins[0]  # torch exports AvgPool2d(padding=0) as Pad(0) + AveragePool
    r = len(pads) // 2
    return jnp.pad(ins[0], [(pads[i], pads[i + r]) for i in range(r)], constant_values=value)


OPS = {
    "Conv": op_conv,
    "Constant": op_constant,
    "Pad": op_pad,
    "BatchNormalization": op_batchnorm,
    "Relu": lambda cv, n, ins, a: jax.nn.relu(ins[0]),
    "Sigmoid": lambda cv, n, ins, a: jax.nn.sigmoid(ins[0]),
    "HardSigmoid": hard_sigmoid,
    # ONNX: x * max(0, min(1, x/6 + 1/2)); PyTorch computes x * relu6(x + 3) / 6
    "HardSwish": lambda cv, n, ins, a: ins[0] * jnp.clip(ins[0] + 3.0, 0.0, 6.0) * (1.0 / 6.0),
    "Clip": op_clip,
    "Add": binary(lambda x, y: x + y),
    "Sub": binary(lambda x, y: x - y),
    "Mul": binary(lambda x, y: x * y),
    "Div": binary(lambda x, y: x / y),
    "MaxPool": op_pool("max"),
    "AveragePool": op_pool("avg"),
    "GlobalAveragePool": lambda cv, n, ins, a: jnp.mean(ins[0], axis=(2, 3), keepdims=True),
    "Flatten": op_flatten,
    "Reshape": op_reshape,
    "Gemm": op_gemm,
    "MatMul": lambda cv, n, ins, a: const_or(cv, ins[0]) @ const_or(cv, ins[1]),
    "Concat": op_concat,
    "Identity": lambda cv, n, ins, a: ins[0],
    "Transpose": lambda cv, n, ins, a: jnp.transpose(ins[0], [int(p) for p in a["perm"]]),
    "Cast": op_cast,
    "Dropout": lambda cv, n, ins, a: ins[0],
}


def export(net: OnnxToJax, batch: int, dtype, platform: str):
    """The module's bytes depend only on the ONNX file, batch, dtype and platform: source
    locations name only the converter's own lines (not its callers), so bench/xla_vs_jax.py can
    export again and check it runs byte for byte the program infbench compiles."""
    try:
        jax.config.update("jax_include_full_tracebacks_in_locations", False)
    except AttributeError:  # a jax without the flag: bytes may then depend on the caller
        log("note: this jax has no jax_include_full_tracebacks_in_locations")
    spec = jax.ShapeDtypeStruct((batch, *net.sample_shape), net.input_dtype)
    return jax.export.export(jax.jit(net), platforms=[platform])(spec)


def check(exported, x: np.ndarray, ref: np.ndarray) -> tuple:
    """Runs the exported program in jax on the CPU over the zoo's sample (repeated or cut to the
    batch); returns (rel err, same top-1)."""
    batch = exported.in_avals[0].shape[0]
    rows = np.resize(x, (batch, *x.shape[1:])).astype(exported.in_avals[0].dtype)
    want = np.resize(ref, (batch, ref.shape[1]))
    with jax.default_device(jax.devices("cpu")[0]):
        got = np.asarray(exported.call(rows)).astype(np.float32)
    return model_zoo.rel_err(got, want), bool((got.argmax(1) == want.argmax(1)).all())


def main(argv) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="+", choices=sorted(model_zoo.MODELS), metavar="MODEL")
    ap.add_argument("--out", default="models", type=Path)
    ap.add_argument("--precision", choices=sorted(PRECISIONS), default="fp32")
    ap.add_argument("--batch-sizes", default="1,8", type=lambda s: [int(b) for b in s.split(",")])
    ap.add_argument("--platform", default="cpu", choices=["cpu", "cuda"],
                    help="platform jax lowers for (the zoo's ops lower the same on both)")
    ap.add_argument("--no-check", action="store_true", help="skip the run-back check (GPU side)")
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args(argv)

    global jax, jnp, lax, onnx, numpy_helper
    try:
        import jax as _jax
        import jax.numpy as _jnp
        import onnx as _onnx
        from onnx import numpy_helper as _nh
    except ImportError as e:
        sys.exit(f"error: {e}. Run with .deps/venv-xla/bin/python (scripts/setup.sh installs it).")
    jax, jnp, lax, onnx, numpy_helper = _jax, _jnp, _jax.lax, _onnx, _nh
    dtype = jnp.dtype(PRECISIONS[args.precision])
    man = model_zoo.load_manifest(args.out)
    failed = []
    for name in args.models:
        entry = man["models"].get(name)
        if not entry or "onnx" not in entry["files"]:
            log(f"[{name}] not in {args.out}/manifest.json: run tools/model_zoo.py {name} first")
            failed.append(name)
            continue
        onnx_path = args.out / entry["files"]["onnx"]["path"]
        onnx_sha = entry["files"]["onnx"]["sha256"]
        mdir = args.out / name
        x = np.load(mdir / f"{name}.sample_input.npy")
        ref = np.load(mdir / f"{name}.sample_output.npy")
        net = None
        for batch in args.batch_sizes:
            kind = f"stablehlo_{args.precision}_b{batch}"
            path = mdir / f"{name}.stablehlo.{args.precision}.b{batch}.mlirbc"
            sidecar = Path(str(path) + ".json")
            old = entry["files"].get(kind, {})
            if (not args.force and path.is_file() and sidecar.is_file()
                    and old.get("source_onnx_sha256") == onnx_sha
                    and old.get("converter_version") == CONVERTER_VERSION
                    and old.get("sha256") == model_zoo.sha256_of(path)):
                log(f"[{path.name}] up to date")
                continue
            try:
                net = net or OnnxToJax(onnx_path, dtype)
                t0 = time.perf_counter()
                exported = export(net, batch, dtype, args.platform)
                export_s = time.perf_counter() - t0
                err, top1 = (None, None) if args.no_check else check(exported, x, ref)
            except ConvertError as e:
                log(f"[{path.name}] ERROR: {e}")
                failed.append(name)
                break
            ok = err is None or (err <= TOLERANCE[args.precision] and top1)
            status = "not checked" if err is None else f"rel err {err:.2e}, top-1 " + (
                "same" if top1 else "DIFFERENT")
            log(f"[{path.name}] exported in {export_s:.1f}s, {status}"
                + ("" if ok else f" (tolerance {TOLERANCE[args.precision]})"))
            if not ok and args.precision == "fp32":  # fp16/bf16: reported, kept
                failed.append(name)
                continue
            path.write_bytes(exported.mlir_module_serialized)
            out_aval = exported.out_avals[0]
            sidecar.write_text(json.dumps({
                "model": name, "precision": args.precision, "batch_size": batch,
                "inputs": [{"name": "input", "shape": list(exported.in_avals[0].shape),
                            "dtype": str(exported.in_avals[0].dtype)}],
                "outputs": [{"name": "logits", "shape": list(out_aval.shape),
                             "dtype": str(out_aval.dtype)}],
                "lowered_for": args.platform, "format": "mlir (portable StableHLO bytecode)",
                "calling_convention_version": exported.calling_convention_version,
                "jax_version": jax.__version__, "onnx_sha256": onnx_sha,
                "rel_err_vs_reference": err, "top1_same": top1}, indent=2) + "\n")
            rec = model_zoo.file_record(args.out, path, batch)
            rec.update({"source_onnx_sha256": onnx_sha, "converter": "tools/xla_zoo.py",
                        "converter_version": CONVERTER_VERSION, "precision": args.precision,
                        "rel_err": err})
            man = model_zoo.load_manifest(args.out)  # re-read: keep whatever else is there
            man["models"][name]["files"][kind] = rec
            model_zoo.save_manifest(args.out, man)
            entry = man["models"][name]
        if net is not None:
            log(f"[{name}] ONNX ops: {', '.join(f'{k} {v}' for k, v in sorted(net.ops.items()))}")
    if failed:
        log(f"FAILED: {', '.join(dict.fromkeys(failed))}")
        return 1
    return 0


if __name__ == "__main__":
    # Lowering for cuda needs no GPU, and the check runs on the CPU: jax never touches a GPU here.
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    sys.exit(main(sys.argv[1:]))
