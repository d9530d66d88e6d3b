#!/usr/bin/env python3
"""Harness parity for the tvm adapter: the same compiled module run by TVM's own Python runtime
and by `infbench bench --framework tvm`, same batch and threads, offline throughput.

Python side: tvm.runtime.load_module + relax.VirtualMachine (pooled allocator, as the adapter),
runtime.config_threadpool(1, threads), then a timed loop over vm["main"](tvm.runtime.tensor(x))
followed by .numpy(): one host-to-TVM copy of the batch and the output back in host memory per
call, which is what the adapter does too. Warm-up calls first, then at least --min-duration-s
and --min-calls calls. The infbench side is one `infbench bench` run (offline scenario, pipeline
on) whose JSON record gives throughput_samples_per_s.

The two sides alternate for --rounds rounds (default 3) and each side's median is taken, so that
a change of the machine's load (other jobs on a shared VM) hits both alike.
Ratio = median infbench / median Python; 1.0 means the harness adds nothing.

    .deps/venv-mlir/bin/python bench/tvm_python_parity.py \
        --model models/resnet18/resnet18.tvm_llvm.so --batch 1 8 --threads 2
"""
import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np


def python_throughput(model: Path, batch: int, threads: int, warmup: int, min_s: float,
                      min_calls: int) -> dict:
    import tvm
    from tvm import relax
    tvm.get_global_func("runtime.config_threadpool")(1, threads)
    dev = tvm.cpu()
    vm = relax.VirtualMachine(tvm.runtime.load_module(str(model)), dev)
    x = np.random.default_rng(1).standard_normal((batch, 3, 224, 224), dtype=np.float32)
    for _ in range(warmup):
        vm["main"](tvm.runtime.tensor(x, dev)).numpy()
    calls, t0 = 0, time.perf_counter()
    while calls < min_calls or time.perf_counter() - t0 < min_s:
        vm["main"](tvm.runtime.tensor(x, dev)).numpy()
        calls += 1
    elapsed = time.perf_counter() - t0
    return {"samples_per_s": calls * batch / elapsed, "calls": calls, "seconds": elapsed}


def infbench_throughput(infbench: Path, model: Path, batch: int, threads: int, min_s: float,
                        min_calls: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "record.json"
        subprocess.run([str(infbench), "bench", "--framework", "tvm", "--model", str(model),
                        "--batch-size", str(batch), "--threads", str(threads),
                        "--min-duration-s", str(min_s), "--min-queries", str(min_calls),
                        "--warmup-queries", "2", "--input-shape", "3x224x224", "--json", str(out)],
                       check=True, capture_output=True, text=True)
        rec = json.loads(out.read_text())["record"]
    return {"samples_per_s": rec["throughput_samples_per_s"],
            "batch_compute_mean_ms": rec["batch_compute_mean_ms"]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", type=Path, required=True, help="a .so from tools/tvm_zoo.py")
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 8])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--min-duration-s", type=float, default=10)
    ap.add_argument("--min-calls", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--infbench", type=Path, default=Path("build/infbench"))
    args = ap.parse_args()
    rows = []
    for b in args.batch:
        py, ib = [], []
        for _ in range(args.rounds):
            py.append(python_throughput(args.model, b, args.threads, 2, args.min_duration_s,
                                        args.min_calls)["samples_per_s"])
            ib.append(infbench_throughput(args.infbench, args.model, b, args.threads,
                                          args.min_duration_s, args.min_calls)["samples_per_s"])
        py_med, ib_med = float(np.median(py)), float(np.median(ib))
        rows.append({"model": str(args.model), "batch": b, "threads": args.threads,
                     "rounds": args.rounds,
                     "python_samples_per_s": [round(v, 3) for v in py],
                     "infbench_samples_per_s": [round(v, 3) for v in ib],
                     "ratio_infbench_over_python": round(ib_med / py_med, 3)})
        print(json.dumps(rows[-1]), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
