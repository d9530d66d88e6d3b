#!/usr/bin/env bash
# Run ON THE GPU MACHINE (the device tool), from the repository root, with .gpu-deps carried
# (scripts/gpu/fetch_deps.sh makes it here first). Builds infbench against the preinstalled
# PyTorch's LibTorch (CUDA) and the ONNX Runtime library of its Python wheel, builds the zoo's
# models and AOTInductor packages there (models/ is too large to carry), optionally runs the GPU
# tests, then runs the sweep with --resume into a database that a later call continues, and writes
# the database, a CSV and the HTML report to $OUT.
#
#   scripts/gpu/run_paper_gpu.sh --models resnet50                        # one paper model per call
#   scripts/gpu/run_paper_gpu.sh --models densenet201 --db-in .gpu-state/paper-gpu.db
#   scripts/gpu/run_paper_gpu.sh --plan configs/paper-gpu-smoke.yaml --models resnet50 --tests
#   scripts/gpu/run_paper_gpu.sh --models resnet50 --aoti-batches "" --aoti-dynamic 1024  # one package
#
# A device call lasts at most 10 minutes: the sweep is stopped (SIGINT: the point in progress is
# recorded as interrupted) when --budget-s seconds since the start have passed, and the report is
# still written. Copy $OUT/paper-gpu.db back into a carried folder and pass it as --db-in next time.
set -euo pipefail
cd "$(dirname "$0")/../.."
START=$(date +%s)
PLAN=configs/paper-gpu.yaml
MODELS=resnet50
AOTI_BATCHES=1,64,256
AOTI_DYNAMIC=""
XLA_BATCHES=1,2,4,8,16,32,64,128,256,512,1024  # StableHLO exports: ~1 s each
BUDGET_S=540
TESTS=0
SWEEP_SET=()
DB_IN=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --plan) PLAN="$2"; shift ;;
    --models) MODELS="$2"; shift ;;           # space- or comma-separated zoo names
    --aoti-batches) AOTI_BATCHES="$2"; shift ;;  # "" = no packages (20-150 s each to compile)
    --aoti-dynamic) AOTI_DYNAMIC="$2"; shift ;;  # MAX: one package per model for batch 1..MAX
    --xla-batches) XLA_BATCHES="$2"; shift ;;
    --budget-s) BUDGET_S="$2"; shift ;;
    --db-in) DB_IN="$2"; shift ;;
    --tests) TESTS=1 ;;
    --set) SWEEP_SET+=(--set "$2"); shift ;;  # more plan overrides, e.g. batch_sizes=[1,64,256]
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "run_paper_gpu.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
MODELS=${MODELS//,/ }
source scripts/gpu/build_on_device.sh

# The zoo and the packages are built while infbench compiles (the compile is CPU-bound, the
# packages mostly GPU/CPU autotuning); only the sweep needs a quiet machine.
ZOO_MODELS="$MODELS"
[[ $TESTS == 1 && " $ZOO_MODELS " != *" resnet18 "* ]] && ZOO_MODELS="$ZOO_MODELS resnet18"
( PYTHONUNBUFFERED=1 $PY tools/aoti_zoo.py models $ZOO_MODELS > "$OUT/zoo.log" 2>&1 &&
  PYTHONUNBUFFERED=1 $PY tools/xla_zoo.py $MODELS --precision fp16 --batch-sizes "$XLA_BATCHES" \
    --platform cuda --no-check >> "$OUT/zoo.log" 2>&1 &&
  { [[ -z $AOTI_BATCHES ]] || build_aoti_packages "$MODELS" "$AOTI_BATCHES"; } &&
  { [[ -z $AOTI_DYNAMIC ]] || build_aoti_dynamic_packages "$MODELS" "$AOTI_DYNAMIC"; } ) &
ZOO_PID=$!

infbench_build_on_device

wait $ZOO_PID || { tail -30 "$OUT/zoo.log"; echo "zoo failed" >&2; exit 1; }
say "zoo ready: $(grep -E 'compiled in|built .* in' "$OUT/zoo.log" | tr '\n' ';')"

if [[ $TESTS == 1 ]]; then
  say "GPU tests"
  INFBENCH_MODELS_DIR=$PWD/models build-gpu/tests/infbench_gpu_tests || true
fi

DB=$OUT/paper-gpu.db
[[ -n $DB_IN && -f $DB_IN ]] && cp "$DB_IN" "$DB"
SET_MODELS="[${MODELS// /, }]"
LEFT=$(( BUDGET_S - $(elapsed) ))
say "sweep $PLAN models=$SET_MODELS, at most ${LEFT} s"
rc=0
if (( LEFT > 30 )); then
  RESUME=""
  [[ -f $DB ]] && RESUME=--resume  # a database from an earlier call: continue its run
  timeout -s INT "$LEFT" build-gpu/infbench sweep "$PLAN" --db "$DB" $RESUME \
    --set "models=$SET_MODELS" "${SWEEP_SET[@]}" || rc=$?
fi
say "sweep exit $rc (130/124: stopped by the time budget; --resume continues it)"
build-gpu/infbench report "$DB" --out "$OUT/report"
build-gpu/infbench export "$DB" --format csv > "$OUT/paper-gpu.csv"
say "done"
