#!/usr/bin/env bash
# Run ON THE GPU MACHINE (the device tool), from the repository root, with .gpu-deps carried
# (scripts/gpu/fetch_deps.sh makes it here first): the harness-overhead benchmark (issue 3) on a
# quiet 16-core host. infbench's offline throughput vs a minimal hand-written loop of the same
# framework, model and batch, alternated A/B over --rounds rounds, for the CPU frameworks found
# there (ONNX Runtime, LibTorch; no OpenCV on that machine) and for the GPU ones (LibTorch CUDA fp32,
# AOTInductor fp16, XLA fp16), then the fake backend alone. Writes the tables and the raw per-round figures (.jsonl) to $OUT.
#
#   scripts/gpu/run_harness_overhead_gpu.sh [--model resnet50] [--rounds 6] [--seconds 3] [--threads 16]
#       [--devices "-1 0"]     # -1 = the CPU rows, 0 = the GPU rows
#       [--frameworks aotinductor]  # only these rows (comma-separated); AOTInductor packages are
#                                   # compiled only when its row runs
#       [--fake-batches 1,8]   # the fake backend's rows; "" = none
set -euo pipefail
cd "$(dirname "$0")/../.."
START=$(date +%s)
MODEL=resnet50
ROUNDS=6
SECONDS_PER_RUN=3
THREADS=16
DEVICES="-1 0"
FRAMEWORKS=""
FAKE_BATCHES=1,8
while [[ $# -gt 0 ]]; do
  case "$1" in
    --model) MODEL="$2"; shift ;;
    --rounds) ROUNDS="$2"; shift ;;
    --seconds) SECONDS_PER_RUN="$2"; shift ;;
    --threads) THREADS="$2"; shift ;;
    --devices) DEVICES="$2"; shift ;;
    --frameworks) FRAMEWORKS="$2"; shift ;;
    --fake-batches) FAKE_BATCHES="$2"; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "run_harness_overhead_gpu.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
INFBENCH_BENCH=ON
source scripts/gpu/build_on_device.sh
wanted() { [[ -z $FRAMEWORKS || ",$FRAMEWORKS," == *",$1,"* ]]; }
( PYTHONUNBUFFERED=1 $PY tools/aoti_zoo.py models "$MODEL" > "$OUT/zoo.log" 2>&1 &&
  { ! wanted xla || PYTHONUNBUFFERED=1 $PY tools/xla_zoo.py "$MODEL" --precision fp16 \
      --batch-sizes 1,8 --platform cuda --no-check >> "$OUT/zoo.log" 2>&1 ||
      echo "StableHLO export failed: the XLA rows will say 'model file missing'" >> "$OUT/zoo.log"; } &&
  { ! wanted aotinductor || build_aoti_packages "$MODEL" 1,8; } ) &
ZOO_PID=$!
infbench_build_on_device
wait $ZOO_PID || { tail -30 "$OUT/zoo.log"; echo "zoo failed" >&2; exit 1; }
say "zoo ready"
BENCH=build-gpu/bench/infbench_harness_overhead
# The GPU's clocks, power and throttle reasons every 0.5 s while the rounds run: session 12's hand
# loops varied by up to 1.6x between rounds (results/h200/session12/) and nothing recorded why.
# The throttle field's name changed (clocks_event_reasons since driver 535; the old one may be gone).
REASONS=clocks_event_reasons.active
nvidia-smi --query-gpu=$REASONS --format=csv > /dev/null 2>&1 || REASONS=clocks_throttle_reasons.active
nvidia-smi --query-gpu=timestamp,clocks.sm,clocks.mem,power.draw,temperature.gpu,utilization.gpu,$REASONS \
  --format=csv -lms 500 > "$OUT/gpu_clocks.csv" 2>&1 &
CLOCKS_PID=$!
trap 'kill $CLOCKS_PID 2>/dev/null || true' EXIT
for device in $DEVICES; do
  say "harness overhead, device $device"
  $BENCH --models-dir models --models "$MODEL" --batch-sizes 1,8 --threads "$THREADS" \
    --rounds "$ROUNDS" --seconds "$SECONDS_PER_RUN" --device "$device" --frameworks "$FRAMEWORKS" \
    --out "$OUT/harness_overhead.jsonl" | tee -a "$OUT/harness_overhead.txt" || true
done
# The harness's own per-batch cost on this host, without framework noise: the fake backend spinning
# 830 us per sample (ResNet-50's batch-1 time here) vs direct calls of it, one thread.
if [[ -n $FAKE_BATCHES ]]; then
  say "harness overhead, fake backend"
  $BENCH --fake-us 830 --fake-features 4 --models fake --batch-sizes "$FAKE_BATCHES" --rounds 8 \
    --seconds 2 --threads 1 --out "$OUT/harness_overhead_fake.jsonl" |
    tee -a "$OUT/harness_overhead_fake.txt" || true
fi
say "done (GPU clocks every 0.5 s: $OUT/gpu_clocks.csv)"
