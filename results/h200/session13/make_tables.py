#!/usr/bin/env python3
"""Prints this folder's harness-overhead and LibTorch-levels tables from the files the device calls
wrote (the README's tables are this script's output: edit the data, not the tables)."""
import json
from collections import Counter
from pathlib import Path

HERE = Path(__file__).parent


def harness():
    print("| framework | batch | hand img/s per round | infbench img/s per round | mean paired ratio [95 % CI] |")
    print("|---|---|---|---|---|")
    for f in sorted(HERE.glob("call*/harness-*/harness_overhead.jsonl")):
        for line in f.read_text().splitlines():
            j = json.loads(line)
            lo, hi = j["ratio_ci95"]
            hand = ", ".join(f"{v:,.0f}" for v in j["hand_samples_per_s"])
            inf = ", ".join(f"{v:,.0f}" for v in j["infbench_samples_per_s"])
            print(f"| {j['framework']} {j['precision']} | {j['batch_size']} | {hand} | {inf} | "
                  f"{j['mean_paired_ratio']:.3f} [{lo:.3f}, {hi:.3f}] |")


def clocks():
    """The GPU's state during the harness rounds (nvidia-smi every 0.5 s; reason 0x1 = idle)."""
    print("| call | samples | busy samples (reason not idle) | SM clock when busy (MHz) | GPU utilisation when busy | throttle reasons when busy |")
    print("|---|---|---|---|---|---|")
    for f in sorted(HERE.glob("call*/harness-*/gpu_clocks.csv")):
        rows = [[c.strip() for c in line.split(",")] for line in f.read_text().splitlines()[1:]]
        rows = [r for r in rows if len(r) >= 7]
        busy = [r for r in rows if int(r[6], 16) & 0x1 == 0]
        sm = Counter(int(r[1].split()[0]) for r in busy)
        util = [int(r[5].split()[0]) for r in busy]
        reasons = Counter(hex(int(r[6], 16)) for r in busy)
        count = lambda c: ", ".join(f"{k} ({n})" for k, n in sorted(c.items(), key=lambda kv: -kv[1]))
        print(f"| {f.parent.parent.name}/{f.parent.name} | {len(rows)} | {len(busy)} | "
              f"{count(sm)} | median {sorted(util)[len(util) // 2]} % ({min(util)}-{max(util)} %) | {count(reasons)} |")


def levels():
    rows = {}
    for f in sorted(HERE.glob("call*/libtorch-levels/*.json")):
        r = json.loads(f.read_text())
        r = r.get("record", r)
        s = dict(kv.split("=", 1) for kv in r["effective_settings"].split(";") if "=" in kv)
        key = (Path(r["model"]).stem, s.get("cudnn_benchmark"))
        rows.setdefault(key, {})[s["optimization"]] = r
    print("| model | cudnn_benchmark | freeze img/s [95 % CI] | optimize_for_inference img/s [95 % CI] | ratio | gates |")
    print("|---|---|---|---|---|---|")
    fmt = lambda r: (f"{r['throughput_samples_per_s']:,.0f} [{r['throughput_ci95_low']:,.0f}-"
                     f"{r['throughput_ci95_high']:,.0f}]") if r else "-"
    for (model, cudnn), by in sorted(rows.items()):
        f, o = by.get("freeze"), by.get("optimize_for_inference")
        ratio = f"{o['throughput_samples_per_s'] / f['throughput_samples_per_s']:.2f}x" if f and o else "-"
        gates = ", ".join(r["accuracy_gate"] for r in (f, o) if r)
        print(f"| {model} | {cudnn} | {fmt(f)} | {fmt(o)} | {ratio} | {gates} |")


if __name__ == "__main__":
    harness()
    print()
    clocks()
    print()
    levels()
