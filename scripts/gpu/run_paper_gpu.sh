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
BUDGET_S=540
TESTS=0
DB_IN=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --plan) PLAN="$2"; shift ;;
    --models) MODELS="$2"; shift ;;           # space- or comma-separated zoo names
    --aoti-batches) AOTI_BATCHES="$2"; shift ;;
    --budget-s) BUDGET_S="$2"; shift ;;
    --db-in) DB_IN="$2"; shift ;;
    --tests) TESTS=1 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "run_paper_gpu.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
MODELS=${MODELS//,/ }
OUT=${OUT:-out/gpu}
mkdir -p "$OUT"
DEPS=$PWD/.gpu-deps
[[ -d $DEPS/root ]] || { echo "run_paper_gpu.sh: .gpu-deps missing: run scripts/gpu/fetch_deps.sh here and carry .gpu-deps" >&2; exit 2; }
PY=python3
elapsed() { echo $(( $(date +%s) - START )); }
say() { echo "[$(elapsed) s] $*"; }

say "machine: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -1)"
TORCH_PREFIX=$($PY -c 'import torch; print(torch.utils.cmake_prefix_path)')
ORT_LIB=$($PY -c 'import onnxruntime, os, glob; print(sorted(glob.glob(os.path.join(os.path.dirname(onnxruntime.__file__), "capi", "libonnxruntime.so.*")))[-1])')
mkdir -p "$DEPS/onnxruntime/lib"
ln -sf "$ORT_LIB" "$DEPS/onnxruntime/lib/libonnxruntime.so.1"
ln -sf libonnxruntime.so.1 "$DEPS/onnxruntime/lib/libonnxruntime.so"
say "torch $($PY -c 'import torch; print(torch.__version__)'), onnxruntime library $ORT_LIB"

# The zoo and the packages are built while infbench compiles (the compile is CPU-bound, the
# packages mostly GPU/CPU autotuning); only the sweep needs a quiet machine.
ZOO_MODELS="$MODELS"
[[ $TESTS == 1 && " $ZOO_MODELS " != *" resnet18 "* ]] && ZOO_MODELS="$ZOO_MODELS resnet18"
( PYTHONUNBUFFERED=1 $PY tools/aoti_zoo.py models $ZOO_MODELS &&
  PYTHONUNBUFFERED=1 $PY tools/aoti_zoo.py packages $MODELS --precision fp16 --batch-sizes "$AOTI_BATCHES" ) \
  > "$OUT/zoo.log" 2>&1 &
ZOO_PID=$!

say "configure + build"
# Warnings are not errors here: g++ 13 warns where the CI compiler (g++ 12) does not, and a device
# call is too dear to lose to a warning. CI builds with INFBENCH_WERROR=ON.
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$TORCH_PREFIX;$DEPS/root/usr" -DONNXRUNTIME_ROOT="$DEPS/onnxruntime" \
  -DINFBENCH_CHARTJS="$DEPS/chartjs/chart.umd.js" -DINFBENCH_WITH_OPENCV=OFF \
  -DINFBENCH_BUILD_BENCH=OFF -DINFBENCH_WERROR=OFF > "$OUT/build.log" 2>&1 ||
  { tail -40 "$OUT/build.log"; exit 1; }
grep "infbench frameworks" "$OUT/build.log"
cmake --build build-gpu -j 16 >> "$OUT/build.log" 2>&1 || { grep -E "error|Error" "$OUT/build.log" | head -40; exit 1; }
echo "build warnings: $(grep -c "warning:" "$OUT/build.log" || true)"
say "built"
build-gpu/infbench info

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
    --set "models=$SET_MODELS" || rc=$?
fi
say "sweep exit $rc (130/124: stopped by the time budget; --resume continues it)"
build-gpu/infbench report "$DB" --out "$OUT/report"
build-gpu/infbench export "$DB" --format csv > "$OUT/paper-gpu.csv"
say "done"
