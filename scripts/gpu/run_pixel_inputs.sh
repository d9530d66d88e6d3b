#!/usr/bin/env bash
# Run ON THE GPU MACHINE (the device tool), carrying .gpu-deps.tar.xz and .infbench_commit: the
# zoo's float-input models against their uint8 pixel-input variants (<model>_u8: the program
# normalises uint8 NHWC pixels itself, so a batch's copy is a quarter of float32's bytes and half of
# fp16's; issue 17 item 3), side by side in one call, fp16 at one batch size, every run through the
# accuracy gate. Writes one JSON per run and $OUT/pixel-inputs.md (scripts/gpu/pixel_table.py).
#
#   scripts/gpu/run_pixel_inputs.sh [--models resnet50] [--frameworks xla,libtorch] [--batch 256]
#       [--aoti]   # also AOTInductor packages of both variants at --batch (~60-100 s each)
set -euo pipefail
cd "$(dirname "$0")/../.."
START=$(date +%s)
MODELS="resnet50"
FRAMEWORKS="xla libtorch"
BATCH=256
AOTI=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --models) MODELS="${2//,/ }"; shift ;;
    --frameworks) FRAMEWORKS="${2//,/ }"; shift ;;
    --batch) BATCH="$2"; shift ;;
    --aoti) AOTI=1 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "run_pixel_inputs.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
source scripts/gpu/build_on_device.sh
VARIANTS=""
for m in $MODELS; do VARIANTS+=" $m ${m}_u8"; done
# shellcheck disable=SC2086
( set -e
  PYTHONUNBUFFERED=1 $PY tools/aoti_zoo.py models $VARIANTS > "$OUT/zoo.log" 2>&1
  PYTHONUNBUFFERED=1 $PY tools/xla_zoo.py $VARIANTS --precision fp16 --batch-sizes "$BATCH" \
    --platform cuda --no-check >> "$OUT/zoo.log" 2>&1 ) &
ZOO_PID=$!
infbench_build_on_device
wait $ZOO_PID || { tail -30 "$OUT/zoo.log"; echo "zoo failed" >&2; exit 1; }
[[ $AOTI -eq 1 ]] && { build_aoti_packages "$VARIANTS" "$BATCH" || tail -20 "$OUT/zoo.log"; }
say "zoo ready"
[[ $AOTI -eq 1 ]] && FRAMEWORKS+=" aotinductor"
for model in $VARIANTS; do
  for fw in $FRAMEWORKS; do
    case $fw in
      xla) file="models/$model/$model.stablehlo.fp16.b$BATCH.mlirbc"; extra=() ;;
      libtorch) file="models/$model/$model.ts"; extra=(--set channels_last=on --set cuda_graph=on) ;;
      aotinductor) file="models/$model/$model.fp16.b$BATCH.pt2"; extra=() ;;
      *) echo "run_pixel_inputs.sh: unknown framework '$fw'" >&2; exit 2 ;;
    esac
    [[ -f $file ]] || { say "$model $fw: $file missing"; continue; }
    say "$model $fw fp16 b$BATCH"
    timeout 150 build-gpu/infbench bench --framework "$fw" --model "$file" --device 0 \
      --precision fp16 --batch-size "$BATCH" "${extra[@]}" --min-duration-s 2 --repeat 3 \
      --json "$OUT/$model-$fw.json" 2>&1 |
      grep -E "inputs|throughput|roofline|accuracy|rror" | tee -a "$OUT/pixel-inputs.txt" || true
  done
done
$PY scripts/gpu/pixel_table.py "$OUT" > "$OUT/pixel-inputs.md" && cat "$OUT/pixel-inputs.md"
say "done"
