#!/usr/bin/env python3
"""Prints this folder's tables from the files the device calls wrote (the README's tables are this
script's output: edit the data, not the tables). Peers tables are bench/gpu_peers.py's peers.md,
the ensemble table is `infbench ensemble --markdown`'s, the pixel-input table
scripts/gpu/pixel_table.py's; the LibTorch levels table is made here from the bench JSON records."""
import json
from pathlib import Path

HERE = Path(__file__).parent


def table_of(path: Path) -> str:
    """The markdown table lines of a generated file (its title and notes left out)."""
    lines = path.read_text().splitlines()
    return "\n".join(line for line in lines if line.startswith("|"))


def levels(folder: Path) -> str:
    rows = ["| model | optimization | img/s [95 % CI] | accuracy gate |", "|---|---|---|---|"]
    for f in sorted(folder.glob("*.json")):
        r = json.loads(f.read_text())["record"]
        s = dict(kv.split("=", 1) for kv in r["effective_settings"].split(";") if "=" in kv)
        rows.append(f"| {Path(r['model']).stem} | {s['optimization']} | "
                    f"{r['throughput_samples_per_s']:,.0f} [{r['throughput_ci95_low']:,.0f}-"
                    f"{r['throughput_ci95_high']:,.0f}] | {r['accuracy_gate']} |")
    return "\n".join(rows)


SECTIONS = [
    ("Peers at batch 256 (call 1: LibTorch with `optimization=optimize_for_inference` set)",
     lambda: table_of(HERE / "call1/peers/peers.md")),
    ("Peers at batch 64 (call 1)", lambda: table_of(HERE / "call1/b64/peers/peers.md")),
    ("Peers at batch 256 (call 3: LibTorch's new GPU default, nothing set)",
     lambda: table_of(HERE / "call3/peers256b/peers/peers.md")),
    ("LibTorch levels, EfficientNet-B0 fp16 channels-last CUDA graphs batch 256 (call 1)",
     lambda: levels(HERE / "call1/levels")),
    ("Ensemble on XLA members (call 2)", lambda: table_of(HERE / "call2/paper-gpu-xla.md")),
    ("Float against uint8 pixel inputs, ResNet-50 fp16 batch 256 (call 3)",
     lambda: table_of(HERE / "call3/pixel-inputs.md")),
]

if __name__ == "__main__":
    for title, make in SECTIONS:
        print(f"### {title}\n")
        try:
            print(make())
        except FileNotFoundError as e:
            print(f"(not measured: {Path(e.filename).relative_to(HERE)} is absent)")
        print()
