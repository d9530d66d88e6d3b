#!/usr/bin/env bash
# Run ON THE GPU MACHINE (the device tool), carrying .gpu-deps and .infbench_commit
# (scripts/gpu/fetch_deps.sh and scripts/gpu/stamp_commit.sh make them here): builds infbench and
# ResNet-50, then checks issue 15's roofline and power items there: `bench` with LibTorch on GPU 0
# in fp16, bf16, fp32 and fp32+TF32 (each prints the cuBLAS peak of its precision and the pinned
# copy bound), and a small sweep (idle baseline once per device in the parent, peaks shared by the
# workers through the cache file), summarised with `infbench report --markdown` into $OUT.
set -euo pipefail
cd "$(dirname "$0")/../.."
START=$(date +%s)
source scripts/gpu/build_on_device.sh
( PYTHONUNBUFFERED=1 $PY tools/aoti_zoo.py models resnet50 > "$OUT/zoo.log" 2>&1 ) &
ZOO_PID=$!
infbench_build_on_device
wait $ZOO_PID || { tail -30 "$OUT/zoo.log"; exit 1; }
B=build-gpu/infbench
M=models/resnet50/resnet50.ts
run() {  # precision, extra args
  local p=$1; shift
  say "bench libtorch $p $*"
  $B bench --framework libtorch --model $M --device 0 --precision "$p" --batch-size 256 \
    --min-duration-s 3 --repeat 2 "$@" --json "$OUT/bench-$p$*.json" > "$OUT/bench-$p$*.txt" 2>&1 ||
    say "bench libtorch $p $*: exit $? (the next ones still run; $OUT/bench-$p$*.txt)"
  grep -E "throughput|roofline|GPU clocks|energy|provenance" "$OUT/bench-$p$*.txt" || true
}
run fp16
run bf16
run fp32
run fp32 --set tf32=on
cat > "$OUT/plan.yaml" <<YAML
name: roofline-check
models_dir: $PWD/models
models: [resnet50]
frameworks:
  libtorch: {precision: [fp16, fp32]}
  onnxruntime: {optimization: [all]}
devices: [0, -1]
batch_sizes: [1, 256]
scenarios: [offline]
measure: {min_duration_s: 3, min_queries: 3, warmup_s: 1, warmup_queries: 2, idle_power_s: 5}
exclude:
  - {framework: libtorch, device: -1}
  - {framework: onnxruntime, device: 0}
  - {framework: onnxruntime, batch_size: 256}
timeout_s: 300
YAML
say "sweep"
$B sweep "$OUT/plan.yaml" --db "$OUT/roofline.db" 2>&1 | grep -vE "^\s*\[" | tail -8
$B report --markdown "$OUT/roofline.db" > "$OUT/roofline.md"
cat "$OUT/roofline.md"
$B report "$OUT/roofline.db" --out "$OUT/report" > /dev/null
say "done"
