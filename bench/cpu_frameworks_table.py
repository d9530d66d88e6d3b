"""Markdown tables from an `infbench export --format jsonl` of configs/resnet50-cpu-frameworks.yaml
(bench/cpu_frameworks.sh): throughput with its 95 % interval, latency, load phases and cache, per
run, framework setting and batch size. Everything printed comes from the records.

Usage: cpu_frameworks_table.py POINTS.jsonl COMMAND
"""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1])]
command = sys.argv[2]


def setting(r):
    s = dict(kv.split("=", 1) for kv in r["requested_settings"].split(";") if "=" in kv)
    if r["framework"] == "openvino":
        return "hint=" + s.get("hint", "latency")
    if r["framework"] == "tensorflow":
        return "xla=" + s.get("xla", "off")
    return "optimization=" + (r["optimization"] or "default")


runs = sorted({r["run_id"] for r in rows})
env = rows[0]
print("# ResNet-50 on the CPU: OpenVINO vs TensorFlow (XLA off/on) vs ONNX Runtime\n")
print(f"Machine: {env['host']}, threads {env['threads']}. ")
print(f"Generated from `points.jsonl` (the database's export). Command: `{command}`.")
print("Plan: `configs/resnet50-cpu-frameworks.yaml` (offline and single-stream, threads = one per CPU, 3 repeats of"
      " >= 5 s each, seeded N(0,1) inputs, the zoo's seeded weights). Framework versions: " +
      ", ".join(sorted({f"{r['framework']} {r['framework_version']}" for r in rows})) + ".\n")
for run in runs:
    sel = [r for r in rows if r["run_id"] == run]
    print(f"## Run {run} ({'caches empty: miss' if run == runs[0] else 'caches filled: hit'})\n")
    print("| framework | setting | scenario | batch | samples/s (95 % CI) | stable | latency p50 / p99 ms |"
          " batch compute ms | load s | load phases s | cache | first inference s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in sorted(sel, key=lambda r: (r["framework"], setting(r), r["scenario"], r["batch_size"])):
        if r["status"] != "ok":
            print(f"| {r['framework']} | {setting(r)} | {r['scenario']} | {r['batch_size']} | "
                  f"{r['status']}: {r['error']} | | | | | | | |")
            continue
        phases = ", ".join(p.replace("=", " ") for p in r["load_phases"].split(";") if p)
        print(f"| {r['framework']} | {setting(r)} | {r['scenario']} | {r['batch_size']} | "
              f"{r['throughput_samples_per_s']:.2f} ({r['throughput_ci95_low']:.2f}-"
              f"{r['throughput_ci95_high']:.2f}) | {'yes' if r['stable'] else 'no'} | "
              f"{r['latency_p50_ms']:.1f} / {r['latency_p99_ms']:.1f} | "
              f"{r['batch_compute_mean_ms']:.1f} | {r['load_time_s']:.2f} | "
              f"{phases} | {r['cache']} | {r['first_inference_s']:.3f} |")
    print()
    print("Offline latencies include the wait behind the batches already queued (docs/metrics.md);"
          " single-stream latency and the batch compute time are the ones without queueing.\n")
    sel = [r for r in sel if r["scenario"] == "offline"]
    ort = {r["batch_size"]: r["throughput_samples_per_s"] for r in sel
           if r["framework"] == "onnxruntime" and r["status"] == "ok"}
    if ort:
        print("Throughput over ONNX Runtime's at the same batch size: " + "; ".join(
            f"{r['framework']} {setting(r)} b{r['batch_size']} "
            f"{r['throughput_samples_per_s'] / ort[r['batch_size']]:.2f}x"
            for r in sorted(sel, key=lambda r: (r["framework"], setting(r), r["batch_size"]))
            if r["status"] == "ok" and r["framework"] != "onnxruntime" and r["batch_size"] in ort) + ".\n")
