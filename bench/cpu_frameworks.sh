#!/usr/bin/env bash
# The paper's CPU comparison on ResNet-50 (issue 14), on this machine: configs/resnet50-cpu-
# frameworks.yaml run twice into one database (the first run fills the optimised-model caches:
# miss; the second loads from them: hit), then a README generated from the database.
# Usage: bench/cpu_frameworks.sh [OUT_DIR]   (default results/cpu-frameworks-dev-vm)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/cpu-frameworks-dev-vm}
mkdir -p "$out"
rm -rf cache/resnet50-cpu-frameworks "$out/resnet50-cpu-frameworks.db"
for run in 1 2; do
  build/infbench sweep configs/resnet50-cpu-frameworks.yaml --db "$out/resnet50-cpu-frameworks.db"
done
build/infbench export "$out/resnet50-cpu-frameworks.db" --format jsonl --out "$out/points.jsonl"
/usr/bin/python3 bench/cpu_frameworks_table.py "$out/points.jsonl" \
  "bench/cpu_frameworks.sh $out" > "$out/README.md"
echo "wrote $out/README.md"
