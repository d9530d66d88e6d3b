#!/usr/bin/env python3
"""Where TorchScript loses against PyTorch eager on the GPU (issue 17 item 2), in one process.

The same torchvision model (the zoo's constructor and weight seed), fp16, channels-last, input
already on the GPU, timed with CUDA events in >= 3 rounds (bench/gpu_peers.py's timer), as:
  eager             the nn.Module, torch.inference_mode
  eager-bench       the same with torch.backends.cudnn.benchmark = True
  ts-baked          torch.jit.trace + torch.jit.freeze with cudnn.benchmark False while tracing:
                    the tracer records aten::_convolution with benchmark=False as a constant
                    (pytorch/pytorch#18776), as the zoo's .ts files have it; what the libtorch
                    adapter ran before it rewrote those flags
  ts-bench          traced with cudnn.benchmark True: what the adapter runs with cudnn_benchmark=on
  ts-bench-graph    ts-bench replayed from a CUDA graph (the adapter's cuda_graph=on)
then torch.profiler over one forward pass of eager, ts-baked and ts-bench: CUDA time per pass,
kernels per pass, and the kernels that take most of it. Prints a table and writes OUT (JSON).

  python3 bench/libtorch_gap.py --model resnet50 --batch 256 --out out/gpu/libtorch_gap.json
  # smoke test of the script on the CPU (fp32, wall clock, no CUDA graph and no profile)
  /usr/bin/python3 bench/libtorch_gap.py --device -1 --model resnet18 --batch 2 --min-s 0.2
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "bench"))
import gpu_peers  # noqa: E402  (its timer, so the figures compare with the peers table)


def traced(torch, model, x, benchmark: bool):
    torch.backends.cudnn.benchmark = benchmark  # baked into every traced convolution
    with torch.inference_mode(False), torch.no_grad():
        module = torch.jit.freeze(torch.jit.trace(model, x).eval())
    torch.backends.cudnn.benchmark = False  # the process switch no longer matters for it
    return module


def graphed(torch, fn, x):
    static_x = x.clone()
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            fn(static_x)
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        fn(static_x)
    return lambda _x: graph.replay()


def profile(torch, fn, x, top: int) -> dict:
    from torch.profiler import ProfilerActivity
    with torch.profiler.profile(activities=[ProfilerActivity.CUDA]) as prof:
        fn(x)
        torch.cuda.synchronize()
    kernels = [e for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA]
    total_us = sum(e.time_range.elapsed_us() for e in kernels)  # device events: kernel durations
    by_name: dict = {}
    for e in kernels:
        by_name[e.name] = by_name.get(e.name, 0.0) + e.time_range.elapsed_us()
    ranked = sorted(by_name.items(), key=lambda kv: -kv[1])[:top]
    return {"cuda_ms_per_pass": total_us / 1000, "kernels_per_pass": len(kernels),
            "top": [{"kernel": k[:110], "ms": v / 1000, "share": v / total_us} for k, v in ranked]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="resnet50")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--device", type=int, default=0)
    ap.add_argument("--min-s", type=float, default=2.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--top", type=int, default=8)
    ap.add_argument("--out", default="out/gpu/libtorch_gap.json")
    a = ap.parse_args()
    import model_zoo
    import torch
    import torchvision
    model_zoo.torch, model_zoo.torchvision = torch, torchvision
    gpu = a.device >= 0
    if gpu and not torch.cuda.is_available():
        print("libtorch_gap.py: --device needs a CUDA GPU (torch sees none); -1 = CPU smoke test",
              file=sys.stderr)
        return 2
    if gpu:
        torch.cuda.set_device(a.device)
    dev, dtype = ("cuda", torch.half) if gpu else ("cpu", torch.float)
    fmt = torch.channels_last if gpu else torch.contiguous_format
    model = model_zoo.build_model(model_zoo.MODELS[a.model], 2, 8)
    model = model.to(dev, dtype=dtype).to(memory_format=fmt).eval()
    x = torch.randn(a.batch, *model_zoo.IMAGE_SHAPE, device=dev, dtype=dtype)
    x = x.contiguous(memory_format=fmt)
    ts_baked = traced(torch, model, x, benchmark=False)
    ts_bench = traced(torch, model, x, benchmark=True)
    variants = {"eager": (model, False), "eager-bench": (model, True),
                "ts-baked": (ts_baked, False), "ts-bench": (ts_bench, False)}
    results: dict = {"model": a.model, "batch": a.batch, "precision": "fp16" if gpu else "fp32",
                     "torch": torch.__version__,
                     "gpu": torch.cuda.get_device_name() if gpu else "cpu", "variants": {}}
    finish = torch.cuda.synchronize if gpu else (lambda: None)
    clock = gpu_peers.cuda_clock(torch) if gpu else gpu_peers.wall_clock
    with torch.inference_mode():
        for name, (fn, benchmark) in variants.items():
            torch.backends.cudnn.benchmark = benchmark
            results["variants"][name] = gpu_peers.timed_rounds(
                lambda f=fn: f(x), finish, a.batch, a.min_s, a.rounds, clock)
        torch.backends.cudnn.benchmark = False
        results["profiles"] = {}
        if gpu:
            replay = graphed(torch, ts_bench, x)
            results["variants"]["ts-bench-graph"] = gpu_peers.timed_rounds(
                lambda: replay(x), finish, a.batch, a.min_s, a.rounds, clock)
            for name in ("eager", "ts-baked", "ts-bench"):
                fn, benchmark = variants[name]
                torch.backends.cudnn.benchmark = benchmark
                results["profiles"][name] = profile(torch, fn, x, a.top)
    eager = max(results["variants"]["eager"]["samples_per_s_rounds"])
    print(f"{a.model} {results['precision']} batch {a.batch}, input on the device, {results['gpu']}, "
          f"torch {torch.__version__}")
    print(f"{'variant':16} {'img/s median [min..max]':>32} {'x eager':>8}")
    for name, r in results["variants"].items():
        med, lo, hi = gpu_peers.interval(r["samples_per_s_rounds"])
        r["median"] = med
        print(f"{name:16} {med:>14.0f} [{lo:.0f}..{hi:.0f}] {med / eager:>8.3f}")
    for name, p in results["profiles"].items():
        print(f"\nprofile {name}: {p['cuda_ms_per_pass']:.2f} ms of kernels per pass, "
              f"{p['kernels_per_pass']} kernels")
        for k in p["top"]:
            print(f"  {k['ms']:8.3f} ms {k['share']:6.1%}  {k['kernel']}")
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
