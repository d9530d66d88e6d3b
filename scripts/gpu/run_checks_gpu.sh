#!/usr/bin/env bash
# Run ON THE GPU MACHINE (the device tool), carrying .gpu-deps.tar.xz and .infbench_commit
# (scripts/gpu/fetch_deps.sh and scripts/gpu/stamp_commit.sh make them here). One device call that
# builds infbench and ResNet-50 (TorchScript + StableHLO fp16 at the given batch sizes) once, then
# runs the chosen STEPS in order, each under its own time limit, into $OUT:
#   tests    the GPU test binary (build-gpu/tests/infbench_gpu_tests)
#   roofline `bench` LibTorch fp16 b256: the cuBLAS peak, copy bound, throttling, provenance lines
#   tune     `infbench tune resnet50 --device 0` over xla and libtorch fp16 (tune.db, winner plan),
#            then the winner's plan measured again as a sweep (winner.db, winner.csv): its repeats
#            are the figure, not the search's best trial, which is selected among noisy ones
#   peers    bench/gpu_peers.py: eager and jax.jit at --peer-batches (default --batches) against
#            infbench xla and libtorch, fp16 (after tune: against the winner's re-measurement)
#   latency  configs/paper-gpu-latency.yaml (single-stream b1, server peak at b64): LibTorch with
#            and without CUDA graphs, XLA, and AOTInductor with --aoti
#   offline  configs/paper-gpu.yaml for resnet50, libtorch fp16 and xla fp16 (and AOTInductor with
#            --aoti) at --batches
# --aoti compiles ResNet-50's AOTInductor fp16 packages for --batches (~20-90 s each) before the steps.
# --plan-set KEY=VALUE (repeatable) goes to the latency and offline sweeps as --set, e.g.
#   --plan-set measure.pad_batches_pow2=true   (server batches padded to powers of two, docs/metrics.md)
#
#   scripts/gpu/run_checks_gpu.sh --steps tests,roofline,tune,peers --batches 64,256
#   scripts/gpu/run_checks_gpu.sh --steps tune,peers --batches 64,128,256,512 --peer-batches 256,512
set -euo pipefail
cd "$(dirname "$0")/../.."
START=$(date +%s)
STEPS=tests,roofline,tune,peers
BATCHES=1,64,256
BUDGET_S=560
TUNE_S=200
PEER_BATCHES=""
AOTI=0
PLAN_SETS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --steps) STEPS="$2"; shift ;;
    --batches) BATCHES="$2"; shift ;;
    --budget-s) BUDGET_S="$2"; shift ;;
    --tune-s) TUNE_S="$2"; shift ;;
    --peer-batches) PEER_BATCHES="$2"; shift ;;
    --aoti) AOTI=1 ;;
    --plan-set) PLAN_SETS+=(--set "$2"); shift ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "run_checks_gpu.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
left() { echo $(( BUDGET_S - $(elapsed) )); }
has() { [[ ",$STEPS," == *",$1,"* ]]; }
AOTI_FW=""
(( AOTI )) && AOTI_FW=", aotinductor: {precision: [fp16]}"
source scripts/gpu/build_on_device.sh
( set -e
  PYTHONUNBUFFERED=1 $PY tools/aoti_zoo.py models resnet50 resnet18 > "$OUT/zoo.log" 2>&1
  PYTHONUNBUFFERED=1 $PY tools/xla_zoo.py resnet50 --precision fp16 --batch-sizes "$BATCHES" \
    --platform cuda --no-check >> "$OUT/zoo.log" 2>&1
  if (( AOTI )); then build_aoti_packages resnet50 "$BATCHES"; fi ) &
ZOO_PID=$!
infbench_build_on_device
wait $ZOO_PID || { tail -30 "$OUT/zoo.log"; echo "zoo failed" >&2; exit 1; }
say "zoo ready"
B=build-gpu/infbench
if has tests; then
  say "GPU tests"
  INFBENCH_MODELS_DIR=$PWD/models timeout 120 build-gpu/tests/infbench_gpu_tests 2>&1 |
    grep -E "^\[  (PASSED|FAILED|  OK|SKIPPED) |tests ran|Failure|error|Expected|Which is|actual" | tail -40 || true
fi
if has roofline; then
  say "roofline: libtorch fp16 b256"
  timeout 90 $B bench --framework libtorch --model models/resnet50/resnet50.ts --device 0 \
    --precision fp16 --batch-size 256 --min-duration-s 3 --repeat 3 --json "$OUT/bench-libtorch.json" |
    grep -E "throughput|roofline|GPU clocks|energy|provenance|accuracy" || true
fi
if has tune; then
  say "tune, ${TUNE_S} s"
  timeout $((TUNE_S + 60)) $B tune resnet50 --device 0 --frameworks xla,libtorch --precisions fp16 \
    --batch-sizes "$BATCHES" --budget-s "$TUNE_S" --db "$OUT/tune.db" \
    --plan-out "$OUT/tune-winner.yaml" 2> "$OUT/tune.log" | tee "$OUT/tune.txt" || true
  if [[ -f $OUT/tune-winner.yaml ]]; then
    say "the winner measured again"
    # With the plans' repeats (3 x 3 s), not the 1 s of rung 0 the winner may come from.
    timeout 240 $B sweep "$OUT/tune-winner.yaml" --db "$OUT/winner.db" --set measure.repeat=3 \
      --set measure.min_duration_s=3 2>&1 | grep -vE "^\s*\[" | tail -4 || true
    $B export "$OUT/winner.db" --format csv > "$OUT/winner.csv" || rm -f "$OUT/winner.csv"
    $B report --markdown "$OUT/winner.db" > "$OUT/winner.md" || true
  fi
fi
if has peers; then
  L=$(( $(left) - 20 ))
  say "peers, $L s"
  FROM_TUNE=()
  if [[ -s $OUT/winner.csv ]]; then
    FROM_TUNE=(--infbench-csv "$OUT/winner.csv")
    # Without --peer-batches, the peers run at the winner's batch size (the figure to compare).
    [[ -n $PEER_BATCHES ]] || PEER_BATCHES=$($PY -c 'import csv,sys; print(",".join(sorted({r["batch_size"] for r in csv.DictReader(open(sys.argv[1]))}, key=int)))' "$OUT/winner.csv")
  fi
  XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONUNBUFFERED=1 timeout $((L + 30)) $PY bench/gpu_peers.py \
    --device 0 --models resnet50 --batch-sizes "${PEER_BATCHES:-$BATCHES}" --precisions fp16 \
    --peers jax,eager --frameworks xla,libtorch --infbench $B --min-s 3 --rounds 3 --budget-s "$L" \
    --timeout-s 200 --out "$OUT/peers" ${FROM_TUNE[@]+"${FROM_TUNE[@]}"} | tee "$OUT/peers.txt" || true
fi
if has latency; then
  L=$(( $(left) - 20 ))
  say "latency plan, $L s"
  timeout -s INT "$L" $B sweep configs/paper-gpu-latency.yaml --db "$OUT/latency.db" \
    --set "frameworks={libtorch: {precision: [fp16], cuda_graph: [\"off\", \"on\"]}, xla: {precision: [fp16]}$AOTI_FW}" \
    ${PLAN_SETS[@]+"${PLAN_SETS[@]}"} 2>&1 | grep -vE "^\s*\[" | tail -6 || true
  $B report --markdown "$OUT/latency.db" > "$OUT/latency.md" || true
fi
if has offline; then
  L=$(( $(left) - 20 ))
  say "offline plan, $L s"
  timeout -s INT "$L" $B sweep configs/paper-gpu.yaml --db "$OUT/offline.db" \
    --set 'models=[resnet50]' --set "batch_sizes=[${BATCHES}]" --set 'devices=[0]' \
    --set "frameworks={libtorch: {precision: [fp16], cuda_graph: [\"off\", \"on\"]}, xla: {precision: [fp16]}$AOTI_FW}" \
    ${PLAN_SETS[@]+"${PLAN_SETS[@]}"} 2>&1 | grep -vE "^\s*\[" | tail -6 || true
  $B report --markdown "$OUT/offline.db" > "$OUT/offline.md" || true
fi
say "done"
