#!/usr/bin/env bash
# Run ON A MULTI-GPU MACHINE (the device tool's nvidia-h200-x2 or larger), carrying .gpu-deps.tar.xz
# and .infbench_commit (issue 19 item 2): the same plan swept three ways, into $OUT:
#   one.db   one process on GPU 0 alone (CUDA_VISIBLE_DEVICES=0): the baseline wall time
#   mpi.db   mpirun with one worker rank per GPU (+ rank 0, which only schedules): each rank owns
#            the GPU of its index (src/sweep/mpi_sweep.cpp), its points run there
#   kill.db  the MPI sweep again, worker rank 1 killed with SIGKILL after --kill-after-s (its
#            group's points fail with the reason, the other ranks finish), then --resume
#            --retry-failed measures those points again into the same run
# then `infbench compare one.db mpi.db` (the same points, within their intervals?) and the wall
# times. The zoo's TorchScript models are built first (the default plan part is LibTorch fp16).
#
#   scripts/gpu/run_mpi_sweep_gpu.sh [--plan configs/paper-gpu.yaml] [--models resnet50]
#       [--set KEY=VALUE ...] [--kill-after-s 60] [--budget-s 540]
# Any --set replaces the default overrides (LibTorch fp16 with and without CUDA graphs at batch
# 1, 8, 64 and 256 on device 0) as a whole.
set -euo pipefail
cd "$(dirname "$0")/../.."
START=$(date +%s)
PLAN=configs/paper-gpu.yaml
MODELS=resnet50
KILL_AFTER_S=60
BUDGET_S=540
SETS=(--set 'frameworks={libtorch: {precision: [fp16], cuda_graph: ["off", "on"]}}'
      --set 'batch_sizes=[1,8,64,256]' --set 'devices=[0]')
USER_SETS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --plan) PLAN="$2"; shift ;;
    --models) MODELS="$2"; shift ;;
    --set) USER_SETS+=(--set "$2"); shift ;;
    --kill-after-s) KILL_AFTER_S="$2"; shift ;;
    --budget-s) BUDGET_S="$2"; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "run_mpi_sweep_gpu.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
(( ${#USER_SETS[@]} == 0 )) || SETS=("${USER_SETS[@]}")
source scripts/gpu/build_on_device.sh
GPUS=$(nvidia-smi --query-gpu=index --format=csv,noheader | wc -l)
(( GPUS >= 2 )) || { echo "run_mpi_sweep_gpu.sh: $GPUS GPU(s) here; this needs two or more" >&2; exit 2; }
( PYTHONUNBUFFERED=1 $PY tools/aoti_zoo.py models ${MODELS//,/ } > "$OUT/zoo.log" 2>&1 ) &
ZOO_PID=$!
infbench_build_on_device
wait $ZOO_PID || { tail -30 "$OUT/zoo.log"; echo "zoo failed" >&2; exit 1; }
B=build-gpu/infbench
SWEEP=(sweep "$PLAN" --set "models=[${MODELS}]" "${SETS[@]}")
MPI=(mpirun --allow-run-as-root --oversubscribe --enable-recovery -np $((GPUS + 1)))
timed() {  # NAME COMMAND...: runs it, appends "NAME SECONDS EXIT" to $OUT/wall.txt
  local name=$1 t0 rc=0 left=$(( BUDGET_S - $(elapsed) )); shift
  (( left > 0 )) || { echo "$name not run: the budget is spent" | tee -a "$OUT/wall.txt"; return; }
  t0=$(date +%s.%N)
  timeout -s INT "$left" "$@" > "$OUT/$name.log" 2>&1 || rc=$?
  echo "$name $(awk "BEGIN {printf \"%.1f s\", $(date +%s.%N) - $t0}") exit $rc" | tee -a "$OUT/wall.txt"
}
# The pid of MPI rank RANK of the sweep writing DB: the process whose environment says that rank
# and whose parent is not itself an infbench process (the point workers it forks inherit the rank).
worker_rank_pid() {
  local pid parent
  for pid in $(pgrep -f "infbench sweep .*$2"); do
    tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$1" || continue
    parent=$(ps -o comm= -p "$(ps -o ppid= -p "$pid" | tr -d ' ')" 2>/dev/null || true)
    [[ $parent == infbench ]] || { echo "$pid"; return; }
  done
}
say "one process, GPU 0"
CUDA_VISIBLE_DEVICES=0 timed one $B "${SWEEP[@]}" --db "$OUT/one.db"
say "MPI, $GPUS worker ranks"
timed mpi "${MPI[@]}" $B "${SWEEP[@]}" --db "$OUT/mpi.db"
$B compare "$OUT/one.db" "$OUT/mpi.db" > "$OUT/compare.txt" 2>&1 || true
tail -5 "$OUT/compare.txt"
say "MPI with a worker rank killed after ${KILL_AFTER_S} s, then --resume"
( sleep "$KILL_AFTER_S"
  victim=$(worker_rank_pid 1 kill.db)
  [[ -n $victim ]] && kill -9 "$victim" && echo "killed worker rank 1 (pid $victim)" >> "$OUT/wall.txt" ) &
KILLER=$!
timed kill "${MPI[@]}" $B "${SWEEP[@]}" --db "$OUT/kill.db"
# A sweep that ended before the kill leaves the killer waiting: it must not hit the resume's ranks.
kill "$KILLER" 2>/dev/null || true
wait "$KILLER" 2>/dev/null || true
sqlite3 "$OUT/kill.db" "select status, count(*) from points group by status" > "$OUT/kill-status-before-retry.txt" 2>&1 || true
timed resume "${MPI[@]}" $B "${SWEEP[@]}" --db "$OUT/kill.db" --resume --retry-failed
for db in one mpi kill; do
  [[ -f $OUT/$db.db ]] && $B report --markdown "$OUT/$db.db" > "$OUT/$db.md" 2>/dev/null || true
done
sqlite3 "$OUT/kill.db" "select status, count(*) from points group by status" > "$OUT/kill-status.txt" 2>&1 || true
cat "$OUT/wall.txt"
say "done"
