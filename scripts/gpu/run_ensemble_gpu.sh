#!/usr/bin/env bash
# Run ON THE GPU MACHINE (the device tool), from the repository root, with .gpu-deps carried
# (scripts/gpu/fetch_deps.sh makes it here first): builds infbench and the paper's ensemble members
# there, then runs the ensemble study (modes x batch sizes, members alone, interference matrix)
# for each spec of configs/ensembles/ named by --specs, in order, time allowing, writing the
# database, the tables and the HTML report to $OUT. Specs whose members are AOTInductor packages
# need --aoti-batches (the packages are compiled there first, 20-150 s each, models in parallel);
# specs with XLA members need --xla (StableHLO fp16 exports at --batch-sizes, ~1 s each; XLA
# compiles at load).
#
#   scripts/gpu/run_ensemble_gpu.sh [--batch-sizes 1,8,64] [--budget-s 540] \
#       [--specs paper-gpu,paper-gpu-cudagraph] [--aoti-batches 1,8] [--xla]
#       [--study-flags "--no-members"]
set -euo pipefail
cd "$(dirname "$0")/../.."
START=$(date +%s)
BATCHES=1,8,64
BUDGET_S=540
SPECS=paper-gpu,paper-gpu-cudagraph
AOTI_BATCHES=""
XLA=0
STUDY_FLAGS=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --batch-sizes) BATCHES="$2"; shift ;;
    --budget-s) BUDGET_S="$2"; shift ;;
    --specs) SPECS="$2"; shift ;;
    --aoti-batches) AOTI_BATCHES="$2"; shift ;;
    --xla) XLA=1 ;;
    --study-flags) STUDY_FLAGS="$2"; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "run_ensemble_gpu.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
source scripts/gpu/build_on_device.sh
MEMBERS="resnet50 densenet201 vgg19"
( PYTHONUNBUFFERED=1 $PY tools/aoti_zoo.py models $MEMBERS > "$OUT/zoo.log" 2>&1 &&
  if [[ $XLA == 1 ]]; then
    # shellcheck disable=SC2086
    PYTHONUNBUFFERED=1 $PY tools/xla_zoo.py $MEMBERS --precision fp16 --batch-sizes "$BATCHES" \
      --platform cuda --no-check >> "$OUT/zoo.log" 2>&1
  fi &&
  if [[ -n $AOTI_BATCHES ]]; then build_aoti_packages "$MEMBERS" "$AOTI_BATCHES"; fi ) &
ZOO_PID=$!
infbench_build_on_device
wait $ZOO_PID || { tail -30 "$OUT/zoo.log"; echo "zoo failed" >&2; exit 1; }
say "zoo ready"

DB=$OUT/ensembles-gpu.db
study() {  # spec name
  local left=$(( BUDGET_S - $(elapsed) ))
  (( left > 60 )) || { say "skipped $1: ${left} s left"; return 0; }
  say "study $1 (at most ${left} s)"
  # shellcheck disable=SC2086
  timeout -s INT "$left" build-gpu/infbench ensemble "configs/ensembles/$1.yaml" \
    --batch-sizes "$BATCHES" --threads 16 --min-duration-s 2 --warmup-s 1 --min-queries 10 \
    --interference-s 2 --db "$DB" --json "$OUT/$1.json" --markdown "$OUT/$1.md" $STUDY_FLAGS ||
    say "study $1 exit $?"
}
for spec in ${SPECS//,/ }; do study "$spec"; done
build-gpu/infbench report "$DB" --out "$OUT/report"
build-gpu/infbench export "$DB" --format csv > "$OUT/ensembles-gpu.csv"
nvidia-smi --query-gpu=name,power.draw,clocks.sm,temperature.gpu --format=csv
say "done"
