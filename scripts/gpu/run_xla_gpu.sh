#!/usr/bin/env bash
# Run ON THE GPU MACHINE (the device tool), from the repository root, with .gpu-deps carried
# (scripts/gpu/fetch_deps.sh makes it here first; it holds the PJRT C API header). Builds infbench
# there (with the xla adapter, against jax's CUDA 13 PJRT plugin found in site-packages), builds the
# zoo's MODEL there (tools/aoti_zoo.py models: same weights as here) and its StableHLO export
# (tools/xla_zoo.py, jax 0.11.2 of the machine, lowered for cuda), then runs
# bench/xla_vs_jax.py: `infbench bench --framework xla --device 0` and jax.jit of the same exported
# program with its input already on the GPU, and prints both throughputs and the ratio.
#
#   scripts/gpu/run_xla_gpu.sh                                   # resnet50 fp16 batch 256
#   scripts/gpu/run_xla_gpu.sh --model resnet18 --precision fp32 --batches 1,64 --min-s 5
#   scripts/gpu/run_xla_gpu.sh --set in_flight=1 --rounds 3   # infbench --set, repeatable
#
# Both sides use the same GPU memory settings: preallocation off (infbench's default; jax through
# XLA_PYTHON_CLIENT_PREALLOCATE=false), so that neither holds memory the other needs.
set -euo pipefail
cd "$(dirname "$0")/../.."
START=$(date +%s)
MODEL=resnet50
PRECISION=fp16
BATCHES=256
MIN_S=10
ROUNDS=1
SETS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --model) MODEL="$2"; shift ;;
    --precision) PRECISION="$2"; shift ;;
    --batches) BATCHES="$2"; shift ;;
    --min-s) MIN_S="$2"; shift ;;
    --set) SETS+=(--set "$2"); shift ;;
    --rounds) ROUNDS="$2"; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "run_xla_gpu.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
source scripts/gpu/build_on_device.sh
[[ -n $PJRT_INCLUDE ]] || { echo "no PJRT header in .gpu-deps: run scripts/gpu/fetch_deps.sh here first" >&2; exit 2; }

# The model (ONNX with the zoo's weights) and its StableHLO export, while infbench compiles.
( PYTHONUNBUFFERED=1 $PY tools/aoti_zoo.py models "$MODEL" > "$OUT/zoo.log" 2>&1 &&
  PYTHONUNBUFFERED=1 $PY tools/xla_zoo.py "$MODEL" --precision "$PRECISION" --batch-sizes "$BATCHES" \
    --platform cuda --no-check >> "$OUT/zoo.log" 2>&1 ) &
ZOO_PID=$!
infbench_build_on_device
wait $ZOO_PID || { tail -30 "$OUT/zoo.log"; echo "zoo failed" >&2; exit 1; }
say "zoo ready: $(grep -E 'exported in|built .* in' "$OUT/zoo.log" | tr '\n' ';')"
grep -q '^xla ' <(build-gpu/infbench info) || { echo "this build has no xla adapter (see $OUT/build.log)" >&2; exit 1; }

say "infbench xla vs jax.jit, $MODEL $PRECISION batch $BATCHES, device 0"
XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONUNBUFFERED=1 $PY bench/xla_vs_jax.py --model "$MODEL" \
  --precision "$PRECISION" --batch-sizes "$BATCHES" --device 0 --platform cuda \
  --infbench build-gpu/infbench --min-duration-s "$MIN_S" --rounds "$ROUNDS" ${SETS[@]+"${SETS[@]}"} \
  --out "$OUT" | tee "$OUT/xla_vs_jax.txt"
say "done"
