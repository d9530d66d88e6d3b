#!/usr/bin/env bash
# Run ON THE GPU MACHINE (the device tool), carrying .gpu-deps.tar.xz and .infbench_commit: where
# LibTorch (TorchScript) loses against PyTorch eager (issue 17 item 2). Builds infbench and the
# zoo's MODEL, then bench/libtorch_gap.py (eager, eager with cudnn.benchmark, TorchScript traced
# with the cuDNN flags baked off / on, with a CUDA graph; torch.profiler kernel tables) and
# `infbench bench` LibTorch fp16 channels-last + CUDA graphs with cudnn_benchmark on and off (the
# adapter rewrites the traced flags since session 11), and with optimization=optimize_for_inference
# (TorchScript's frozen conv-add-relu fusion), into $OUT. --bench-only: the infbench runs alone.
#
#   scripts/gpu/run_libtorch_gap.sh [--model resnet50] [--batch 256] [--bench-only]
set -euo pipefail
cd "$(dirname "$0")/../.."
START=$(date +%s)
MODEL=resnet50
BATCH=256
PROFILE=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --model) MODEL="$2"; shift ;;
    --batch) BATCH="$2"; shift ;;
    --bench-only) PROFILE=0 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "run_libtorch_gap.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
source scripts/gpu/build_on_device.sh
[[ -f models/$MODEL/$MODEL.ts ]] || PYTHONUNBUFFERED=1 $PY tools/aoti_zoo.py models "$MODEL" > "$OUT/zoo.log" 2>&1
infbench_build_on_device
if (( PROFILE )); then
  say "libtorch_gap.py"
  timeout 150 $PY bench/libtorch_gap.py --model "$MODEL" --batch "$BATCH" --out "$OUT/libtorch_gap.json" \
    2>&1 | tee "$OUT/libtorch_gap.txt" || true
fi
# cudnn_benchmark:optimization
for run in on:freeze off:freeze on:optimize_for_inference; do
  cb=${run%%:*} level=${run#*:}
  say "infbench bench libtorch fp16 channels_last cuda_graph cudnn_benchmark=$cb optimization=$level"
  timeout 90 build-gpu/infbench bench --framework libtorch --model "models/$MODEL/$MODEL.ts" --device 0 \
    --precision fp16 --batch-size "$BATCH" --set channels_last=on --set cuda_graph=on \
    --set cudnn_benchmark=$cb --optimization "$level" --min-duration-s 2 --repeat 3 \
    --json "$OUT/bench-cudnn-$cb-$level.json" 2>&1 |
    grep -E "throughput|traced|roofline|accuracy|rror" | tee -a "$OUT/bench-cudnn.txt" || true
done
say "done"
