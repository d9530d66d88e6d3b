#!/usr/bin/env python3
"""The table of scripts/gpu/run_pixel_inputs.sh, from the `infbench bench --json` records in DIR
(<model>-<framework>.json): each float-input model beside its uint8 pixel-input variant.

    python3 scripts/gpu/pixel_table.py DIR > DIR/pixel-inputs.md
"""
import json
import sys
from pathlib import Path


def cell(value, digits=0):
    return "-" if value is None else f"{value:,.{digits}f}"


def main(directory: str) -> int:
    records = {}
    for path in sorted(Path(directory).glob("*-*.json")):
        model, framework = path.stem.rsplit("-", 1)
        records[(model, framework)] = json.loads(path.read_text())["record"]
    print("| model | framework | input | bytes/sample | samples/s | 95% CI | copy bound | "
          "of copy bound | p99 ms | accuracy gate | u8 / float |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for (model, framework), r in sorted(records.items()):
        base = records.get((model.removesuffix("_u8"), framework)) if model.endswith("_u8") else None
        ratio = (f"{r['throughput_samples_per_s'] / base['throughput_samples_per_s']:.3f}"
                 if base and base.get("throughput_samples_per_s") and
                 r.get("throughput_samples_per_s") else "")
        share = r.get("copy_bound_share")
        print(f"| {model} | {framework} | {r.get('input_spec') or '-'} | "
              f"{cell(r.get('input_bytes_per_sample'))} | "
              f"{cell(r.get('throughput_samples_per_s'))} | "
              f"{cell(r.get('throughput_ci95_low'))}-{cell(r.get('throughput_ci95_high'))} | "
              f"{cell(r.get('copy_bound_samples_per_s'))} | "
              f"{'-' if share is None else f'{100 * share:.1f} %'} | "
              f"{cell(r.get('latency_p99_ms'), 2)} | {r.get('accuracy_gate') or '-'} | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
