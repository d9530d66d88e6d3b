#!/usr/bin/env bash
# `infbench bench` end to end on the fake backend: JSON record, bad input, unreachable QPS,
# a failure mid-run, and Ctrl-C. Usage: bench_checks.sh CHECK BIN WORK_DIR
set -euo pipefail
check="$1"; bin="$2"; work="$3/bench_$1"  # $4: the source tree (roofline_provenance)
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
  roofline_provenance)
    # A fake model listed in a zoo manifest with 1 GFLOP per sample: the record's achieved rate is
    # throughput x 1e9, the CPU's peak comes from the OpenBLAS probe, and the record names the
    # commit this binary was built from (the source tree's HEAD, "-dirty" with local changes).
    src="$4"
    mkdir -p "$work/zoo/m"; touch "$work/zoo/m/m.fake"
    echo '{"models": {"m": {"files": {"fake": {"path": "m/m.fake"}}, "inputs": [{"shape": [-1, 4]}],
           "flops_per_sample": 1000000000}}}' > "$work/zoo/manifest.json"
    "$bin" bench --framework fake --model "$work/zoo/m/m.fake" --warmup-s 0 --idle-power-s 0 \
      --min-duration-s 0.3 --set delay_ms=2 --batch-size 4 \
      --json "$work/r.json" > "$work/out.txt"
    cat "$work/out.txt"
    grep -Eq "compute: [0-9.e+-]+ TFLOP/s (= [0-9.]+ % of peak [0-9.e+-]+ \(OpenBLAS sgemm|; peak not measured)" "$work/out.txt" || fail "compute line"
    grep -q "copy bound: not measured (CPU run)" "$work/out.txt" || fail "copy bound line"
    expected=""
    if git -C "$src" rev-parse --short HEAD > /dev/null 2>&1; then
      expected=$(git -C "$src" rev-parse --short HEAD)
      [[ -z $(git -C "$src" status --porcelain --untracked-files=no) ]] || expected+="-dirty"
    fi
    python3 - "$work/r.json" "$expected" "$(hostname)" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["record"]
expected, host = sys.argv[2], sys.argv[3]
assert r["flops_per_sample"] == 10**9, r["flops_per_sample"]
assert abs(r["achieved_tflops"] - r["throughput_samples_per_s"] * 1e-3) < 1e-9 * max(1, r["achieved_tflops"])
if r["peak_tflops"] is not None:
    assert abs(r["peak_compute_share"] - r["achieved_tflops"] / r["peak_tflops"]) < 1e-12
    assert r["peak_probe"].startswith("OpenBLAS sgemm 2048^3, "), r["peak_probe"]
else:
    assert r["peak_probe"].startswith("not measured"), r["peak_probe"]
assert r["copy_bound_samples_per_s"] is None and r["copy_bound_share"] is None  # CPU: none
assert r["commit"], "empty commit"
if expected:
    assert r["commit"] == expected, (r["commit"], expected)
assert r["host"] == host, (r["host"], host)
assert r["device_name"], "empty device_name"
assert r["idle_power_w"] is None  # --idle-power-s 0: not measured
print("commit", r["commit"], "host", r["host"], "device", r["device_name"], "peak", r["peak_tflops"])
PY
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
