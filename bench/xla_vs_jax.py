#!/usr/bin/env python3
"""infbench's `xla` adapter against jax.jit of the same exported program, side by side.

For each batch size: `infbench bench --framework xla` on the zoo's StableHLO file (offline scenario,
inputs copied from the host by the adapter), then jax.jit(exported.call) in this process on the
same device, the program rebuilt with tools/xla_zoo.py's converter and checked to be byte for byte
the file infbench ran (so both compile the same module), inputs already on the device, timed for
--min-duration-s. Prints both throughputs and their ratio (infbench / jax), and one JSON line each.

  .deps/venv-xla/bin/python bench/xla_vs_jax.py --model resnet18 --batch-sizes 1,8      # CPU
  python3 bench/xla_vs_jax.py --model resnet50 --precision fp16 --batch-sizes 256 --device 0 \\
      --platform cuda --infbench build-gpu/infbench --set preallocate=on               # GPU machine

On the CPU, `--jax-plugin` runs jax through the same PJRT plugin .so as infbench (the default:
the CPU plugin the build found), so that both use one XLA; `--jax-plugin builtin` uses jaxlib's
own CPU client (the XLA of jaxlib's version).
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))


def run_infbench(args, path: Path, batch: int) -> dict:
    out = Path(args.out) / f"infbench_{path.stem}.json"
    cmd = [args.infbench, "bench", "--framework", "xla", "--model", str(path),
           "--batch-size", str(batch), "--device", str(args.device), "--precision", args.precision,
           "--min-duration-s", str(args.min_duration_s), "--warmup-s", "2", "--json", str(out)]
    for s in args.set:
        cmd += ["--set", s]
    if args.device < 0:
        cmd += ["--threads", str(os.cpu_count())]
    print("$ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    record = json.loads(out.read_text())
    return record.get("record", record)


def jax_client(args):
    import jax
    if args.device >= 0:
        return jax, jax.devices("gpu")[args.device]
    if args.jax_plugin != "builtin":
        from jax._src import xla_bridge
        xla_bridge.register_plugin("pjrt_cpu_plugin", library_path=args.jax_plugin,
                                   priority=1000)
        jax.config.update("jax_platforms", "pjrt_cpu_plugin")
        return jax, jax.devices("pjrt_cpu_plugin")[0]
    return jax, jax.devices("cpu")[0]


def time_jax(jax, device, exported, batch: int, dtype, min_s: float) -> dict:
    import numpy as np
    x = np.random.default_rng(0).standard_normal((batch, 3, 224, 224)).astype(dtype)
    x = jax.device_put(x, device)
    f = jax.jit(exported.call)
    t0 = time.perf_counter()
    f(x).block_until_ready()  # compile + first run
    compile_s = time.perf_counter() - t0
    for _ in range(3):
        f(x).block_until_ready()
    calls, t0 = 0, time.perf_counter()
    while True:
        y = f(x)
        calls += 1
        if calls % 4 == 0:
            y.block_until_ready()
            if time.perf_counter() - t0 >= min_s:
                break
    y.block_until_ready()
    seconds = time.perf_counter() - t0
    return {"throughput_samples_per_s": calls * batch / seconds, "calls": calls,
            "seconds": seconds, "first_call_s": compile_s,
            "device": f"{device} ({device.client.platform} {device.client.platform_version})",
            "jax": jax.__version__}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="resnet18")
    ap.add_argument("--models-dir", default=str(ROOT / "models"))
    ap.add_argument("--precision", default="fp32")
    ap.add_argument("--batch-sizes", default="1,8")
    ap.add_argument("--device", type=int, default=-1)
    ap.add_argument("--platform", default="cpu", help="what tools/xla_zoo.py lowered for")
    ap.add_argument("--infbench", default=str(ROOT / "build" / "infbench"))
    ap.add_argument("--set", action="append", default=[], help="infbench --set KEY=VALUE")
    ap.add_argument("--min-duration-s", type=float, default=10.0)
    ap.add_argument("--jax-plugin", default="",
                    help="CPU: PJRT plugin .so for jax (default: lammps_jax_pjrt_cpu's, the one "
                         "infbench's build uses), or 'builtin' for jaxlib's CPU client")
    ap.add_argument("--rounds", type=int, default=1, help="alternate both sides this often")
    ap.add_argument("--out", default="/tmp/xla_vs_jax")
    args = ap.parse_args()
    Path(args.out).mkdir(parents=True, exist_ok=True)
    if args.device < 0 and not args.jax_plugin:
        import lammps_jax_pjrt_cpu  # the CPU plugin infbench's build uses (.deps/venv-xla)
        args.jax_plugin = str(lammps_jax_pjrt_cpu.PLUGIN_PATH)

    import model_zoo
    import numpy as np
    import xla_zoo
    jax, device = jax_client(args)
    import jax.numpy as jnp
    import onnx
    from onnx import numpy_helper
    xla_zoo.jax, xla_zoo.jnp, xla_zoo.lax = jax, jnp, jax.lax
    xla_zoo.onnx, xla_zoo.numpy_helper = onnx, numpy_helper
    models = Path(args.models_dir)
    files = model_zoo.load_manifest(models)["models"][args.model]["files"]
    dtype = jnp.dtype(xla_zoo.PRECISIONS[args.precision])
    net = xla_zoo.OnnxToJax(models / files["onnx"]["path"], dtype)
    for batch in [int(b) for b in args.batch_sizes.split(",")]:
        path = models / files[f"stablehlo_{args.precision}_b{batch}"]["path"]
        # The converter's export is reproducible: the same bytes as the file, or a stale file.
        exported = xla_zoo.export(net, batch, dtype, args.platform)
        same = exported.mlir_module_serialized == path.read_bytes()
        print(f"[{path.name}] jax runs the same program, byte for byte" if same else
              f"[{path.name}] WARNING: the export differs in bytes from the file (another jax "
              "or converter version?); the ratio compares two exports of one ONNX", flush=True)
        ours, jits = [], []
        for _ in range(args.rounds):  # alternated, so that a busy spell hits both sides
            mine = run_infbench(args, path, batch)
            theirs = time_jax(jax, device, exported, batch, dtype, args.min_duration_s)
            ours.append(mine["throughput_samples_per_s"])
            jits.append(theirs["throughput_samples_per_s"])
        ratio = float(np.median(ours) / np.median(jits))
        print(f"{args.model} {args.precision} batch {batch}: infbench xla "
              f"{np.median(ours):.1f} samples/s, jax.jit {np.median(jits):.1f} samples/s "
              f"(medians of {args.rounds}; {theirs['device']}, jax {theirs['jax']}), "
              f"ratio {ratio:.3f}", flush=True)
        print(json.dumps({"model": args.model, "precision": args.precision, "batch": batch,
                          "same_program": same, "infbench_samples_per_s": ours,
                          "jax_samples_per_s": jits, "infbench_load_phases":
                          mine.get("load_phases"), "infbench_settings":
                          mine.get("effective_settings"), "jax": theirs, "ratio": ratio}),
                         flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
