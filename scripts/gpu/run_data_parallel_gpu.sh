#!/usr/bin/env bash
# Run ON A MULTI-GPU MACHINE (the device tool's nvidia-h200-x2), from the repository root, with
# .gpu-deps carried: builds infbench and ResNet-50 there, then measures data-parallel `predict`
# (--device 0,1,...: the samples split across GPUs, one model per GPU on its own thread, outputs
# reassembled in order) against one GPU, per precision and batch size. Writes reports to $OUT.
#
#   scripts/gpu/run_data_parallel_gpu.sh [--samples 4096] [--batch-sizes 64,256]
set -euo pipefail
cd "$(dirname "$0")/../.."
START=$(date +%s)
SAMPLES=4096
BATCHES=64,256
while [[ $# -gt 0 ]]; do
  case "$1" in
    --samples) SAMPLES="$2"; shift ;;
    --batch-sizes) BATCHES="$2"; shift ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "run_data_parallel_gpu.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
nvidia-smi --query-gpu=index,name,driver_version,memory.total --format=csv,noheader
GPUS=$(nvidia-smi --query-gpu=index --format=csv,noheader | paste -sd, -)
source scripts/gpu/build_on_device.sh
( PYTHONUNBUFFERED=1 $PY tools/aoti_zoo.py models resnet50 &&
  $PY -c "import numpy as np; np.save('/tmp/x.npy', np.random.default_rng(1).standard_normal(($SAMPLES, 3, 224, 224), dtype=np.float32))" ) \
  > "$OUT/zoo.log" 2>&1 &
ZOO_PID=$!
infbench_build_on_device
wait $ZOO_PID || { tail -30 "$OUT/zoo.log"; exit 1; }
say "models and $SAMPLES input samples ready; GPUs $GPUS"
for precision in fp16 fp32; do
  for batch in ${BATCHES//,/ }; do
    say "resnet50 libtorch $precision batch $batch: devices $GPUS vs device 0"
    build-gpu/infbench predict --model models/resnet50/resnet50.ts --framework libtorch \
      --precision "$precision" --device "$GPUS" --batch-size "$batch" --warmup 3 \
      --input /tmp/x.npy --output /tmp/y.npy --report "$OUT/dp_${precision}_b${batch}.json" \
      > "$OUT/dp_${precision}_b${batch}.txt" 2>&1 || say "predict exit $? (the next ones still run)"
    grep -E "data parallel|device|predict" "$OUT/dp_${precision}_b${batch}.txt" || true
  done
done
say "done"
