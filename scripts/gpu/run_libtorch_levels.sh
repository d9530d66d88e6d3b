#!/usr/bin/env bash
# Run ON THE GPU MACHINE (the device tool), carrying .gpu-deps.tar.xz and .infbench_commit: LibTorch's
# optimisation levels on the GPU, side by side in one call (issue 17 item 2). Session 13 measured
# ResNet-50 fp16 channels-last + CUDA graphs at batch 256: optimize_for_inference (TorchScript's
# frozen conv-add-relu fusion) 25,334 img/s against freeze 14,022. This runs `infbench bench` with
# each level for each model (3 repeats of >= 2 s; the accuracy gate on every run) into $OUT.
#
#   scripts/gpu/run_libtorch_levels.sh [--models "densenet201 vgg19 efficientnet_b0"] [--batch 256]
#       [--levels "freeze optimize_for_inference"]
set -euo pipefail
cd "$(dirname "$0")/../.."
START=$(date +%s)
MODELS="resnet50 densenet201 vgg19 efficientnet_b0"
BATCH=256
LEVELS="freeze optimize_for_inference"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --models) MODELS="${2//,/ }"; shift ;;
    --batch) BATCH="$2"; shift ;;
    --levels) LEVELS="${2//,/ }"; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "run_libtorch_levels.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
source scripts/gpu/build_on_device.sh
# shellcheck disable=SC2086
( PYTHONUNBUFFERED=1 $PY tools/aoti_zoo.py models $MODELS > "$OUT/zoo.log" 2>&1 ) &
ZOO_PID=$!
infbench_build_on_device
wait $ZOO_PID || { tail -30 "$OUT/zoo.log"; echo "zoo failed" >&2; exit 1; }
say "zoo ready"
for model in $MODELS; do
  for level in $LEVELS; do
    say "$model libtorch fp16 channels_last cuda_graph b$BATCH optimization=$level"
    timeout 120 build-gpu/infbench bench --framework libtorch --model "models/$model/$model.ts" \
      --device 0 --precision fp16 --batch-size "$BATCH" --set channels_last=on --set cuda_graph=on \
      --optimization "$level" --min-duration-s 2 --repeat 3 --json "$OUT/$model-$level.json" 2>&1 |
      grep -E "throughput|roofline|accuracy|rror" | tee -a "$OUT/levels.txt" || true
  done
done
say "done"
