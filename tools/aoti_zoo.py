#!/usr/bin/env python3
"""GPU-machine side of infbench's model zoo: the zoo's models without OpenCV, and AOTInductor
packages (.pt2) per model x precision x batch size.

Why this exists
---------------
The GPU machine has PyTorch 2.x with CUDA but no OpenCV and no package registry, and models/ is
git-ignored and too large to carry there. So the models are rebuilt there, from the same code as
tools/model_zoo.py (same torchvision constructors, weight seeds and batch-norm re-estimation), so
that outputs match the CPU zoo's references. AOTInductor compiles a whole model ahead of time
(~50 s per model and shape); its compile time goes into a sidecar `<package>.json`, which the
C++ adapter (src/backends/aotinductor.cpp) reports as the framework's optimisation time.

    python3 tools/aoti_zoo.py models resnet50 resnet18          # .ts, .onnx, references, manifest
    python3 tools/aoti_zoo.py packages resnet50 --precision fp16 --batch-sizes 1,64
    python3 tools/aoti_zoo.py packages resnet50 --precision fp16 --dynamic-batch 1024

Packages are named models/<model>/<model>.<precision>.b<batch>.pt2; existing ones are kept. With
--dynamic-batch MAX, one package per model and precision instead,
models/<model>/<model>.<precision>.dyn.pt2, exported with a symbolic batch dimension
(torch.export Dim, 1..MAX): one compile serves every batch size (issue 17 item 3), listed in the
manifest as aotinductor_<precision>_dyn, which the adapter takes where no package of the point's
batch size exists. Inductor tunes its kernels for the example batch (--dynamic-example, default
64), so static packages can be faster at other sizes: that is for the plan to measure.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import model_zoo  # noqa: E402  (the CPU zoo: model construction, exports, manifest)

PRECISIONS = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}


def import_torch():
    import torch
    import torchvision
    model_zoo.torch, model_zoo.torchvision = torch, torchvision
    return torch


def build_models(args) -> int:
    """model_zoo.build_one without the OpenCV variants (no OpenCV on the GPU machine)."""
    torch = import_torch()
    import onnx
    model_zoo.onnx = onnx
    model_zoo.cv2 = types.SimpleNamespace(__version__="not installed (GPU machine)")
    model_zoo.build_opencv_variants = lambda *a, **k: {}
    # PyTorch >= 2.9 exports through dynamo by default; the zoo's files come from the TorchScript
    # exporter (opset 17, symbolic batch), which is kept where it still exists.
    export = torch.onnx.export

    def legacy_export(*a, **k):
        try:
            return export(*a, dynamo=False, **k)
        except TypeError:
            return export(*a, **k)
    torch.onnx.export = legacy_export
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    failed = []
    for name in args.models:
        t0 = time.perf_counter()
        man = model_zoo.load_manifest(out)
        old = man["models"].get(name)
        if old and (out / old["files"]["torchscript"]["path"]).exists() and not args.force:
            print(f"[{name}] present", flush=True)
            continue
        print(f"[{name}]", flush=True)
        try:
            entry = model_zoo.build_one(model_zoo.MODELS[name], out, [], args.bn_batches,
                                        args.bn_batch_size, old)
        except model_zoo.BuildError as e:
            print(f"  ERROR: {e}", flush=True)
            failed.append(name)
            continue
        entry["build_seconds"] = round(time.perf_counter() - t0, 1)
        man = model_zoo.load_manifest(out)
        man["models"][name] = entry
        model_zoo.save_manifest(out, man)
        print(f"  built {name} in {entry['build_seconds']:.1f}s", flush=True)
    return 1 if failed else 0


def compile_package(torch, model, x, path: Path, dynamic_shapes, sidecar: dict) -> None:
    """torch.export + aoti_compile_and_package of `model` on example input `x` into `path`, and the
    sidecar `<path>.json` (`sidecar`'s fields plus what every package records)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with torch.no_grad():
        exported = torch.export.export(model, (x,), dynamic_shapes=dynamic_shapes)
        torch._inductor.aoti_compile_and_package(exported, package_path=str(path))
        y = model(x)
    seconds = time.perf_counter() - t0
    fields = {"input_shape": list(x.shape), "output_shape": list(y.shape), **sidecar}
    if dynamic_shapes is not None:  # the batch dimension is symbolic
        fields["input_shape"][0] = fields["output_shape"][0] = -1
    Path(str(path) + ".json").write_text(json.dumps({
        **fields, "compile_s": round(seconds, 2),
        "compiled_with": "torch._inductor.aoti_compile_and_package (default configs)"
                         + (", torch.export with a symbolic batch dimension"
                            if dynamic_shapes is not None else ""),
        "torch_version": torch.__version__,
        "gpu": torch.cuda.get_device_name(0)}, indent=2) + "\n")
    print(f"[{path.name}] compiled in {seconds:.1f}s", flush=True)


def build_packages(args) -> int:
    torch = import_torch()
    if not torch.cuda.is_available():
        sys.exit("error: AOTInductor packages are compiled for CUDA: no GPU visible")
    if args.dynamic_batch and args.dynamic_batch < 2:
        sys.exit("error: --dynamic-batch MAX must be >= 2 (for one batch size, --batch-sizes)")
    dtype = getattr(torch, PRECISIONS[args.precision])
    out = Path(args.out)
    for name in args.models:
        model = None

        def built_model():  # same weights as the zoo's .ts/.onnx files; built once, if needed
            nonlocal model
            if model is None:
                model = model_zoo.build_model(model_zoo.MODELS[name], args.bn_batches,
                                              args.bn_batch_size).to("cuda", dtype).eval()
            return model

        spec = model_zoo.MODELS[name]
        # The package's input type, which the adapter hands the harness: the precision's float
        # type, or uint8 for a pixel-input variant (its program casts after the copy).
        base = {"model": name, "precision": args.precision, "device": "cuda",
                "input_dtype": "torch.uint8" if spec.pixels else str(dtype)}
        if args.dynamic_batch:
            path = out / name / f"{name}.{args.precision}.dyn.pt2"
            sidecar = Path(str(path) + ".json")
            same_range = sidecar.exists() and json.loads(sidecar.read_text()).get(
                "batch_range") == [1, args.dynamic_batch]
            if path.exists() and same_range and not args.force:
                print(f"[{path.name}] present", flush=True)
            else:
                # The example must not be 1: torch.export specialises a dimension of size 0 or 1.
                example = max(2, min(args.dynamic_example, args.dynamic_batch))
                batch = torch.export.Dim("batch", min=1, max=args.dynamic_batch)
                compile_package(
                    torch, built_model(),
                    model_zoo.example_input(spec, example, device="cuda", dtype=dtype),
                    path, ({0: batch},),
                    {**base, "batch_size": "dynamic", "batch_range": [1, args.dynamic_batch],
                     "example_batch": example})
            # Listed whether compiled now or found present: a parallel writer or a rebuild of the
            # model's zoo entry may have dropped it.
            register(out, name, {f"aotinductor_{args.precision}_dyn": (path, None)})
            continue
        packages = {}
        for batch in args.batch_sizes:
            path = out / name / f"{name}.{args.precision}.b{batch}.pt2"
            packages[f"aotinductor_{args.precision}_b{batch}"] = (path, batch)
            if path.exists() and Path(str(path) + ".json").exists() and not args.force:
                print(f"[{path.name}] present", flush=True)
                continue
            compile_package(
                torch, built_model(),
                model_zoo.example_input(spec, batch, device="cuda", dtype=dtype),
                path, None, {**base, "batch_size": batch})
        register(out, name, packages)
    return 0


def register(out: Path, name: str, packages: dict) -> None:
    """List the packages ({kind: (path, batch)}) that exist in the zoo manifest, where a sweep plan
    finds them; a rebuild of the model by the zoo drops them with its other files."""
    man = model_zoo.load_manifest(out)
    entry = man["models"].get(name)
    if entry is None:
        print(f"note: {name} is not in {out}/manifest.json: build it first (models {name})")
        return
    for kind, (path, batch) in packages.items():
        if path.exists():
            entry["files"][kind] = model_zoo.file_record(out, path, batch)
    model_zoo.save_manifest(out, man)


def main(argv) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    for command in ("models", "packages"):
        p = sub.add_parser(command)
        p.add_argument("models", nargs="+", choices=sorted(model_zoo.MODELS), metavar="MODEL")
        p.add_argument("--out", default="models")
        p.add_argument("--force", action="store_true")
        p.add_argument("--bn-batches", type=int, default=8)
        p.add_argument("--bn-batch-size", type=int, default=16)
        p.add_argument("--threads", type=int, default=8)
        if command == "packages":
            p.add_argument("--precision", choices=sorted(PRECISIONS), default="fp16")
            p.add_argument("--batch-sizes", default="1,64",
                           type=lambda s: [int(b) for b in s.split(",")])
            p.add_argument("--dynamic-batch", type=int, default=0, metavar="MAX",
                           help="one package with a symbolic batch dimension 1..MAX instead of "
                                "one per --batch-sizes entry")
            p.add_argument("--dynamic-example", type=int, default=64,
                           help="the batch Inductor tunes a dynamic package's kernels for")
    args = ap.parse_args(argv)
    return build_models(args) if args.command == "models" else build_packages(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
