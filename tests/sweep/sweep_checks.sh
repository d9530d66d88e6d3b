#!/usr/bin/env bash
# End-to-end checks of sweeps, the database, resume after kill -9, fault isolation, export, compare
# and the HTML report (rendered in headless Chromium). Usage: sweep_checks.sh CHECK BIN SRC_DIR WORK_DIR
set -euo pipefail
check="$1"; bin="$2"; src="$3"; work="$4/$1"
rm -rf "$work"; mkdir -p "$work"
plans="$src/tests/sweep"
q() { sqlite3 "$1" "$2"; }
fail() { echo "FAIL: $*"; exit 1; }
# MPI checks: 3 ranks (rank 0 schedules, 2 workers: one core each on a 2-core machine).
mpi() {
  command -v mpirun >/dev/null || { echo "SKIP: mpirun not found (Debian openmpi-bin)"; exit 77; }
  if [[ $(id -u) -eq 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
  timeout 120 mpirun --oversubscribe --enable-recovery -np 3 "$bin" "$@"
}

case "$check" in
  dry_run)
    out=$("$bin" sweep "$plans/fake-plan.yaml" --dry-run)
    echo "$out" | tail -1
    [[ $(echo "$out" | grep -c ' group ') == 12 ]] || fail "expected 12 points"
    echo "$out" | tail -1 | grep -q "12 points in 2 load groups" || fail "summary line"
    ;;
  sweep_and_export)
    "$bin" sweep "$plans/fake-plan.yaml" --db "$work/r.db"
    [[ $(q "$work/r.db" "select count(*) from points where status='ok'") == 12 ]] || fail "12 ok points"
    [[ $(q "$work/r.db" "select count(*) from metrics where m_throughput_samples_per_s > 0") == 12 ]] || fail "metrics"
    [[ $(q "$work/r.db" "select count(distinct point_id) from samples") == 12 ]] || fail "raw samples"
    # Three repeats per point by default, each stored, with the CV across them.
    [[ $(q "$work/r.db" "select count(*) from repeats") == 36 ]] || fail "3 repeats per point"
    [[ $(q "$work/r.db" "select count(*) from metrics where m_repeats = 3 and m_throughput_cv >= 0") == 12 ]] || fail "throughput_cv"
    [[ $(q "$work/r.db" "select value from meta where key='schema_version'") == 3 ]] || fail "schema version"
    [[ $(q "$work/r.db" "select count(*) from points where host is not null and device_used like 'cpu[%'") == 12 ]] || fail "host and device on every point"
    [[ $(q "$work/r.db" "select count(*) from hosts") == 1 ]] || fail "host environment"
    "$bin" export "$work/r.db" --format csv --out "$work/r.csv"
    [[ $(wc -l < "$work/r.csv") == 13 ]] || fail "csv rows"
    "$bin" export "$work/r.db" --format jsonl | python3 -c "import sys,json; rows=[json.loads(l) for l in sys.stdin]; assert len(rows)==12 and all('latency_p99_ms' in r for r in rows)"
    # A sweep stores no study: --studies says so in one line and exits 3 (not found).
    rc=0; "$bin" export "$work/r.db" --studies 2> "$work/err" || rc=$?
    [[ $rc == 3 ]] && grep -q -- "--studies: no study in $work/r.db" "$work/err" || fail "export --studies: rc $rc, $(cat "$work/err")"
    # A second run of the same plan, then compare the two runs point by point.
    "$bin" sweep "$plans/fake-plan.yaml" --db "$work/r.db" --set measure.repeat=2 >/dev/null 2>&1 || true
    "$bin" sweep "$plans/fake-plan.yaml" --db "$work/r.db" --set measure.repeat=2
    out=$("$bin" compare "$work/r.db" --baseline 2 --candidate 3)
    echo "$out" | tail -1
    echo "$out" | tail -1 | grep -q "12 matched points" || fail "compare"
    echo "$out" | tail -1 | grep -q "moved beyond their 95% intervals" || fail "compare: moved count"
    # The same plan run into another database: compared across the two files.
    "$bin" sweep "$plans/fake-plan.yaml" --db "$work/r2.db" >/dev/null
    out=$("$bin" compare "$work/r.db" --baseline 1 --candidate 1 --candidate-db "$work/r2.db")
    echo "$out" | tail -1 | grep -q "12 matched points" || fail "compare --candidate-db: $out"
    ;;
  retry_failed)
    # Points stored as failed (here marked so by hand, as a dead MPI rank's are) are measured
    # again into the same run by --resume --retry-failed; the ok points are not.
    "$bin" sweep "$plans/fake-plan.yaml" --db "$work/f.db" --set measure.repeat=1 2>/dev/null
    ok_before=$(q "$work/f.db" "select finished_at from points where label like '%delay_ms=1 batch 1 offline'")
    q "$work/f.db" "update points set status='failed', error='MPI rank 1 (pid 1 on vm) died while running this load group' where label like '%delay_ms=3%'"
    [[ $(q "$work/f.db" "select count(*) from points where status='failed'") == 6 ]] || fail "6 marked failed"
    rc=0; "$bin" sweep "$plans/fake-plan.yaml" --db "$work/f.db" --retry-failed 2> "$work/err" || rc=$?
    [[ $rc == 2 ]] && grep -q -- "--retry-failed re-measures the failed points of a run: give --resume" "$work/err" ||
      fail "--retry-failed without --resume: rc $rc, $(cat "$work/err")"
    "$bin" sweep "$plans/fake-plan.yaml" --db "$work/f.db" --set measure.repeat=1 --resume --retry-failed 2> "$work/err"
    grep -q "6 failed point(s) of run 1 forgotten" "$work/err" || fail "retry message: $(cat "$work/err")"
    [[ $(q "$work/f.db" "select count(*) from points where status='ok'") == 12 ]] || fail "12 ok after the retry"
    [[ $(q "$work/f.db" "select count(*) from points") == 12 ]] || fail "no duplicate rows"
    [[ $(q "$work/f.db" "select count(*) from metrics") == 12 ]] || fail "no duplicate metrics"
    [[ $(q "$work/f.db" "select count(*) from repeats") == 12 ]] || fail "no duplicate repeats"
    [[ $(q "$work/f.db" "select count(*) from runs") == 1 ]] || fail "the same run"
    [[ $(q "$work/f.db" "select finished_at from points where label like '%delay_ms=1 batch 1 offline'") == "$ok_before" ]] ||
      fail "an ok point was measured again"
    ;;
  kill9_resume)
    # A slower plan; kill the whole sweep with SIGKILL once a few points are stored, then resume.
    # In its own process group, so that kill -9 reaches the sweep and its worker and nothing else
    # (other tests may run sweeps in parallel).
    setsid "$bin" sweep "$plans/fake-plan.yaml" --db "$work/k.db" --set measure.min_duration_s=0.6 &
    pid=$!
    for _ in $(seq 1 300); do
      n=$(q "$work/k.db" "select count(*) from points" 2>/dev/null || echo 0)
      [[ "$n" -ge 3 ]] && break
      sleep 0.1
    done
    kill -9 -- "-$pid"; wait "$pid" || true
    before=$(q "$work/k.db" "select count(*) from points")
    echo "stored before kill -9: $before of 12"
    [[ "$before" -ge 3 && "$before" -lt 12 ]] || fail "kill happened too late or too early ($before)"
    "$bin" sweep "$plans/fake-plan.yaml" --db "$work/k.db" --set measure.min_duration_s=0.6 --resume
    [[ $(q "$work/k.db" "select count(*) from points") == 12 ]] || fail "12 points after resume"
    [[ $(q "$work/k.db" "select count(distinct point_id) from points") == 12 ]] || fail "duplicates"
    [[ $(q "$work/k.db" "select count(*) from runs") == 1 ]] || fail "resume must continue the same run"
    [[ $(q "$work/k.db" "select count(*) from points where status='ok'") == 12 ]] || fail "all ok"
    ;;
  faults)
    start=$(date +%s)
    "$bin" sweep "$plans/faulty-plan.yaml" --db "$work/f.db"
    q "$work/f.db" "select label, status, error_phase, error from points" | cut -c1-150
    [[ $(q "$work/f.db" "select count(*) from points") == 12 ]] || fail "every point recorded"
    [[ $(q "$work/f.db" "select count(*) from points where label like '%fault_at_batch=0%' and status='ok'") == 6 ]] || fail "healthy points"
    [[ $(q "$work/f.db" "select count(*) from points where label like '%fault=throw fault_at_batch=8 batch 2%' and status='failed' and error_phase='measure'") == 1 ]] || fail "exception mid-run"
    [[ $(q "$work/f.db" "select count(*) from points where label like '%fault=throw fault_at_batch=8 batch 8%' and status='ok'") == 1 ]] || fail "sweep goes on in the group after an exception"
    [[ $(q "$work/f.db" "select count(*) from points where label like '%fault=abort fault_at_batch=8%' and error like 'crashed with signal 6%'") == 2 ]] || fail "abort recorded"
    [[ $(q "$work/f.db" "select count(*) from points where label like '%fault=abort fault_at_batch=8 batch 2%' and error_phase='measure'") == 1 ]] || fail "crash phase"
    [[ $(q "$work/f.db" "select count(*) from points where label like '%fault=hang fault_at_batch=8%' and error like 'timeout%'") == 2 ]] || fail "timeout recorded"
    [[ $(q "$work/f.db" "select count(*) from failures") == 5 ]] || fail "failures table"
    (( $(date +%s) - start < 60 )) || fail "took too long"
    ;;
  peers_table)
    # bench/gpu_peers.py --infbench-csv --no-measure: infbench's column is the fastest ok offline
    # point of the sweep's export per (model, framework, precision, batch) - not a single-stream
    # one, not a slower setting, not one outside its accuracy gate - and a ratio against fewer peers
    # than the table has says so.
    "$bin" sweep "$plans/fake-plan.yaml" --db "$work/r.db" --set 'batch_sizes=[1, 4]'
    "$bin" export "$work/r.db" --format csv --out "$work/r.csv"
    # A faster point that failed its accuracy gate (as the harness words it) must not be chosen.
    python3 - "$work/r.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
bad = dict(next(r for r in rows if r["batch_size"] == "4" and r["scenario"] == "offline"))
bad.update(point_id="gatefail", accuracy_gate="fail: cosine 0.5 outside >= 0.999",
           throughput_samples_per_s="999999")
with open(sys.argv[1], "a", newline="") as f:
    csv.DictWriter(f, fieldnames=list(rows[0])).writerow(bad)
PY
    mkdir -p "$work/peers"
    echo '{"status": "ok", "samples_per_s_rounds": [90, 100, 110], "kind": "peer", "model": "fake", "precision": "fp32", "batch_size": 4, "who": "eager"}' > "$work/peers/raw.jsonl"
    python3 "$src/bench/gpu_peers.py" --no-measure --device -1 --models fake --batch-sizes 1,4 \
      --precisions fp32 --peers eager,jax --frameworks fake --infbench "$bin" \
      --infbench-csv "$work/r.csv" --out "$work/peers" > "$work/peers.out"
    python3 - "$work/r.db" "$work/peers/peers.csv" <<'PY'
import csv, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = {int(r["batch_size"]): r for r in csv.DictReader(open(sys.argv[2]))}
assert sorted(rows) == [1, 4], rows
for batch, row in rows.items():
    best, = db.execute("select max(m.m_throughput_samples_per_s) from points p join metrics m using "
                       "(run_id, point_id) where p.batch_size=? and p.scenario='offline' and "
                       "p.status='ok'", (batch,)).fetchone()
    shown = float(row["infbench fake"].split(" ")[0])
    assert abs(shown - round(best)) <= 1, (batch, shown, best)
assert rows[4]["eager"].startswith("100 [90..110]"), rows[4]
assert rows[4]["ratio_infbench_over_best_peer"].endswith("(not measured: jax)"), rows[4]
assert rows[1]["ratio_infbench_over_best_peer"] == "", rows[1]  # no peer measured at batch 1
raw = open(sys.argv[2].replace("peers.csv", "raw.jsonl")).read().splitlines()
assert len(raw) == 1, "the sweep's points are read afresh, never logged as measurements"
print("peers table ok:", {b: r["infbench fake"] for b, r in rows.items()})
PY
    ;;
  markdown)
    # `report --markdown`: one section per run, one table row per stored point, figures as stored
    # (rounded as the table rounds them), failures with their phase, cells that never split.
    "$bin" sweep "$plans/fake-plan.yaml" --db "$work/r.db" 2> "$work/sweep.err"
    grep -q "^sweep: idle power of cpu: " "$work/sweep.err" || fail "idle baseline once in the parent: $(cat "$work/sweep.err")"
    [[ ! -e "$work/r.db.peaks.json" ]] || fail "peak cache left behind"
    "$bin" sweep "$plans/faulty-plan.yaml" --db "$work/r.db" --set timeout_s=2
    "$bin" report --markdown "$work/r.db" > "$work/r.md"
    head -12 "$work/r.md"
    python3 - "$work/r.db" "$work/r.md" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
md = open(sys.argv[2]).read().splitlines()
def rate(v):
    if v is None: return "-"
    return f"{v:,.0f}" if v >= 100 else (f"{v:.1f}" if v >= 10 else f"{v:.2f}")
sections = [i for i, l in enumerate(md) if l.startswith("### Run ")]
runs = [r for (r,) in db.execute("select distinct run_id from points order by run_id")]
assert len(sections) == len(runs) == 2, (sections, runs)
for run, start in zip(runs, sections):
    end = next((i for i in sections if i > start), len(md))
    first = next(i for i in range(start, end) if md[i].startswith("|"))
    last = next((i for i in range(first, end) if not md[i].startswith("|")), end)
    table = md[first:last]  # the points table; the winners table follows it
    header, rows = table[0], table[2:]
    cells = lambda l: [c.strip() for c in l.replace("\\|", "").strip("|").split("|")]
    names = cells(header)
    assert all(len(cells(r)) == len(names) for r in rows), "a cell split its row"
    n, ok = db.execute("select count(*), sum(status='ok') from points where run_id=?", (run,)).fetchone()
    assert len(rows) == n, (run, len(rows), n)
    assert f"{n} points ({ok} ok)" in md[start], md[start]
    col = names.index("samples/s")
    stored = sorted(rate(v) for (v,) in db.execute(
        "select m_throughput_samples_per_s from metrics where run_id=?", (run,)))
    assert sorted(cells(r)[col] for r in rows) == stored, "throughputs differ from the database"
    commits = {c for (c,) in db.execute("select distinct m_commit from metrics where run_id=? and m_commit != ''", (run,))}
    assert all(f"Commit: {c}" in md[start + 2] or c in md[start + 2] for c in commits), md[start + 2]
    failed = [r for r in rows if cells(r)[-1].startswith("failed")]
    assert len(failed) == n - ok, (len(failed), n, ok)
    # Points whose worker died (no record) still show the plan's framework and batch size.
    fw, b = names.index("framework"), names.index("batch")
    planned = sorted((f, str(s)) for f, s in db.execute(
        "select framework, batch_size from points where run_id=?", (run,)))
    assert sorted((cells(r)[fw], cells(r)[b]) for r in rows) == planned, "framework/batch of a failed point"
assert any("failed: measure:" in l for l in md), "failure phase"
print("markdown matches the database:", len(runs), "runs")
PY
    ;;
  report)
    "$bin" sweep "$plans/fake-plan.yaml" --db "$work/r.db"
    "$bin" sweep "$plans/faulty-plan.yaml" --db "$work/r.db" --set timeout_s=2
    "$bin" report "$work/r.db" --out "$work/report"
    flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
           --disable-component-update --disable-sync --user-data-dir="$work/chrome" --window-size=1280,2400)
    chromium "${flags[@]}" --virtual-time-budget=5000 --dump-dom "file://$work/report/index.html" > "$work/dom.html" 2>"$work/chrome.log"
    rendered=$(grep -o 'data-charts-rendered="[0-9]*"' "$work/dom.html" | grep -o '[0-9]*' || echo 0)
    errors=$(grep -o 'data-errors="[^"]*"' "$work/dom.html" || true)
    echo "charts rendered: $rendered; $errors"
    [[ "$rendered" -ge 5 ]] || fail "expected >= 5 charts (energy needs a power probe), got $rendered"
    [[ "$errors" == 'data-errors=""' ]] || fail "page errors: $errors"
    [[ $(grep -o 'data-rendered="1"' "$work/dom.html" | wc -l) -ge 5 ]] || fail "chart boxes"
    grep -q "Failed points (" "$work/dom.html" || fail "failed points table"
    grep -qi "uncaught" "$work/chrome.log" && fail "console errors: $(grep -i uncaught "$work/chrome.log")"
    mkdir -p "$4/artifacts"
    chromium "${flags[@]}" --virtual-time-budget=5000 --screenshot="$4/artifacts/report.png" "file://$work/report/index.html" 2>/dev/null
    [[ -s "$4/artifacts/report.png" ]] || fail "screenshot"
    echo "screenshot: $4/artifacts/report.png"
    ;;
  bad_plans)
    printf 'name: x\nmodels: [fake]\nframeworks: {fake: {}}\nbatch_sizes: [1, zero]\n' > "$work/p1.yaml"
    "$bin" sweep "$work/p1.yaml" --dry-run 2>"$work/e1" && fail "accepted a bad batch size"
    grep -q "p1.yaml:4: batch_sizes: 'zero' is not an integer >= 1" "$work/e1" || fail "$(cat "$work/e1")"
    printf 'name: x\nmodels: [fake]\nframework: {fake: {}}\nbatch_sizes: [1]\n' > "$work/p2.yaml"
    "$bin" sweep "$work/p2.yaml" --dry-run 2>"$work/e2" && fail "accepted an unknown field"
    grep -q "p2.yaml:3: framework: unknown field" "$work/e2" || fail "$(cat "$work/e2")"
    printf 'name: x\nmodels: [nosuchmodel]\nframeworks: {onnxruntime: {}}\nbatch_sizes: [1]\n' > "$work/p3.yaml"
    "$bin" sweep "$work/p3.yaml" --dry-run 2>"$work/e3" && fail "accepted a missing model"
    grep -q "models: 'nosuchmodel' has no onnxruntime file" "$work/e3" || fail "$(cat "$work/e3")"
    printf 'name: x\nmodels: [fake\n' > "$work/p4.yaml"
    "$bin" sweep "$work/p4.yaml" --dry-run 2>"$work/e4" && fail "accepted broken YAML"
    grep -q "p4.yaml:.*YAML error" "$work/e4" || fail "$(cat "$work/e4")"
    cat "$work"/e1 "$work"/e2 "$work"/e3 "$work"/e4
    ;;
  mpi_same_rows)
    # The same plan in one process and over 3 MPI ranks: same points, same rows up to timing.
    "$bin" sweep "$plans/fake-plan.yaml" --db "$work/single.db" 2>/dev/null
    mpi sweep "$plans/fake-plan.yaml" --db "$work/mpi.db"
    python3 "$plans/compare_runs.py" "$work/single.db" "$work/mpi.db" || fail "rows differ"
    [[ $(q "$work/mpi.db" "select count(distinct host) from points where host is not null") == 1 ]] || fail "host on every point"
    [[ $(q "$work/mpi.db" "select count(distinct device_used) from points") == 2 ]] || fail "two worker ranks, two core sets"
    [[ $(q "$work/mpi.db" "select count(*) from hosts where environment_json like '%mpi_worker_ranks%'") == 1 ]] || fail "per-host environment"
    ;;
  mpi_faults)
    # Crashes, exceptions and timeouts inside a rank's forked worker: the same failed rows, with
    # the same reasons and phases, as in one process; the rank goes on.
    # Without the hanging group (a timeout is the same code in a rank, and sweep.faults checks it),
    # so that no healthy group can reach timeout_s on a busy machine and the check stays short.
    skip_hang=(--set 'exclude=[{fault: hang, fault_at_batch: 8}]' --set timeout_s=30)
    "$bin" sweep "$plans/faulty-plan.yaml" --db "$work/single.db" "${skip_hang[@]}" 2>/dev/null
    mpi sweep "$plans/faulty-plan.yaml" --db "$work/mpi.db" "${skip_hang[@]}"
    python3 "$plans/compare_runs.py" "$work/single.db" "$work/mpi.db" || fail "rows differ"
    [[ $(q "$work/mpi.db" "select count(*) from points") == 10 ]] || fail "every point recorded"
    [[ $(q "$work/mpi.db" "select count(*) from points where status='ok'") == 7 ]] || fail "ok points"
    [[ $(q "$work/mpi.db" "select count(*) from points where error like 'crashed with signal 6%'") == 2 ]] || fail "crash in a rank's worker"
    ;;
  mpi_rank_death)
    # A worker rank killed with SIGKILL mid-group: that group's points fail with the reason, the
    # other rank runs everything else, and the job ends normally (mpirun --enable-recovery).
    mpi sweep "$plans/mpi-death-plan.yaml" --db "$work/d.db"
    q "$work/d.db" "select label, status, error_phase, error from points" | cut -c1-160
    [[ $(q "$work/d.db" "select count(*) from points") == 8 ]] || fail "every point recorded"
    [[ $(q "$work/d.db" "select count(*) from points where status='ok'") == 6 ]] || fail "healthy groups ok"
    [[ $(q "$work/d.db" "select count(*) from points where label like '%fault_at_batch=3%' and status='failed' and error like 'MPI rank % died while running this load group'") == 2 ]] || fail "dead rank's points failed with the reason"
    [[ $(q "$work/d.db" "select count(*) from points where label like '%fault_at_batch=3 batch 1 %' and error_phase='measure'") == 1 ]] || fail "phase of the point in flight"
    [[ $(q "$work/d.db" "select status from runs") == complete ]] || fail "run complete"
    ;;
  mpi_resume)
    # A run started in one process (batch 1 only) is completed by --resume over MPI.
    "$bin" sweep "$plans/fake-plan.yaml" --db "$work/r.db" --set batch_sizes=[1] 2>/dev/null
    [[ $(q "$work/r.db" "select count(*) from points") == 4 ]] || fail "4 points first"
    mpi sweep "$plans/fake-plan.yaml" --db "$work/r.db" --resume
    [[ $(q "$work/r.db" "select count(*) from points") == 12 ]] || fail "12 points after resume"
    [[ $(q "$work/r.db" "select count(*) from runs") == 1 ]] || fail "resume continues the same run"
    [[ $(q "$work/r.db" "select count(*) from points where status='ok'") == 12 ]] || fail "all ok"
    ;;
  *) fail "unknown check $check" ;;
esac
echo "PASS $check"
