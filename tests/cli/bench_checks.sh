#!/usr/bin/env bash
# `infbench bench` end to end on the fake backend: JSON record, bad input, unreachable QPS,
# a failure mid-run, and Ctrl-C. Usage: bench_checks.sh CHECK BIN WORK_DIR
set -euo pipefail
check="$1"; bin="$2"; work="$3/bench_$1"
rm -rf "$work"; mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }
base=(--framework fake --model fake --warmup-s 0 --idle-power-s 0)
quick=("${base[@]}" --min-duration-s 0.3)

case "$check" in
  json_record)
    "$bin" bench "${quick[@]}" --set delay_ms=2 --batch-size 4 --repeat 2 --json "$work/r.json" > "$work/out.txt"
    cat "$work/out.txt"
    python3 - "$work/r.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
r = doc["record"]
assert doc["schema_version"] == 3
assert r["status"] == "ok" and r["repeats"] == 2 and r["throughput_ci95_low"] is not None
assert r["energy_j"] is None or r["energy_j"] > 0          # null = not measured, never a fake zero
assert len(doc["latencies_ms"]) == r["queries_completed"]
assert "cpu_model" in doc["environment"] and "git_commit" in doc["environment"]
assert r["batch_compute_mean_ms"] > 0
PY
    grep -q "throughput" "$work/out.txt" || fail "summary"
    ;;
  bad_scenario)
    "$bin" bench "${quick[@]}" --scenario fastest 2>"$work/err" && fail "accepted"
    grep -q "scenario 'fastest' is unknown; valid: offline, single-stream, multi-stream, server" "$work/err" || fail "$(cat "$work/err")"
    [[ $(wc -l < "$work/err") == 1 ]] || fail "one line"
    "$bin" bench "${quick[@]}" --target-qps 10 2>"$work/err2" && fail "accepted qps offline"
    grep -q "apply to --scenario server only" "$work/err2" || fail "$(cat "$work/err2")"
    ;;
  unreachable_qps)
    start=$(date +%s)
    "$bin" bench "${base[@]}" --set delay_ms=20 --scenario server --target-qps 2000 --min-duration-s 20 > "$work/out.txt"
    cat "$work/out.txt"
    grep -q "INVALID (target QPS not reached" "$work/out.txt" || fail "verdict"
    (( $(date +%s) - start < 15 )) || fail "did not stop at the backlog limit"
    ;;
  failure_mid_run)
    set +e
    "$bin" bench "${quick[@]}" --set fault_at_batch=20 --json "$work/r.json" > "$work/out.txt" 2>"$work/err"
    rc=$?
    set -e
    cat "$work/out.txt" "$work/err"
    [[ $rc == 6 ]] || fail "exit code $rc"
    grep -q "STATUS failed in measure" "$work/out.txt" || fail "summary"
    python3 -c "import json; r=json.load(open('$work/r.json'))['record']; assert r['status']=='failed' and r['error_phase']=='measure'"
    ;;
  interrupt)
    "$bin" bench "${base[@]}" --set delay_ms=5 --min-duration-s 60 > "$work/out.txt" 2>"$work/err" &
    pid=$!
    # Signal only once the handler is installed (SigCgt bit 2 = SIGINT): on a loaded machine a fixed
    # sleep can fire before, and a background job of a script starts with SIGINT ignored.
    for _ in $(seq 300); do
      mask=$(awk '/^SigCgt:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
      (( (16#${mask:-0} >> 1) & 1 )) && break
      sleep 0.05
    done
    sleep 0.5
    kill -INT "$pid"
    set +e
    wait "$pid"
    rc=$?
    set -e
    cat "$work/out.txt" "$work/err"
    [[ $rc == 130 ]] || fail "exit code $rc"
    grep -q "STATUS interrupted" "$work/out.txt" || fail "no summary of what was measured"
    grep -q "throughput" "$work/out.txt" || fail "no throughput"
    ;;
  *) fail "unknown check" ;;
esac
echo "PASS $check"
