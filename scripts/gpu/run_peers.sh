#!/usr/bin/env bash
# Run ON THE GPU MACHINE (the device tool), from the repository root, with .gpu-deps carried
# (scripts/gpu/fetch_deps.sh makes it here first). Builds infbench there (build-gpu, LibTorch CUDA,
# the xla adapter on jax's CUDA 13 plugin), the zoo's MODELS (tools/aoti_zoo.py: same weights as
# here), their StableHLO exports (tools/xla_zoo.py, lowered for cuda) and, with --aoti, their
# AOTInductor fp16 packages, then runs bench/gpu_peers.py: PyTorch eager, torch.compile (with and
# without CUDA graphs) and jax.jit against `infbench bench` in the same run, one table of img/s and
# ratios in $OUT/peers/peers.{md,csv,json}.
#
#   scripts/gpu/run_peers.sh --models resnet50                       # one model per call
#   scripts/gpu/run_peers.sh --models vgg19 --raw-in .gpu-state/raw.jsonl   # continue a table
#   scripts/gpu/run_peers.sh --models resnet50 --batches 256 --precisions fp16 --peers compile-cg,jax
#   scripts/gpu/run_peers.sh --models vgg19 --precisions fp16 --infbench-csv out/gpu/paper-gpu.csv
#       # infbench's side from a sweep just run in the same call (its export), not measured again
#
# A device call lasts at most 10 minutes: no new measurement starts after --budget-s seconds since
# the start (torch.compile max-autotune takes minutes per shape); the table is still written. Copy
# $OUT/peers/raw.jsonl back into a carried folder and pass it as --raw-in to continue.
set -euo pipefail
cd "$(dirname "$0")/../.."
START=$(date +%s)
MODELS=resnet50
BATCHES=1,64,256
PRECISIONS=fp32,fp16
PEERS=eager,compile,compile-cg,jax
FRAMEWORKS=libtorch,aotinductor,xla
MIN_S=3
ROUNDS=3
BUDGET_S=540
AOTI=0
RAW_IN=""
INFBENCH_CSV=""
SETS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --models) MODELS="$2"; shift ;;          # comma-separated zoo names
    --batches) BATCHES="$2"; shift ;;
    --precisions) PRECISIONS="$2"; shift ;;
    --peers) PEERS="$2"; shift ;;
    --frameworks) FRAMEWORKS="$2"; shift ;;
    --min-s) MIN_S="$2"; shift ;;
    --rounds) ROUNDS="$2"; shift ;;
    --budget-s) BUDGET_S="$2"; shift ;;
    --aoti) AOTI=1 ;;                        # build AOTInductor packages (~50-80 s each)
    --raw-in) RAW_IN="$2"; shift ;;
    --infbench-csv) INFBENCH_CSV="$2"; shift ;;
    --set) SETS+=(--set "$2"); shift ;;      # infbench option, e.g. libtorch.cuda_graph=on
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "run_peers.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
source scripts/gpu/build_on_device.sh
mkdir -p "$OUT/peers"
[[ -n $RAW_IN ]] && cp "$RAW_IN" "$OUT/peers/raw.jsonl"

# The zoo (ONNX + TorchScript with the zoo's weights) and its StableHLO exports, while infbench
# compiles.
( set -e
  PYTHONUNBUFFERED=1 $PY tools/aoti_zoo.py models ${MODELS//,/ } > "$OUT/zoo.log" 2>&1
  for p in ${PRECISIONS//,/ }; do
    PYTHONUNBUFFERED=1 $PY tools/xla_zoo.py ${MODELS//,/ } --precision "$p" --batch-sizes "$BATCHES" \
      --platform cuda --no-check >> "$OUT/zoo.log" 2>&1
  done ) &
ZOO_PID=$!
infbench_build_on_device
wait $ZOO_PID || { tail -30 "$OUT/zoo.log"; echo "zoo failed" >&2; exit 1; }
if [[ $AOTI -eq 1 ]]; then
  build_aoti_packages "${MODELS//,/ }" "$BATCHES" || { tail -20 "$OUT/zoo.log"; exit 1; }
fi
say "zoo ready"

LEFT=$(( BUDGET_S - $(elapsed) ))
say "peers: $MODELS, batches $BATCHES, $PRECISIONS; $LEFT s left for measurements"
XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONUNBUFFERED=1 $PY bench/gpu_peers.py --device 0 \
  --models "$MODELS" --batch-sizes "$BATCHES" --precisions "$PRECISIONS" --peers "$PEERS" \
  --frameworks "$FRAMEWORKS" --infbench build-gpu/infbench --min-s "$MIN_S" --rounds "$ROUNDS" \
  --budget-s "$LEFT" --timeout-s 400 --out "$OUT/peers" ${INFBENCH_CSV:+--infbench-csv "$INFBENCH_CSV"} \
  ${SETS[@]+"${SETS[@]}"} | tee "$OUT/peers.txt"
say "done"
