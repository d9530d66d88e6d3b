#!/usr/bin/env python3
"""infbench against the peers a reader would use instead, in one run, on the zoo's models.

Peers (each in a worker process of its own, with its input already on the device):
  eager          PyTorch eager, torch.inference_mode, channels_last (GPU)
  compile        torch.compile(mode="max-autotune-no-cudagraphs")
  compile-cg     torch.compile(mode="max-autotune"), which adds CUDA graphs
  jax            jax.jit of the zoo's StableHLO program, rebuilt from the zoo's ONNX file by
                 tools/xla_zoo.py's converter (as bench/xla_vs_jax.py does) and checked to be byte
                 for byte the file infbench's xla adapter runs
and `infbench bench` for each infbench framework given (offline scenario: infbench copies every
batch from the host, the peers do not; the table says so). Every peer is timed in >= 3 rounds of
about --min-s each (CUDA events around the loop on a GPU; block_until_ready for jax; wall clock on
the CPU); the table gives the median and the range of the rounds (min..max), infbench's mean
throughput with its 95 % interval over its repeats, and the ratio best infbench / best peer.

The PyTorch peers build the torchvision model with the zoo's constructor and weight seed
(tools/model_zoo.py); batch-norm statistics are re-estimated on --bn-batches batches (the zoo
uses more), so weights are close to, not identical with, the zoo files: speed does not depend on
them. fp16 = weights and input in half precision (model.half()), as infbench's fp16 files.

  # GPU machine (scripts/gpu/run_peers.sh builds infbench and the zoo there first)
  python3 bench/gpu_peers.py --device 0 --infbench build-gpu/infbench --out out/gpu/peers
  # CPU smoke test here: torch 1.13 from Debian (no torch.compile), jax from .deps/venv-xla
  /usr/bin/python3 bench/gpu_peers.py --device -1 --models resnet18 --batch-sizes 1,8 \\
      --precisions fp32 --jax-python .deps/venv-xla/bin/python --min-s 0.5 --out /tmp/peers

Results accumulate in OUT/raw.jsonl (one line per measurement); a measurement already there is not
repeated, so several device calls can fill one table (--fresh starts again). With --infbench-csv
(the CSV export of a sweep run in the same device call), infbench's cells are that sweep's fastest
gate-passing offline points instead of `infbench bench` runs; they are read afresh on every run and
never written to raw.jsonl. --no-measure rewrites the tables without measuring anything.
OUT/peers.md, OUT/peers.csv and OUT/peers.json are rewritten from raw.jsonl at the end of every run.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
PEERS = ["eager", "compile", "compile-cg", "jax"]
COMPILE_MODES = {"compile": "max-autotune-no-cudagraphs", "compile-cg": "max-autotune"}
DTYPES = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}


# ------------------------------------------------------------------------------------------------
# worker side: one peer x model x precision x batch, printed as one JSON line
# ------------------------------------------------------------------------------------------------

def timed_rounds(step, finish, batch: int, min_s: float, rounds: int, clock) -> dict:
    """Calibrates the number of calls per round from a timed call, then times `rounds` rounds."""
    for _ in range(3):
        step()
    finish()
    start = time.perf_counter()
    step()
    finish()
    one = max(time.perf_counter() - start, 1e-6)
    calls = max(3, int(min_s / one))
    per_round = []
    for _ in range(rounds):
        seconds = clock(lambda: [step() for _ in range(calls)], finish)
        per_round.append(calls * batch / seconds)
    return {"samples_per_s_rounds": per_round, "calls_per_round": calls}


def wall_clock(loop, finish) -> float:
    t0 = time.perf_counter()
    loop()
    finish()
    return time.perf_counter() - t0


def cuda_clock(torch):
    """A clock for timed_rounds: seconds between CUDA events recorded around the loop."""
    def clock(loop, finish):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        loop()
        end.record()
        end.synchronize()
        return start.elapsed_time(end) / 1000
    return clock


def torch_worker(a) -> dict:
    import model_zoo
    import torch
    import torchvision
    model_zoo.torch, model_zoo.torchvision = torch, torchvision
    gpu = a.device >= 0
    dev = torch.device(f"cuda:{a.device}" if gpu else "cpu")
    if not gpu:
        torch.set_num_threads(os.cpu_count() or 1)
    if a.peer != "eager" and not hasattr(torch, "compile"):
        raise RuntimeError(f"not available: torch {torch.__version__} has no torch.compile")
    model = model_zoo.build_model(model_zoo.MODELS[a.model], a.bn_batches, 8)
    dtype = getattr(torch, DTYPES[a.precision])
    fmt = torch.channels_last if gpu else torch.contiguous_format
    model = model.to(dev, dtype=dtype).to(memory_format=fmt).eval()
    x = torch.randn(a.batch, *model_zoo.IMAGE_SHAPE, device=dev, dtype=dtype)
    x = x.contiguous(memory_format=fmt)
    t0 = time.perf_counter()
    fn = model if a.peer == "eager" else torch.compile(model, mode=COMPILE_MODES[a.peer])
    with torch.inference_mode():
        fn(x)  # compiles (torch.compile) on the first call
        if gpu:
            torch.cuda.synchronize(dev)
        first_call_s = time.perf_counter() - t0

        clock = cuda_clock(torch) if gpu else wall_clock
        finish = (lambda: torch.cuda.synchronize(dev)) if gpu else (lambda: None)
        out = timed_rounds(lambda: fn(x), finish, a.batch, a.min_s, a.rounds, clock)
    name = torch.cuda.get_device_name(dev) if gpu else "cpu"
    out.update(first_call_s=first_call_s, version=f"torch {torch.__version__}",
               device_name=name, timer="cuda events" if gpu else "wall clock",
               settings=("channels_last, " if gpu else "") + "inference_mode"
               + (f", torch.compile mode={COMPILE_MODES[a.peer]}" if a.peer != "eager" else ""))
    return out


def jax_worker(a) -> dict:
    import jax
    import jax.numpy as jnp
    import model_zoo
    import numpy as np
    import onnx
    import xla_zoo
    from onnx import numpy_helper
    xla_zoo.jax, xla_zoo.jnp, xla_zoo.lax = jax, jnp, jax.lax
    xla_zoo.onnx, xla_zoo.numpy_helper = onnx, numpy_helper
    device = jax.devices("gpu")[a.device] if a.device >= 0 else jax.devices("cpu")[0]
    models = Path(a.models_dir)
    files = model_zoo.load_manifest(models)["models"][a.model]["files"]
    dtype = jnp.dtype(xla_zoo.PRECISIONS[a.precision])
    net = xla_zoo.OnnxToJax(models / files["onnx"]["path"], dtype)
    exported = xla_zoo.export(net, a.batch, dtype, "cuda" if a.device >= 0 else "cpu")
    kind = f"stablehlo_{a.precision}_b{a.batch}"
    same = (kind in files and
            exported.mlir_module_serialized == (models / files[kind]["path"]).read_bytes())
    x = np.random.default_rng(0).standard_normal((a.batch, *model_zoo.IMAGE_SHAPE)).astype(dtype)
    x = jax.device_put(x, device)
    f = jax.jit(exported.call)
    last = []
    t0 = time.perf_counter()
    f(x).block_until_ready()
    first_call_s = time.perf_counter() - t0

    def step():
        last[:] = [f(x)]

    out = timed_rounds(step, lambda: last[0].block_until_ready(), a.batch, a.min_s, a.rounds,
                       wall_clock)
    out.update(first_call_s=first_call_s, version=f"jax {jax.__version__}",
               device_name=f"{device.device_kind}", timer="wall clock, block_until_ready",
               settings="jax.jit(exported.call) of the zoo's StableHLO program"
               + ("" if same else " (NOTE: not byte-identical to the zoo file"
                  + (")" if kind in files else f"; the zoo has no {kind})")))
    return out


def worker_main(a) -> int:
    try:
        out = jax_worker(a) if a.peer == "jax" else torch_worker(a)
        out["status"] = "ok"
    except Exception as e:  # a failed peer is a row of the table, not the end of the run
        out = {"status": "failed", "error": f"{type(e).__name__}: {e}".splitlines()[0][:300]}
    print("PEER_RESULT " + json.dumps(out), flush=True)
    return 0


# ------------------------------------------------------------------------------------------------
# driver side
# ------------------------------------------------------------------------------------------------

def num(v: float) -> str:
    return f"{v:.0f}" if v >= 100 else f"{v:.3g}"


def interval(values: list) -> tuple:
    return (statistics.median(values), min(values), max(values))


def run_peer(a, peer: str, model: str, precision: str, batch: int) -> dict:
    python = a.jax_python if peer == "jax" else a.torch_python
    cmd = [python, str(Path(__file__).resolve()), "--worker", peer, "--model", model,
           "--precision", precision, "--batch", str(batch), "--device", str(a.device),
           "--min-s", str(a.min_s), "--rounds", str(a.rounds), "--bn-batches", str(a.bn_batches),
           "--models-dir", a.models_dir]
    env = dict(os.environ, XLA_PYTHON_CLIENT_PREALLOCATE="false", PYTHONUNBUFFERED="1")
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout_s, env=env)
    except subprocess.TimeoutExpired:
        return {"status": "failed", "error": f"timeout after {a.timeout_s} s"}
    for line in p.stdout.splitlines():
        if line.startswith("PEER_RESULT "):
            return json.loads(line[len("PEER_RESULT "):])
    tail = (p.stderr.strip().splitlines() or ["no output"])[-1]
    return {"status": "failed", "error": f"worker exit {p.returncode}: {tail[:300]}"}


def zoo_file(models_dir: str, info: dict, manifest: dict, model: str, precision: str,
             batch: int):
    """The first of the adapter's zoo kinds that the manifest has, as the sweeps choose."""
    files = manifest["models"].get(model, {}).get("files", {})
    for kind in info.get("zoo_files", []):
        kind = kind.replace("{precision}", precision).replace("{batch}", str(batch))
        if kind in files:
            return Path(models_dir) / files[kind]["path"]
    return None


def run_infbench(a, info: dict, framework: str, model: str, precision: str, batch: int) -> dict:
    if precision not in info.get("precisions", []):
        return {"status": "failed", "error": f"{framework} has no {precision}"}
    manifest = json.loads((Path(a.models_dir) / "manifest.json").read_text())
    path = zoo_file(a.models_dir, info, manifest, model, precision, batch)
    if path is None:
        return {"status": "failed", "error": f"no {framework} file of {model} {precision} "
                f"batch {batch} in the zoo ({', '.join(info.get('zoo_files', []))})"}
    out = Path(a.out) / "infbench" / f"{model}.{framework}.{precision}.b{batch}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [a.infbench, "bench", "--framework", framework, "--model", str(path),
           "--batch-size", str(batch), "--device", str(a.device), "--precision", precision,
           "--min-duration-s", str(a.min_s), "--repeat", str(a.rounds), "--warmup-s", "2",
           "--json", str(out)]
    for s in a.set:
        fw, _, kv = s.partition(".")
        if fw == framework:
            key, _, value = kv.partition("=")
            # The optimisation level is a flag of its own (libtorch.optimization=optimize_for_inference).
            cmd += ["--optimization", value] if key == "optimization" else ["--set", kv]
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout_s)
    if p.returncode != 0 or not out.is_file():
        tail = (p.stderr.strip().splitlines() or ["no output"])[-1]
        return {"status": "failed", "error": f"exit {p.returncode}: {tail[:300]}"}
    rec = json.loads(out.read_text())
    rec = rec.get("record", rec)
    if rec.get("status") != "ok":
        return {"status": "failed", "error": rec.get("error", "?")}
    return {"status": "ok", "samples_per_s": rec["throughput_samples_per_s"],
            "ci95": [rec.get("throughput_ci95_low"), rec.get("throughput_ci95_high")],
            "version": f"{framework} {rec.get('framework_version', '')}".strip(),
            "settings": rec.get("effective_settings", ""),
            "h2d_copy_mean_ms": rec.get("h2d_copy_mean_ms")}


def sweep_points(csv_path: str) -> dict:
    """The fastest offline point per (model, framework, precision, batch) of a sweep's CSV export
    (`infbench export DB --format csv`), among those ok and not outside their accuracy gate: the
    infbench side of the table from a sweep run in the same device call, instead of measuring it
    again."""
    best = {}
    with open(csv_path, newline="") as f:
        for row in csv.DictReader(f):
            # The gate reads "pass", "not checked: ..." or "fail: <metric> ... outside ...".
            if (row.get("scenario") != "offline" or row.get("status") != "ok"
                    or row.get("accuracy_gate", "").startswith("fail")
                    or not row.get("throughput_samples_per_s")):
                continue
            key = (row["model_name"], row["framework"], row["precision"], int(row["batch_size"]))
            rate = float(row["throughput_samples_per_s"])
            if key not in best or rate > best[key]["samples_per_s"]:
                low, high = row.get("throughput_ci95_low"), row.get("throughput_ci95_high")
                best[key] = {
                    "status": "ok", "samples_per_s": rate,
                    "ci95": [float(low) if low else None, float(high) if high else None],
                    "version": f"{row['framework']} {row.get('framework_version', '')}".strip(),
                    "settings": row.get("effective_settings", ""),
                    "source": f"sweep point {row.get('point_id', '')} of {csv_path}",
                    "h2d_copy_mean_ms": float(row["h2d_copy_mean_ms"])
                    if row.get("h2d_copy_mean_ms") else None}
    return best


def summarise(raw: list, a, peers: list) -> list:
    rows = []
    for model in a.models:
        for precision in a.precisions:
            for batch in a.batch_sizes:
                row = {"model": model, "precision": precision, "batch_size": batch}
                best_peer, best_ours = ("", 0.0), ("", 0.0)
                for r in raw:
                    if (r["model"], r["precision"], r["batch_size"]) != (model, precision, batch):
                        continue
                    col = r["who"]
                    if r["status"] != "ok":
                        row[col] = "failed: " + r["error"]
                        continue
                    if r["kind"] == "peer":
                        med, lo, hi = interval(r["samples_per_s_rounds"])
                        row[col] = f"{num(med)} [{num(lo)}..{num(hi)}]"
                        if med > best_peer[1]:
                            best_peer = (col, med)
                    else:
                        v, ci = r["samples_per_s"], r.get("ci95") or [None, None]
                        row[col] = num(v) + (f" [{num(ci[0])}..{num(ci[1])}]"
                                             if None not in ci else "")
                        if v > best_ours[1]:
                            best_ours = (col, v)
                row["best_peer"] = f"{best_peer[0]} {num(best_peer[1])}" if best_peer[0] else "-"
                row["best_infbench"] = (f"{best_ours[0]} {num(best_ours[1])}" if best_ours[0]
                                        else "-")
                ratio = (round(best_ours[1] / best_peer[1], 3) if best_peer[0] and best_ours[0]
                         else None)
                missing = [p for p in peers if p not in row]
                if ratio is not None and missing:  # against fewer peers than the table has
                    ratio = f"{ratio} (not measured: {', '.join(missing)})"
                row["ratio_infbench_over_best_peer"] = ratio
                rows.append(row)
    return rows


def write_tables(rows: list, columns: list, raw: list, a) -> None:
    out = Path(a.out)
    keys = ["model", "precision", "batch_size"] + columns + [
        "best_peer", "best_infbench", "ratio_infbench_over_best_peer"]
    with open(out / "peers.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in keys})
    versions = sorted({r.get("version", "") for r in raw if r.get("version")})
    devices = sorted({r.get("device_name", "") for r in raw if r.get("device_name")})
    (out / "peers.json").write_text(json.dumps(
        {"device": a.device, "devices": devices, "versions": versions, "rounds": a.rounds,
         "min_s": a.min_s, "rows": rows, "measurements": raw}, indent=1))
    ours = (f"the fastest gate-passing offline point per framework of the sweep in the same "
            f"call ({Path(a.infbench_csv).name}), mean of its repeats [95 % interval]"
            if a.infbench_csv else
            f"`infbench bench` offline, mean of {a.rounds} repeats [95 % interval]")
    lines = [f"# infbench vs peers ({', '.join(devices) or 'device ' + str(a.device)})", "",
             f"img/s; peers: median [min..max] of {a.rounds} rounds of ~{a.min_s:g} s, input "
             f"already on the device; infbench: {ours}, every batch copied from the host. "
             f"Versions: {', '.join(versions)}.", "",
             "| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for r in rows:
        lines.append("| " + " | ".join(str(r.get(k, "")) for k in keys) + " |")
    (out / "peers.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="resnet50,densenet201,vgg19,efficientnet_b0")
    ap.add_argument("--batch-sizes", default="1,64,256")
    ap.add_argument("--precisions", default="fp32,fp16")
    ap.add_argument("--device", type=int, default=0, help="-1 = CPU (smoke test)")
    ap.add_argument("--peers", default=",".join(PEERS))
    ap.add_argument("--frameworks", default="",
                    help="infbench frameworks (default: libtorch,aotinductor,xla on a GPU, "
                         "onnxruntime,xla on the CPU); those not built are reported as such")
    ap.add_argument("--set", action="append", default=[],
                    help="FRAMEWORK.KEY=VALUE for infbench bench, e.g. libtorch.cuda_graph=on or "
                         "libtorch.optimization=optimize_for_inference")
    ap.add_argument("--infbench", default=str(ROOT / "build" / "infbench"))
    ap.add_argument("--infbench-csv", default="",
                    help="take infbench's figures from this sweep export (infbench export DB "
                         "--format csv) of the same device call: the fastest ok, gate-passing "
                         "offline point per framework, instead of running infbench bench")
    ap.add_argument("--models-dir", default=str(ROOT / "models"))
    ap.add_argument("--torch-python", default=sys.executable)
    ap.add_argument("--jax-python", default=sys.executable)
    ap.add_argument("--min-s", type=float, default=3.0, help="seconds per round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--bn-batches", type=int, default=2)
    ap.add_argument("--timeout-s", type=int, default=900, help="per measurement")
    ap.add_argument("--out", default="out/peers")
    ap.add_argument("--fresh", action="store_true", help="ignore OUT/raw.jsonl")
    ap.add_argument("--no-measure", action="store_true",
                    help="measure nothing: rewrite the tables from OUT/raw.jsonl and the "
                         "--infbench-csv points (which are never written to raw.jsonl), e.g. "
                         "after a device call ran out of time")
    ap.add_argument("--budget-s", type=float, default=0,
                    help="start no measurement after this many seconds (0 = no limit); the rest "
                         "is left for a later run with the same OUT")
    ap.add_argument("--worker", choices=PEERS, help=argparse.SUPPRESS)
    ap.add_argument("--model", help=argparse.SUPPRESS)
    ap.add_argument("--precision", help=argparse.SUPPRESS)
    ap.add_argument("--batch", type=int, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        a.peer = a.worker
        return worker_main(a)
    if a.rounds < 3:
        ap.error("--rounds must be >= 3 (a median and an interval)")
    a.models = a.models.split(",")
    a.batch_sizes = [int(b) for b in a.batch_sizes.split(",")]
    a.precisions = a.precisions.split(",")
    peers = [p for p in a.peers.split(",") if p]
    frameworks = (a.frameworks or ("libtorch,aotinductor,xla" if a.device >= 0
                                   else "onnxruntime,xla")).split(",")
    infos = {i["name"]: i for i in json.loads(subprocess.run(
        [a.infbench, "info", "--json"], check=True, capture_output=True, text=True).stdout)}
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    raw_path = out / "raw.jsonl"
    raw = [] if a.fresh or not raw_path.is_file() else [
        json.loads(line) for line in raw_path.read_text().splitlines() if line.strip()]
    from_sweep = sweep_points(a.infbench_csv) if a.infbench_csv else None
    if from_sweep is not None:  # infbench's cells come from the export, afresh on every run
        raw = [r for r in raw if r.get("kind") != "infbench"]
    done = {(r["model"], r["precision"], r["batch_size"], r["who"]) for r in raw}
    started, skipped = time.time(), 0
    with open(raw_path, "w" if a.fresh else "a") as log:
        for model in a.models:
            for precision in a.precisions:
                for batch in a.batch_sizes:
                    for who in peers + [f"infbench {f}" for f in frameworks]:
                        if (model, precision, batch, who) in done:
                            continue
                        fw = who.split(" ", 1)[1] if who.startswith("infbench ") else None
                        from_csv = fw is not None and from_sweep is not None
                        if a.no_measure and not from_csv:
                            continue
                        if not from_csv and a.budget_s and time.time() - started > a.budget_s:
                            skipped += 1
                            continue
                        if from_csv:
                            r = dict(from_sweep.get((model, fw, precision, batch)) or {
                                "status": "failed",
                                "error": f"no ok offline point in {a.infbench_csv}"})
                            r["kind"] = "infbench"
                        elif fw is not None:
                            r = (run_infbench(a, infos[fw], fw, model, precision, batch)
                                 if fw in infos else
                                 {"status": "failed", "error": f"{fw} not built into {a.infbench}"})
                            r["kind"] = "infbench"
                        else:
                            r = run_peer(a, who, model, precision, batch)
                            r["kind"] = "peer"
                        r.update(model=model, precision=precision, batch_size=batch, who=who)
                        speed = (statistics.median(r["samples_per_s_rounds"]) if "samples_per_s_rounds"
                                 in r else r.get("samples_per_s", 0))
                        print(f"[{time.time() - started:.0f} s] {model} {precision} b{batch} "
                              f"{who}: " + (r["error"] if r["status"] != "ok"
                                            else f"{speed:.1f} img/s"), flush=True)
                        if not from_csv:  # measured here: kept for later runs
                            log.write(json.dumps(r) + "\n")
                            log.flush()
                        raw.append(r)
    columns = peers + [f"infbench {f}" for f in frameworks]
    write_tables(summarise(raw, a, peers), columns, raw, a)
    if skipped:
        print(f"budget reached: {skipped} measurements not run; run again with the same --out "
              "to add them")
    return 0


if __name__ == "__main__":
    sys.exit(main())
