#!/usr/bin/env python3
"""Measured deviations of reduced-precision programs from the fp32 reference, the evidence
for the accuracy gates in docs/metrics.md ("Accuracy gates").

Each zoo model's ONNX graph is converted to jax by tools/xla_zoo.py's OnnxToJax (weights,
input and arithmetic in the precision; the same conversion that makes the xla adapter's
stablehlo_fp16/bf16 files), run by XLA on the CPU, and compared with the zoo's fp32
PyTorch reference using infbench's definitions: max |y - ref| / max |ref|, the minimum over
samples of cosine(y, ref), and the share of samples whose top-1 class agrees.

    .deps/venv-xla/bin/python bench/accuracy_deviation.py --out out/accuracy_deviation.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import xla_zoo  # noqa: E402


def deviation(y: np.ndarray, ref: np.ndarray) -> dict:
    y = y.astype(np.float64).reshape(len(y), -1)
    ref = ref.astype(np.float64).reshape(len(ref), -1)
    cos = np.sum(y * ref, 1) / np.maximum(np.linalg.norm(y, axis=1) * np.linalg.norm(ref, axis=1),
                                          1e-300)
    return {"max_rel_error": float(np.max(np.abs(y - ref)) / max(np.max(np.abs(ref)), 1e-30)),
            "cosine_min": float(np.min(cos)),
            "top1_agreement": float(np.mean(y.argmax(1) == ref.argmax(1)))}


def cases(zoo: Path):
    """(model, onnx, input, fp32 reference, labels or None)."""
    for name in ("resnet18", "mobilenet_v3_small"):
        d = zoo / name
        yield (name, d / f"{name}.onnx", np.load(d / f"{name}.sample_input.npy"),
               np.load(d / f"{name}.sample_output.npy"), None)
    fm = zoo / "fashion_mnist"
    x = np.load(fm / "test_images_1k.npy")
    labels = np.load(fm / "test_labels_1k.npy")
    for name in ("fmnist_cnn_a", "fmnist_cnn_b", "fmnist_cnn_c"):
        yield (name, fm / f"{name}.onnx", x, np.load(fm / f"{name}.test_logits_1k.npy"), labels)


def main(argv) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--zoo", type=Path, default=Path("models"))
    ap.add_argument("--out", type=Path, default=Path("out/accuracy_deviation.json"))
    args = ap.parse_args(argv)
    import jax
    import jax.numpy as jnp
    import onnx
    from onnx import numpy_helper
    # xla_zoo imports these in its main(); its converter reads them as module globals.
    xla_zoo.jax, xla_zoo.jnp, xla_zoo.lax = jax, jnp, jax.lax
    xla_zoo.onnx, xla_zoo.numpy_helper = onnx, numpy_helper
    rows = []
    for name, onnx_path, x, ref, labels in cases(args.zoo):
        for precision in ("fp32", "fp16", "bf16"):
            dtype = getattr(jnp, xla_zoo.PRECISIONS[precision])
            try:
                net = xla_zoo.OnnxToJax(onnx_path, dtype)
            except xla_zoo.ConvertError as e:
                print(f"{name} {precision}: not convertible ({e})")
                break
            with jax.default_device(jax.devices("cpu")[0]):
                y = np.asarray(jax.jit(net)(jnp.asarray(x, dtype=dtype))).astype(np.float32)
            row = {"model": name, "precision": precision, "samples": len(x), **deviation(y, ref)}
            if labels is not None:
                row["top1_accuracy"] = float(np.mean(y.argmax(1) == labels))
                row["top1_accuracy_fp32_reference"] = float(np.mean(ref.argmax(1) == labels))
            rows.append(row)
            print(json.dumps(row))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"jax": jax.__version__, "rows": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
