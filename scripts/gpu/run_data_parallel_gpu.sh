#!/usr/bin/env bash
# Run ON A MULTI-GPU MACHINE (the device tool's nvidia-h200-x2 or larger), from the repository root,
# with .gpu-deps carried: builds infbench and the zoo's MODELS there, then for each model, precision
# and batch size measures data-parallel throughput with `infbench bench --device 0,1,...` (issue 19:
# the first GPU alone, then every GPU at once, offline, --repeat repeats of --seconds each, the
# aggregate and the scaling efficiency with 95 % intervals), and once data-parallel `predict` over
# --samples samples (the outputs split across GPUs and reassembled in order). Writes to $OUT.
#
#   scripts/gpu/run_data_parallel_gpu.sh [--models resnet50] [--batch-sizes 64,256]
#       [--precisions fp16,fp32] [--seconds 10] [--repeat 3] [--samples 4096] [--budget-s 540]
#       [--gpu-counts 2,4,8]   # GPUs 0..N-1 for each N (default: every GPU of the machine)
# It writes two files per cell: wrap the call in scripts/gpu/packed.sh (the device tool returns 8).
set -euo pipefail
cd "$(dirname "$0")/../.."
START=$(date +%s)
SAMPLES=4096
BATCHES=64,256
MODELS=resnet50
PRECISIONS=fp16,fp32
SECONDS_PER_REPEAT=10
REPEAT=3
BUDGET_S=540
GPU_COUNTS=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --samples) SAMPLES="$2"; shift ;;
    --batch-sizes) BATCHES="$2"; shift ;;
    --models) MODELS="$2"; shift ;;
    --precisions) PRECISIONS="$2"; shift ;;
    --seconds) SECONDS_PER_REPEAT="$2"; shift ;;
    --repeat) REPEAT="$2"; shift ;;
    --budget-s) BUDGET_S="$2"; shift ;;
    --gpu-counts) GPU_COUNTS="$2"; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "run_data_parallel_gpu.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
nvidia-smi --query-gpu=index,name,driver_version,memory.total --format=csv,noheader
GPUS=$(nvidia-smi --query-gpu=index --format=csv,noheader | paste -sd, -)
ALL=$(awk -F, '{print NF}' <<< "$GPUS")
[[ -n $GPU_COUNTS ]] || GPU_COUNTS=$ALL
source scripts/gpu/build_on_device.sh
( PYTHONUNBUFFERED=1 $PY tools/aoti_zoo.py models ${MODELS//,/ } &&
  $PY -c "import numpy as np; np.save('/tmp/x.npy', np.random.default_rng(1).standard_normal(($SAMPLES, 3, 224, 224), dtype=np.float32))" ) \
  > "$OUT/zoo.log" 2>&1 &
ZOO_PID=$!
infbench_build_on_device
wait $ZOO_PID || { tail -30 "$OUT/zoo.log"; exit 1; }
say "models and $SAMPLES input samples ready; GPUs $GPUS"
for count in ${GPU_COUNTS//,/ }; do
  (( count >= 2 && count <= ALL )) || { say "--gpu-counts $count: this machine has $ALL GPUs"; continue; }
  devices=$(seq -s, 0 $((count - 1)))
  for model in ${MODELS//,/ }; do
    for precision in ${PRECISIONS//,/ }; do
      for batch in ${BATCHES//,/ }; do
        (( $(elapsed) < BUDGET_S - 60 )) || { say "budget: $count GPUs $model $precision b$batch not run"; continue; }
        cell="${count}gpu_${model}_${precision}_b${batch}"
        say "$model libtorch $precision batch $batch: bench on GPUs $devices (GPU 0 alone first)"
        # SIGINT at the budget: the run stops at its next query and still writes its JSON.
        timeout -s INT $(( BUDGET_S - $(elapsed) )) build-gpu/infbench bench --model "models/$model/$model.ts" \
          --framework libtorch --precision "$precision" --device "$devices" --batch-size "$batch" \
          --min-duration-s "$SECONDS_PER_REPEAT" --repeat "$REPEAT" --json "$OUT/dp_bench_$cell.json" \
          > "$OUT/dp_bench_$cell.txt" 2>&1 || say "bench exit $? (the next cells still run)"
        grep -vE "^\s*\[" "$OUT/dp_bench_$cell.txt" || true
      done
    done
  done
done
# Data-parallel predict once over every GPU (ResNet-50 fp16 at the first batch size): the outputs'
# reassembly in order.
(( $(elapsed) < BUDGET_S - 30 )) &&
  build-gpu/infbench predict --model models/resnet50/resnet50.ts --framework libtorch \
    --precision fp16 --device "$GPUS" --batch-size "${BATCHES%%,*}" --warmup 3 \
    --input /tmp/x.npy --output /tmp/y.npy --report "$OUT/dp_predict.json" > "$OUT/dp_predict.txt" 2>&1 ||
  say "predict not run or failed (see dp_predict.txt)"
say "done"
