"""A first look: load time and predict time per model x framework x batch size on this machine.

Runs `build/infbench predict` (one process per cell, so each load is cold) on seeded random inputs
and writes a Markdown table plus the raw JSON records. One timed pass per cell after a warm-up:
a first look, not a benchmark. Failures are recorded in the table, and the run goes on.

Usage: /usr/bin/python3 bench/first_look.py [--models resnet50,...] [--batch-sizes 1,8]
                                            [--samples 16] [--out out/first_look]
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def built_frameworks(binary):
    """name -> (version, zoo file kinds) of every framework built into the binary."""
    info = json.loads(subprocess.run([binary, "info", "--json"], check=True,
                                     capture_output=True, text=True).stdout)
    return {b["name"]: (b["version"], b.get("zoo_files", [])) for b in info}


def model_file(models, model, kinds, batch):
    """The first of a framework's zoo kinds (`infbench info --json`) the manifest lists."""
    files = json.loads((models / "manifest.json").read_text())["models"].get(model, {}).get("files", {})
    for kind in kinds:
        kind = kind.replace("{precision}", "fp32").replace("{batch}", str(batch))
        if kind in files:
            return models / files[kind]["path"]
    return None


def run_cell(binary, path, framework, batch, x_path, out_dir, threads):
    tag = f"{path.stem}.{framework}.b{batch}"
    report = out_dir / f"{tag}.json"
    cmd = [binary, "predict", "--model", str(path), "--framework", framework,
           "--batch-size", str(batch), "--threads", str(threads), "--warmup", "2",
           "--input", str(x_path), "--output", str(out_dir / f"{tag}.out.npy"),
           "--report", str(report)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["exit %d" % done.returncode])[-1]}
    return json.loads(report.read_text())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="resnet50,efficientnet_b0,densenet201,vgg19")
    ap.add_argument("--frameworks", default="onnxruntime,libtorch,opencv,openvino,tensorflow")
    ap.add_argument("--batch-sizes", default="1,8")
    ap.add_argument("--samples", type=int, default=16)
    ap.add_argument("--threads", type=int, default=0, help="0 = one per CPU")
    ap.add_argument("--models-dir", default=str(ROOT / "models"))
    ap.add_argument("--out", default=str(ROOT / "out" / "first_look"))
    args = ap.parse_args()

    binary = str(ROOT / "build" / "infbench")
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    versions = built_frameworks(binary)
    rng = np.random.default_rng(0)
    x_path = out_dir / f"input_{args.samples}.npy"
    np.save(x_path, rng.standard_normal((args.samples, 3, 224, 224), dtype=np.float32))

    rows = []
    start = time.time()
    for model in args.models.split(","):
        for framework in args.frameworks.split(","):
            for batch in [int(b) for b in args.batch_sizes.split(",")]:
                if framework not in versions:
                    record = {"error": "not built into this binary"}
                else:
                    path = model_file(Path(args.models_dir), model, versions[framework][1], batch)
                    record = ({"error": "model file missing (tools/README.md)"} if path is None
                              else run_cell(binary, path, framework, batch, x_path, out_dir, args.threads))
                record.update(model=model, framework=framework, batch_size=batch)
                rows.append(record)
                status = record.get("error") or f"{record['throughput_samples_per_s']:.2f} samples/s"
                print(f"[{time.time() - start:6.1f}s] {model} {framework} batch {batch}: {status}",
                      flush=True)

    (out_dir / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    lines = [f"# First look: load and predict time ({args.samples} random samples, one timed pass "
             "after 2 warm-up batches)", "",
             "Frameworks: " + ", ".join(f"{k} {v[0]}" for k, v in versions.items() if k != "fake"), "",
             "| model | framework | batch | load s (phases) | first inference s | predict s | samples/s |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['model']} | {r['framework']} | {r['batch_size']} | failed: {r['error']} | | | |")
            continue
        phases = ", ".join(f"{k} {v:.2f}" for k, v in r["load_phases_s"].items())
        lines.append(f"| {r['model']} | {r['framework']} | {r['batch_size']} | {r['load_time_s']:.2f} "
                     f"({phases}) | {r['first_inference_s']:.3f} | {r['predict_s']:.3f} | "
                     f"{r['throughput_samples_per_s']:.2f} |")
    report = out_dir / "report.md"
    report.write_text("\n".join(lines) + "\n")
    print(f"wrote {report}")
    return 0 if any("error" not in r for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
