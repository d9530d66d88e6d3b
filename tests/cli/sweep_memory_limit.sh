#!/usr/bin/env bash
# A point whose memory runs away cannot take the host down: the fake backend's alloc_mb=64 makes
# every batch keep 64 MiB more; with memory_limit_mib 300 the sweep kills its worker, records
# "out of memory: RSS N MiB above the limit 300 MiB" with the phase it was in, and goes on to the
# next load group, which measures normally.
# Usage: sweep_memory_limit.sh BIN WORK_DIR
set -euo pipefail
bin="$1"; work="$2/sweep_memory_limit"
rm -rf "$work"; mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }
cat > "$work/plan.yaml" <<'YAML'
name: memory-limit
models: [fake]
frameworks:
  fake:
    alloc_mb: [64, 0]
    delay_ms: [100]
batch_sizes: [1]
measure: {min_duration_s: 2, min_queries: 5, warmup_s: 0, warmup_queries: 1, repeat: 1, idle_power_s: 0}
memory_limit_mib: 300
timeout_s: 60
YAML
start=$(date +%s)
"$bin" sweep "$work/plan.yaml" --db "$work/r.db" 2>"$work/sweep.log" || fail "sweep exit $?: $(tail -3 "$work/sweep.log")"
echo "sweep took $(( $(date +%s) - start )) s"
sqlite3 "$work/r.db" "select label, status, error_phase, error from points"
[[ $(sqlite3 "$work/r.db" "select count(*) from points where label like '%alloc_mb=64%' and status='failed'
     and error like 'out of memory: RSS % MiB above the limit 300 MiB' and error_phase in ('warmup', 'measure')") == 1 ]] \
  || fail "the runaway point is not recorded as out of memory with its phase"
rss=$(sqlite3 "$work/r.db" "select error from points where label like '%alloc_mb=64%'" | grep -o 'RSS [0-9]*' | grep -o '[0-9]*')
(( rss > 300 && rss < 500 )) || fail "killed at RSS $rss MiB, expected 300..500 (64 MiB per 100 ms batch, checked every 100 ms)"
[[ $(sqlite3 "$work/r.db" "select count(*) from points where label like '%alloc_mb=0%' and status='ok'") == 1 ]] \
  || fail "the sweep did not go on to the next point"
echo "ok: killed at RSS $rss MiB, the next point measured"
