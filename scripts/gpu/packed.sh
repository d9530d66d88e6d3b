#!/usr/bin/env bash
# Run ON THE GPU MACHINE (the device tool): runs COMMAND with OUT pointing at a scratch folder, then
# packs that folder into one archive, $OUT/out.tgz, whatever COMMAND's exit. Why: the device tool
# returns at most 8 files from $OUT, and a call that leaves more loses the rest (session 12 lost a
# latency database that way); XLA's compile caches (*.cache, ~280 MB) are left out because a file
# over 16 MiB does not come back either. COMMAND runs under a wall-clock limit (SIGINT first, so a
# sweep stores its point in progress as interrupted) that leaves time to pack.
#
#   scripts/gpu/packed.sh [--limit-s 560] -- COMMAND [ARGS...]
#   scripts/gpu/packed.sh -- bash -c 'OUT=$OUT/lat scripts/gpu/run_checks_gpu.sh --steps latency;
#                                     OUT=$OUT/ho scripts/gpu/run_harness_overhead_gpu.sh'
# Here: mkdir x && tar xzf /work/.device/N/out.tgz -C x
set -uo pipefail
LIMIT_S=560
while [[ $# -gt 0 ]]; do
  case "$1" in
    --limit-s) LIMIT_S="$2"; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "packed.sh: unknown argument '$1' (try --help; the command goes after --)" >&2; exit 2 ;;
  esac
  shift
done
[[ $# -gt 0 ]] || { echo "packed.sh: no command given after --" >&2; exit 2; }
[[ -n ${OUT:-} ]] || { echo "packed.sh: OUT is not set (the device tool sets it)" >&2; exit 2; }
ARCHIVE_DIR=$OUT
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/infbench-out.XXXXXX")
OUT=$SCRATCH timeout -s INT -k 20 "$LIMIT_S" "$@"
rc=$?
tar czf "$ARCHIVE_DIR/out.tgz" --exclude='*.cache' -C "$SCRATCH" . ||
  { echo "packed.sh: packing $SCRATCH failed" >&2; exit 1; }
echo "packed.sh: command exit $rc; $(find "$SCRATCH" -type f ! -name '*.cache' | wc -l) files in $ARCHIVE_DIR/out.tgz ($(du -h "$ARCHIVE_DIR/out.tgz" | cut -f1))"
exit "$rc"
