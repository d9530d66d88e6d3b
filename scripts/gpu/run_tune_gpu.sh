#!/usr/bin/env bash
# Run ON THE GPU MACHINE (the device tool), from the repository root, with .gpu-deps carried
# (scripts/gpu/fetch_deps.sh makes it here first). Builds infbench there, the zoo's MODEL and its
# StableHLO exports for the tune's batch sizes (fp32 and fp16), then runs
# `infbench tune MODEL --device 0` with what is left of --budget-s, into $OUT/tune.db (--resume
# when --db-in gives an earlier one). Extra arguments after -- go to `infbench tune`.
#
#   scripts/gpu/run_tune_gpu.sh                                   # resnet50, every framework built
#   scripts/gpu/run_tune_gpu.sh -- --frameworks xla,libtorch --precisions fp16
#   scripts/gpu/run_tune_gpu.sh --db-in .gpu-state/tune.db        # continue (resume) a tune
set -euo pipefail
cd "$(dirname "$0")/../.."
START=$(date +%s)
MODEL=resnet50
BATCHES=1,32,64,128,256
BUDGET_S=540
DB_IN=""
TUNE_ARGS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --model) MODEL="$2"; shift ;;
    --batches) BATCHES="$2"; shift ;;
    --budget-s) BUDGET_S="$2"; shift ;;
    --db-in) DB_IN="$2"; shift ;;
    --) shift; TUNE_ARGS=("$@"); break ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "run_tune_gpu.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
source scripts/gpu/build_on_device.sh
( set -e
  PYTHONUNBUFFERED=1 $PY tools/aoti_zoo.py models "$MODEL" > "$OUT/zoo.log" 2>&1
  for p in fp32 fp16; do
    PYTHONUNBUFFERED=1 $PY tools/xla_zoo.py "$MODEL" --precision "$p" --batch-sizes "$BATCHES" \
      --platform cuda --no-check >> "$OUT/zoo.log" 2>&1
  done ) &
ZOO_PID=$!
infbench_build_on_device
wait $ZOO_PID || { tail -30 "$OUT/zoo.log"; echo "zoo failed" >&2; exit 1; }
RESUME=()
if [[ -n $DB_IN ]]; then cp "$DB_IN" "$OUT/tune.db"; RESUME=(--resume); fi
LEFT=$(( BUDGET_S - $(elapsed) ))
say "tune $MODEL on GPU 0, $LEFT s"
build-gpu/infbench tune "$MODEL" --device 0 --batch-sizes "$BATCHES" --budget-s "$LEFT" \
  --db "$OUT/tune.db" --plan-out "$OUT/tune-winner.yaml" ${RESUME[@]+"${RESUME[@]}"} \
  ${TUNE_ARGS[@]+"${TUNE_ARGS[@]}"} 2> "$OUT/tune.log" | tee "$OUT/tune.txt"
say "done"
