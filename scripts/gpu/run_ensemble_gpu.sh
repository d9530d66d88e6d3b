#!/usr/bin/env bash
# Run ON THE GPU MACHINE (the device tool), from the repository root, with .gpu-deps carried
# (scripts/gpu/fetch_deps.sh makes it here first): builds infbench and the paper's ensemble members
# there, then runs the ensemble study (modes x batch sizes, members alone, interference matrix)
# for configs/ensembles/paper-gpu.yaml and, time allowing, its CUDA-graph variant, writing the
# database, the tables and the HTML report to $OUT.
#
#   scripts/gpu/run_ensemble_gpu.sh [--batch-sizes 1,8,64] [--budget-s 540]
set -euo pipefail
cd "$(dirname "$0")/../.."
START=$(date +%s)
BATCHES=1,8,64
BUDGET_S=540
while [[ $# -gt 0 ]]; do
  case "$1" in
    --batch-sizes) BATCHES="$2"; shift ;;
    --budget-s) BUDGET_S="$2"; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "run_ensemble_gpu.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
OUT=${OUT:-out/gpu}
mkdir -p "$OUT"
elapsed() { echo $(( $(date +%s) - START )); }
say() { echo "[$(elapsed) s] $*"; }
say "machine: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -1)"
source scripts/gpu/build_on_device.sh
( PYTHONUNBUFFERED=1 $PY tools/aoti_zoo.py models resnet50 densenet201 vgg19 ) > "$OUT/zoo.log" 2>&1 &
ZOO_PID=$!
infbench_build_on_device
wait $ZOO_PID || { tail -30 "$OUT/zoo.log"; echo "zoo failed" >&2; exit 1; }
say "zoo ready"

DB=$OUT/ensembles-gpu.db
study() {  # spec, name, extra flags
  local left=$(( BUDGET_S - $(elapsed) ))
  (( left > 60 )) || { say "skipped $2: ${left} s left"; return 0; }
  say "study $2 (at most ${left} s)"
  timeout -s INT "$left" build-gpu/infbench ensemble "$1" --batch-sizes "$BATCHES" --threads 16 \
    --min-duration-s 2 --warmup-s 1 --min-queries 10 --interference-s 2 --db "$DB" \
    --json "$OUT/$2.json" --markdown "$OUT/$2.md" "${@:3}" || say "study $2 exit $?"
}
study configs/ensembles/paper-gpu.yaml paper-gpu
study configs/ensembles/paper-gpu-cudagraph.yaml paper-gpu-cudagraph --no-members
build-gpu/infbench report "$DB" --out "$OUT/report"
build-gpu/infbench export "$DB" --format csv > "$OUT/ensembles-gpu.csv"
nvidia-smi --query-gpu=name,power.draw,clocks.sm,temperature.gpu --format=csv
say "done"
