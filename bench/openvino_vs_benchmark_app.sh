#!/usr/bin/env bash
# infbench's OpenVINO adapter against OpenVINO's own benchmark_app: the same model, hint, batch
# size, threads, precision and duration, run in turn (benchmark_app, then infbench, per round) so
# that drift on the machine hits both. Prints the throughput of each and the ratio
# infbench / benchmark_app per round and for the medians.
#
#   bench/openvino_vs_benchmark_app.sh [--model FILE] [--hint latency|throughput|cumulative_throughput]
#       [--batch N] [--duration S] [--rounds R] [--threads T] [--precision fp32|bf16]
#       [--streams N] [--infer-requests N] [--pinning on|off] [--scenario offline|...]
#       [--infbench PATH] [--benchmark-app PATH] [--keep DIR] [-- benchmark_app args...]
#
# Defaults: models/resnet18/resnet18.onnx, throughput, batch 1, 10 s, 3 rounds, threads = the CPUs
# this process may use, fp32. Both tools get the thread count, inference precision and (if given)
# streams and pinning as OpenVINO properties: benchmark_app refuses -nthreads/-nstreams/-pin next
# to -hint, so they go through its -load_config file; -infer_precision f32 is always passed because
# OpenVINO's CPU default is bf16 on CPUs that have it. benchmark_app's figure is its "Throughput:"
# line (batch x iterations / duration, samples per second); infbench's is the record's
# throughput_samples_per_s (offline scenario by default: batches back to back, as benchmark_app).
set -euo pipefail
cd "$(dirname "$0")/.."

model=models/resnet18/resnet18.onnx
hint=throughput
batch=1
duration=10
rounds=3
threads=$(nproc)
precision=fp32
streams=
infer_requests=
pinning=
scenario=offline
infbench=build/infbench
benchmark_app=.deps/venv/bin/benchmark_app
keep=
extra=()

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --model) model=$2; shift 2 ;;
    --hint) hint=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --precision) precision=$2; shift 2 ;;
    --streams) streams=$2; shift 2 ;;
    --infer-requests) infer_requests=$2; shift 2 ;;
    --pinning) pinning=$2; shift 2 ;;
    --scenario) scenario=$2; shift 2 ;;
    --infbench) infbench=$2; shift 2 ;;
    --benchmark-app) benchmark_app=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) usage 0 ;;
    *) echo "unknown argument '$1' (--help lists them)" >&2; exit 2 ;;
  esac
done

case "$hint" in latency|throughput|cumulative_throughput) ;; *)
  echo "--hint must be latency, throughput or cumulative_throughput" >&2; exit 2 ;; esac
case "$precision" in fp32) ov_precision=f32 ;; bf16) ov_precision=bf16 ;; *)
  echo "--precision must be fp32 or bf16" >&2; exit 2 ;; esac
case "$pinning" in ""|on|off) ;; *) echo "--pinning must be on or off" >&2; exit 2 ;; esac
for tool in "$infbench" "$benchmark_app"; do
  [[ -x "$tool" ]] || { echo "$tool not found or not executable (scripts/setup.sh builds both)" >&2; exit 1; }
done
[[ -e "$model" ]] || { echo "$model not found (tools/model_zoo.py builds the zoo)" >&2; exit 1; }
command -v jq >/dev/null || { echo "jq is needed to read infbench's JSON record" >&2; exit 1; }

work=${keep:-$(mktemp -d -t ov_vs_ba.XXXXXX)}
mkdir -p "$work"
if [[ -z "$keep" ]]; then trap 'rm -rf "$work"' EXIT; fi

# The same OpenVINO properties for both tools.
ba_config="$work/benchmark_app_config.json"
{
  printf '{"CPU": {"INFERENCE_NUM_THREADS": "%s"' "$threads"
  if [[ -n "$streams" ]]; then printf ', "NUM_STREAMS": "%s"' "$streams"; fi
  if [[ -n "$pinning" ]]; then
    printf ', "ENABLE_CPU_PINNING": "%s"' "$(if [[ $pinning == on ]]; then echo YES; else echo NO; fi)"
  fi
  printf '}}\n'
} >"$ba_config"
ba_args=(-m "$model" -d CPU -hint "$hint" -b "$batch" -t "$duration" -infer_precision "$ov_precision"
         -load_config "$ba_config")
if [[ -n "$infer_requests" ]]; then ba_args+=(-nireq "$infer_requests"); fi
ib_args=(bench --model "$model" --framework openvino --batch-size "$batch" --threads "$threads"
         --precision "$precision" --scenario "$scenario" --min-duration-s "$duration"
         --set "hint=$hint")
if [[ -n "$streams" ]]; then ib_args+=(--set "streams=$streams"); fi
if [[ -n "$infer_requests" ]]; then ib_args+=(--set "infer_requests=$infer_requests"); fi
if [[ -n "$pinning" ]]; then ib_args+=(--set "pinning=$pinning"); fi

echo "model $model, hint $hint, batch $batch, ${duration} s x $rounds rounds, threads $threads, $precision"
echo "benchmark_app ${ba_args[*]} ${extra[*]}"
echo "infbench      ${ib_args[*]}"

ba_fps=()
ib_fps=()
for ((round = 1; round <= rounds; round++)); do
  log="$work/benchmark_app_$round.log"
  if ! "$benchmark_app" "${ba_args[@]}" "${extra[@]}" >"$log" 2>&1; then
    echo "benchmark_app failed (round $round); its log ends:" >&2; tail -5 "$log" >&2; exit 1
  fi
  fps=$(sed -n 's/.*Throughput:[[:space:]]*\([0-9.]*\).*/\1/p' "$log" | tail -1)
  [[ -n "$fps" ]] || { echo "no 'Throughput:' line in $log" >&2; exit 1; }
  ba_fps+=("$fps")
  if [[ $round == 1 ]]; then
    ba_settings=$(grep -E '^\[ INFO \]   (NUM_STREAMS|OPTIMAL_NUMBER_OF_INFER_REQUESTS|INFERENCE_NUM_THREADS|INFERENCE_PRECISION_HINT|ENABLE_CPU_PINNING):' "$log" |
                  sed 's/^\[ INFO \]   //' | tr '\n' ' ' || true)
    ba_nireq=$(sed -n 's/.*Measuring performance.*, \([0-9][0-9]*\) inference requests.*/\1/p' "$log" | head -1)
  fi

  json="$work/infbench_$round.json"
  if ! "$infbench" "${ib_args[@]}" --json "$json" >"$work/infbench_$round.log" 2>&1; then
    echo "infbench failed (round $round); its output ends:" >&2; tail -5 "$work/infbench_$round.log" >&2
    exit 1
  fi
  status=$(jq -r '.record.status' "$json")
  if [[ "$status" != ok ]]; then
    echo "infbench round $round: status '$status': $(jq -r '.record.error // empty' "$json")" >&2
    exit 1
  fi
  ib_fps+=("$(jq -r '.record.throughput_samples_per_s' "$json")")
  if [[ $round == 1 ]]; then
    ib_settings=$(jq -r '.record.effective_settings' "$json" | tr ';' '\n' |
                  grep -E '^(threads|hint|streams|infer_requests|inference_precision|pinning)=' |
                  tr '\n' ' ' || true)
  fi
done

echo
echo "benchmark_app compiled: ${ba_settings:-?}${ba_nireq:+ requests in flight: $ba_nireq}"
echo "infbench effective:     ${ib_settings:-?}"
echo
awk -v ba="${ba_fps[*]}" -v ib="${ib_fps[*]}" 'BEGIN {
  n = split(ba, b, " "); split(ib, f, " ");
  printf "%-7s %22s %22s %18s\n", "round", "benchmark_app (FPS)", "infbench (samples/s)", "infbench/ba";
  for (i = 1; i <= n; i++) printf "%-7d %22.2f %22.2f %18.3f\n", i, b[i], f[i], f[i] / b[i];
  # medians
  for (i = 1; i <= n; i++) { sb[i] = b[i]; sf[i] = f[i]; }
  for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) {
    if (sb[j] < sb[i]) { t = sb[i]; sb[i] = sb[j]; sb[j] = t; }
    if (sf[j] < sf[i]) { t = sf[i]; sf[i] = sf[j]; sf[j] = t; }
  }
  mb = (n % 2) ? sb[(n + 1) / 2] : (sb[n / 2] + sb[n / 2 + 1]) / 2;
  mf = (n % 2) ? sf[(n + 1) / 2] : (sf[n / 2] + sf[n / 2 + 1]) / 2;
  printf "%-7s %22.2f %22.2f %18.3f\n", "median", mb, mf, mf / mb;
}'
if [[ -n "$keep" ]]; then echo "logs and records in $work"; fi
