#!/usr/bin/env bash
# Runs the libFuzzer targets (fuzz/, docs/hardening.md) for a number of executions each, from
# their seed corpora, and prints per target: executions, seconds, executions/s, corpus size (the
# inputs libFuzzer kept: entries/bytes) and crashes (crash, leak, timeout or out-of-memory inputs,
# written under WORK/<target>/artifacts/; libFuzzer stops a target at its first one).
# Usage: bench/fuzz.sh [--runs N] [--jobs J] [--build DIR] [--work DIR] [TARGET...]
#   N: executions per target (default 1000000); J: targets run at once (default 1);
#   DIR: a build configured with INFBENCH_BUILD_FUZZERS=ON (default build-asan);
#   TARGET: npy, onnx_signature, zoo_manifest, ensemble_spec, plan (default: all five).
# Exit status 1 when any target found something.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=1000000
jobs=1
build=build-asan  # scripts/test.sh's ASan+UBSan build holds the fuzz targets
work=""
targets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs="$2"; shift ;;
    --jobs) jobs="$2"; shift ;;
    --build) build="$2"; shift ;;
    --work) work="$2"; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
    *) targets+=("$1") ;;
  esac
  shift
done
[[ ${#targets[@]} -gt 0 ]] || targets=(npy onnx_signature zoo_manifest ensemble_spec plan)
work=${work:-$build/fuzz-work}
# Stack traces with lines (setup.sh installs llvm-16's symbolizer).
[[ -x /usr/lib/llvm-16/bin/llvm-symbolizer ]] && export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-16/bin/llvm-symbolizer
# The targets write each input to a scratch file (fuzz/scratch_file.hpp): keep it in memory.
[[ -d /dev/shm && -w /dev/shm ]] && export TMPDIR=/dev/shm

run_target() {
  local t="$1" bin="$build/fuzz/infbench_fuzz_$1" dir="$work/$1"
  if [[ ! -x "$bin" ]]; then
    echo "fuzz.sh: $bin not built: cmake -S . -B $build -DCMAKE_CXX_COMPILER=clang++-16" \
         "-DINFBENCH_SANITIZE=address,undefined -DINFBENCH_BUILD_FUZZERS=ON ... (docs/hardening.md)" >&2
    return 2
  fi
  rm -rf "$dir"; mkdir -p "$dir/corpus" "$dir/artifacts"
  local rc=0
  "$bin" -runs="$runs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$dir/artifacts/" "$dir/corpus" "fuzz/corpus/$t" > "$dir/log" 2>&1 || rc=$?
  echo "$rc" > "$dir/rc"
}

active=0
for t in "${targets[@]}"; do
  run_target "$t" &
  active=$((active + 1))
  if [[ $active -ge $jobs ]]; then wait -n || true; active=$((active - 1)); fi
done
wait || true

status=0
printf '%-15s %12s %9s %9s %16s %s\n' target executions seconds exec/s corpus crashes
for t in "${targets[@]}"; do
  dir="$work/$t"
  [[ -f "$dir/log" ]] || { printf '%-15s not run\n' "$t"; status=1; continue; }
  stat() { sed -n "s/^stat::$1: *//p" "$dir/log" | tail -1; }
  execs=$(stat number_of_executed_units)
  rate=$(stat average_exec_per_sec)
  seconds=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$dir/log" | tail -1)
  # Entries and bytes of the corpus at the end (the last status line's "corp: N/SIZE").
  corpus=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$dir/log" | tail -1 | sed 's/corp: //')
  found=$(find "$dir/artifacts" -type f | sort)
  crashes=$(printf '%s' "$found" | grep -c . || true)
  printf '%-15s %12s %9s %9s %16s %s\n' "$t" "${execs:-?}" "${seconds:-?}" "${rate:-?}" \
    "${corpus:-?}" "$crashes${found:+ ($(echo $found))}"
  if [[ "$(cat "$dir/rc")" != 0 || $crashes -gt 0 ]]; then
    status=1
    grep -m1 -A3 'ERROR: \|==ERROR\|runtime error\|deadly signal' "$dir/log" | sed "s/^/  $t: /" || true
  fi
done
echo "logs: $work/<target>/log"
exit $status
