#!/usr/bin/env python3
"""Compile the zoo's ONNX models with Apache TVM (Relax) into modules infbench's tvm adapter runs.

Why this exists
---------------
TVM's compiler is driven from Python (the wheel's libtvm_compiler.so has no C++ entry point of
its own), so compilation happens here, ahead of time, and the adapter (src/backends/tvm.cpp) only
loads the result in process through tvm-ffi's C++ API. The *same weights* as every other
framework: the input is the zoo's ``<m>.onnx``.

    ONNX --tvm.relax.frontend.onnx.from_onnx--> Relax IRModule
         --(optionally MetaSchedule tuning for one batch size)--> tvm.compile(target=llvm ...)
         --export_library--> <m>.<kind>.so  (+ sidecar <m>.<kind>.so.json)

Kinds added to models/manifest.json:

* ``tvm_llvm``: dynamic batch (the ONNX file's symbolic batch stays symbolic), TVM's default
  CPU schedules (no tuning). Correct, cheap to build (a few seconds), slow to run.
* ``tvm_llvm_tuned_b{B}`` (``--tune-trials N --tune-batch B``): static batch B, MetaSchedule
  tuned on this machine (its tuning log goes to ``models/<m>/tvm_tuning_b{B}/``, so a rebuild with
  the same settings reuses it). Minutes to hours, depending on the trials.

Knobs: ``--mcpu`` (``native``: this CPU's name from LLVM, e.g. znver3, the default; ``generic``:
plain x86-64), ``--opt-level`` (tvm.transform.PassContext's, default 3), ``--threads`` (only
for the checks and tuning measurements).

Each module is loaded back with TVM's Python runtime and checked against the zoo's PyTorch
reference (rel err max|a-b|/max|ref| <= 1e-4, same top-1) at batch 4 and 3 (dynamic) or B.
The sidecar records target, opt level, tuning, shapes, TVM version and compile seconds; the
adapter reports them as settings and the compile time as load_optimize_s.

Run with the TVM venv's python (scripts/setup.sh makes it):

    .deps/venv-mlir/bin/python tools/tvm_zoo.py resnet18 mobilenet_v3_small
    .deps/venv-mlir/bin/python tools/tvm_zoo.py resnet18 --tune-trials 400 --tune-batch 1
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import List, Optional

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import model_zoo  # noqa: E402  (model list, hashing, rel_err, manifest helpers; no torch import)

tvm = None  # type: ignore  (imported lazily: --help stays instant)

# Bump when the modules this script writes change (older ones are rebuilt).
COMPILER_VERSION = 1
REL_ERR_TOL = model_zoo.REL_ERR_TOL
DYNAMIC_KIND = "tvm_llvm"
INPUT_NAME, OUTPUT_NAME = "input", "logits"

log = model_zoo.log


class CompileError(RuntimeError):
    pass


def target_of(mcpu: str, threads: int):
    spec = {"kind": "llvm", "num-cores": threads}
    if mcpu == "native":
        spec["mcpu"] = str(tvm.target.codegen.llvm_get_system_cpu())
    elif mcpu != "generic":
        spec["mcpu"] = mcpu
    return tvm.target.Target(spec)


def import_onnx(onnx_path: Path, batch: Optional[int], sample_shape: list):
    import onnx
    from tvm.relax.frontend.onnx import from_onnx
    proto = onnx.load(str(onnx_path))
    shape = {INPUT_NAME: [batch, *sample_shape]} if batch else None
    # Weights become constants of the module: the .so is self-contained, like the ONNX file.
    return from_onnx(proto, shape_dict=shape, keep_params_in_input=False)


def compile_module(onnx_path: Path, target, opt_level: int, batch: Optional[int],
                   sample_shape: list, tune_trials: int, work_dir: Optional[Path], threads: int):
    from tvm import relax
    mod = import_onnx(onnx_path, batch, sample_shape)
    with tvm.transform.PassContext(opt_level=opt_level):
        if tune_trials:
            from tvm.s_tir import meta_schedule as ms
            with target:
                mod = relax.transform.DecomposeOpsForInference()(mod)
                mod = relax.transform.CanonicalizeBindings()(mod)
                mod = relax.get_pipeline("zero")(mod)
            tasks = len(ms.relax_integration.extract_tasks(mod, target))
            per_task = max(1, tune_trials // max(1, tasks))
            log(f"  - MetaSchedule: {tasks} tasks, {tune_trials} trials "
                f"({per_task} per task), log in {work_dir}")
            # The builder/runner timeouts are generous: each pool worker imports TVM first
            # (~10 s on a loaded 2-core machine), and the 30 s default then fails every build.
            database = ms.relax_integration.tune_relax(
                mod, {}, target, str(work_dir), tune_trials, per_task,
                num_trials_per_iter=min(per_task, 16), cost_model="random",
                builder=ms.builder.LocalBuilder(timeout_sec=600, max_workers=1),
                runner=ms.runner.LocalRunner(timeout_sec=300))
            with target, database:
                mod = relax.transform.MetaScheduleApplyDatabase()(mod)
        return tvm.compile(mod, target=target)


def run_module(path: Path, x: np.ndarray, threads: int) -> np.ndarray:
    from tvm import relax
    tvm.get_global_func("runtime.config_threadpool")(1, threads)
    dev = tvm.cpu()
    vm = relax.VirtualMachine(tvm.runtime.load_module(str(path)), dev)
    return vm["main"](tvm.runtime.tensor(x, dev)).numpy()


def check(path: Path, x: np.ndarray, ref: np.ndarray, batches: List[int], threads: int) -> dict:
    errs, top1 = {}, {}
    for b in batches:
        rows = np.arange(b) % len(x)  # a static batch larger than the sample repeats its rows
        y = run_module(path, np.ascontiguousarray(x[rows]), threads)
        errs[b] = model_zoo.rel_err(y, ref[rows])
        top1[b] = bool((y.argmax(1) == ref[rows].argmax(1)).all())
    return {"rel_err": errs, "top1_agree": top1}


def sidecar(path: Path) -> dict:
    p = Path(str(path) + ".json")
    return json.loads(p.read_text()) if p.is_file() else {}


def up_to_date(out_dir: Path, entry: dict, kind: str, onnx_sha: str, settings: dict) -> bool:
    rec = entry["files"].get(kind)
    if not rec:
        return False
    p = out_dir / rec["path"]
    if not p.is_file() or model_zoo.sha256_of(p) != rec.get("sha256"):
        return False
    side = sidecar(p)
    return (rec.get("source_onnx_sha256") == onnx_sha
            and rec.get("compiler_version") == COMPILER_VERSION
            and all(side.get(k) == v for k, v in settings.items()))


def build_kind(name: str, out_dir: Path, entry: dict, onnx_sha: str, kind: str,
               batch: Optional[int], args) -> dict:
    mdir = out_dir / name
    onnx_path = out_dir / entry["files"]["onnx"]["path"]
    target = target_of(args.mcpu, args.threads)
    tuned = bool(args.tune_trials) and batch is not None
    settings = {"target": str(target), "opt_level": args.opt_level,
                "tuning": f"meta_schedule {args.tune_trials} trials" if tuned else "none"}
    final = mdir / f"{name}.{kind}.so"
    if not args.force and up_to_date(out_dir, entry, kind, onnx_sha, settings):
        log(f"  {final.name}: up to date")
        return {}
    work_dir = mdir / f"tvm_tuning_b{batch}" if tuned else None
    t0 = time.perf_counter()
    # The zoo's inputs: float32 [3,224,224] images, or uint8 [224,224,3] pixels (*_u8 variants).
    model_input = entry["inputs"][0]
    sample_shape = model_input["shape"][1:]
    executable = compile_module(onnx_path, target, args.opt_level, batch, sample_shape,
                                args.tune_trials if tuned else 0, work_dir, args.threads)
    tmp = mdir / f".{final.name}.tmp.so"
    executable.export_library(str(tmp))
    compile_s = round(time.perf_counter() - t0, 2)
    log(f"  - {final.name}: compiled for {target} in {compile_s:.1f}s")
    x = np.load(mdir / f"{name}.sample_input.npy")
    ref = np.load(mdir / f"{name}.sample_output.npy")
    try:
        c = check(tmp, x, ref, [batch] if batch else [4, 3], args.threads)
        worst = max(c["rel_err"].values())
        same = all(c["top1_agree"].values())
        log(f"    rel err {', '.join(f'b{b} {e:.2e}' for b, e in c['rel_err'].items())}, "
            f"top-1 {'same' if same else 'DIFFERENT'}")
        if not (worst <= REL_ERR_TOL and same):
            raise CompileError(f"{final.name}: rel err {worst:.3e} (tol {REL_ERR_TOL}) or top-1 "
                               "differs from the reference")
        os.chmod(tmp, 0o777 & ~model_zoo.current_umask())
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()
    records_file = work_dir / "database_tuning_record.json" if work_dir else None
    # The log accumulates across runs: the module uses the best of every record in it.
    tuning_records = (sum(1 for _ in open(records_file))
                      if records_file and records_file.is_file() else 0)
    side = {**settings, "device": "cpu", "tvm_version": tvm.__version__,
            "tuning_records": tuning_records,
            "compile_s": compile_s, "input_name": INPUT_NAME, "output_name": OUTPUT_NAME,
            "input_shape": [batch or -1, *sample_shape], "output_shape": [batch or -1, 1000],
            "input_dtype": model_input.get("dtype", "float32"),
            "rel_err": c["rel_err"], "top1_agree": c["top1_agree"]}
    model_zoo.atomic_write(Path(str(final) + ".json"),
                           lambda p: p.write_text(json.dumps(side, indent=1) + "\n"))
    rec = model_zoo.file_record(out_dir, final, batch or "dynamic")
    rec.update({"source_onnx_sha256": onnx_sha, "converter": "tools/tvm_zoo.py",
                "compiler_version": COMPILER_VERSION, **settings, "compile_s": compile_s})
    return {kind: rec}


def main(argv: List[str]) -> int:
    ap = argparse.ArgumentParser(description="Compile the zoo's ONNX models with Apache TVM "
                                 "(Relax VM modules for infbench's tvm adapter), verified "
                                 "against the zoo's PyTorch reference.")
    ap.add_argument("models", nargs="*", metavar="MODEL")
    ap.add_argument("--all", action="store_true", help="every zoo model in the manifest")
    ap.add_argument("--out", default="models", type=Path, help="zoo dir (default: models)")
    ap.add_argument("--force", action="store_true", help="rebuild even if up to date")
    ap.add_argument("--mcpu", default="native",
                    help="LLVM CPU: native (this machine's, default), generic, or a name")
    ap.add_argument("--opt-level", type=int, default=3, choices=range(4),
                    help="PassContext opt level (default 3)")
    ap.add_argument("--tune-trials", type=int, default=0,
                    help="MetaSchedule trials for a tvm_llvm_tuned_b{B} module (0: none, the "
                         "default; then only the untuned dynamic-batch tvm_llvm is built)")
    ap.add_argument("--tune-batch", type=int, action="append",
                    help="batch size of a tuned module (repeatable; default 1)")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                    help="threads of the checks and the tuning measurements (default: all)")
    args = ap.parse_args(argv)

    out_dir: Path = args.out
    man = model_zoo.load_manifest(out_dir)
    if args.all:
        args.models = [m for m in model_zoo.MODELS if m in man["models"]]
    if not args.models:
        ap.exit(2, f"error: name at least one MODEL or use --all; valid: "
                   f"{', '.join(model_zoo.MODELS)}\n")
    for m in args.models:
        files = man["models"].get(m, {}).get("files", {})
        if any(k not in files or not (out_dir / files[k]["path"]).is_file()
               for k in ("onnx", "sample_input", "sample_output")):
            ap.exit(2, f"error: {m} is not built in {out_dir} (manifest entry or its onnx/sample "
                       f"files missing); build it first: /usr/bin/python3 tools/model_zoo.py "
                       f"--out {out_dir} {m}\n")

    global tvm
    try:
        import tvm as _tvm
    except ImportError as e:
        sys.exit(f"error: {e}. Run with .deps/venv-mlir/bin/python (scripts/setup.sh installs "
                 "scripts/requirements-mlir.txt there).")
    tvm = _tvm
    log(f"tvm {tvm.__version__}, target CPU {tvm.target.codegen.llvm_get_system_cpu()}")

    builds = [(DYNAMIC_KIND, None)]
    if args.tune_trials:
        builds = [(f"tvm_llvm_tuned_b{b}", b) for b in (args.tune_batch or [1])]
    failed = []
    for name in args.models:
        log(f"[{name}]")
        t0 = time.perf_counter()
        entry = man["models"][name]
        onnx_sha = model_zoo.sha256_of(out_dir / entry["files"]["onnx"]["path"])
        records = {}
        try:
            for kind, batch in builds:
                records.update(build_kind(name, out_dir, entry, onnx_sha, kind, batch, args))
        except (CompileError, tvm.error.TVMError if hasattr(tvm, "error") else RuntimeError) as e:
            log(f"  ERROR: {str(e).strip().splitlines()[0][:500]}")
            failed.append(name)
            continue
        if not records:
            continue
        man = model_zoo.load_manifest(out_dir)  # re-read: keep whatever else is there
        cur = man["models"][name]
        if cur["files"]["onnx"]["sha256"] != entry["files"]["onnx"]["sha256"]:
            log(f"  ERROR: {name}'s manifest entry changed while compiling; run again")
            failed.append(name)
            continue
        cur["files"].update(records)
        model_zoo.save_manifest(out_dir, man)
        log(f"  {name}: {', '.join(records)} in {time.perf_counter() - t0:.1f}s")
    if failed:
        log(f"FAILED: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
