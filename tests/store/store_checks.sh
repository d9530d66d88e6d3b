#!/usr/bin/env bash
# The results database under hostile input and hostile conditions, through the `infbench` binary:
# files of another schema or a newer version refused untouched; export, report and compare
# read-only; two sweeps at once; a full disk and a read-only remount mid-sweep, then --resume.
# Usage: store_checks.sh CHECK BIN SRC_DIR WORK_DIR. Exit 77 (skip) where a check needs root's mount.
set -euo pipefail
check="$1"; bin="$2"; src="$3"; work="$4/store-$1"
plan="$src/tests/sweep/fake-plan.yaml"
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
q() { sqlite3 "$1" "$2"; }
digest() { sha256sum "$1" | cut -d' ' -f1; }
cleanup() { if mountpoint -q "$work/mnt" 2>/dev/null; then umount "$work/mnt"; fi; }
trap cleanup EXIT
cleanup
chmod -R u+w "$work" 2>/dev/null || true
rm -rf "$work"; mkdir -p "$work/log"
log="$work/log"  # the commands' output, apart from the databases' folders

# expect RC MESSAGE CMD...: the command fails with exit code RC and exactly one stderr line,
# "infbench: error: MESSAGE".
expect() {
  local rc_want="$1" message="$2"; shift 2
  local rc=0
  "$@" > "$log/stdout" 2> "$log/stderr" || rc=$?
  [[ $rc == "$rc_want" ]] || fail "$*: exit $rc, want $rc_want; stderr: $(cat "$log/stderr")"
  [[ $(wc -l < "$log/stderr") == 1 ]] || fail "$*: want one line, got: $(cat "$log/stderr")"
  [[ $(cat "$log/stderr") == "infbench: error: $message" ]] ||
    fail "$*: message: $(cat "$log/stderr") (want: $message)"
}

# Every command that opens a database, on FILE: each refused with exit 2 and MESSAGE; FILE and its
# folder unchanged (the same bytes, no side file or lock file beside it).
refused_everywhere() {
  local file="$1" message="$2" before listing
  before=$(digest "$file"); listing=$(ls -a "$(dirname "$file")")
  expect 2 "$message" "$bin" sweep "$plan" --db "$file"
  expect 2 "$message" "$bin" sweep "$plan" --db "$file" --resume
  expect 2 "$message" "$bin" export "$file"
  expect 2 "$message" "$bin" report "$file" --out "$work/report"
  expect 2 "$message" "$bin" compare "$file" --baseline 1 --candidate 1
  [[ $(digest "$file") == "$before" ]] || fail "$file was modified"
  [[ $(ls -a "$(dirname "$file")") == "$listing" ]] || fail "files appeared beside $file: $(ls -a "$(dirname "$file")")"
  [[ ! -e "$work/report" ]] || fail "report wrote output for a refused database"
  echo "refused untouched: $message"
}

# A tmpfs of size $1 on $work/mnt (unmounted on exit).
mounted() {
  [[ $(id -u) == 0 ]] || skip "needs root to mount a small tmpfs (mount -t tmpfs)"
  mkdir -p "$work/mnt"
  mount -t tmpfs -o "size=$1" tmpfs "$work/mnt" 2>"$work/mount.err" ||
    skip "mount -t tmpfs not permitted here: $(cat "$work/mount.err")"
}

# After a failure on disk: the database is intact, keeps what it committed, and --resume ends the
# run with every point stored once.
intact_then_resume() {
  local db="$1"; shift
  [[ $(q "$db" "pragma integrity_check") == ok ]] || fail "integrity_check: $(q "$db" "pragma integrity_check")"
  local kept; kept=$(q "$db" "select count(*) from points")
  echo "points kept after the failure: $kept of 12"
  "$bin" sweep "$plan" --db "$db" --resume "$@"
  [[ $(q "$db" "pragma integrity_check") == ok ]] || fail "integrity_check after --resume"
  [[ $(q "$db" "select count(*) from points") == 12 ]] || fail "12 points after --resume"
  [[ $(q "$db" "select count(distinct point_id) from points") == 12 ]] || fail "duplicates"
  [[ $(q "$db" "select count(*) from runs") == 1 ]] || fail "resume must continue the same run"
  [[ $(q "$db" "select status from runs") == complete ]] || fail "run not complete"
  [[ $(q "$db" "select count(*) from points where status = 'ok'") == 12 ]] || fail "all ok"
}

case "$check" in
  foreign_files)
    printf 'name,value\nnot,sqlite\n' > "$work/notes.db"
    refused_everywhere "$work/notes.db" \
      "$work/notes.db: not an SQLite database; use an infbench results database, or a new file name to start one"
    sqlite3 "$work/other.db" "create table runs(id integer primary key, distance_km real); insert into runs values(1, 5.2)"
    refused_everywhere "$work/other.db" \
      "$work/other.db: not an infbench results database (it has tables runs but no meta); use an infbench results database, or a new file name to start one"
    sqlite3 "$work/meta.db" "create table meta(key text primary key, value text); insert into meta values('schema_version', '3'), ('created_by', 'someone-else')"
    refused_everywhere "$work/meta.db" \
      "$work/meta.db: not an infbench results database (meta.created_by is 'someone-else'); use an infbench results database, or a new file name to start one"
    ;;
  newer_schema)
    "$bin" sweep "$plan" --db "$work/new.db" 2>/dev/null
    q "$work/new.db" "update meta set value = '4' where key = 'schema_version'"
    refused_everywhere "$work/new.db" \
      "$work/new.db: database schema version 4 is newer than this infbench's (3); use the newer infbench that wrote it, or another database file"
    q "$work/new.db" "update meta set value = '1' where key = 'schema_version'"
    refused_everywhere "$work/new.db" \
      "$work/new.db: database schema version 1 is older than this infbench can read (2 to 3); use another database file"
    ;;
  read_only)
    # Export, report and compare open the file with SQLITE_OPEN_READONLY. Checked where writes
    # really fail: the file 0444 in a 0555 folder, read by an unprivileged user (root ignores
    # permissions, so as root the readers run as nobody through setpriv).
    mkdir -p "$work/ro"
    "$bin" sweep "$plan" --db "$work/ro/r.db" 2>/dev/null
    "$bin" sweep "$plan" --db "$work/ro/r.db" 2>/dev/null
    [[ $(ls "$work/ro") == $'r.db\nr.db.lock\nr.db.worker.log' ]] || fail "side files left by the sweep: $(ls "$work/ro")"
    before=$(digest "$work/ro/r.db")
    mkdir -p "$work/out"; chmod 0777 "$work/out"
    chmod 0444 "$work/ro/r.db"; chmod 0555 "$work/ro"
    as_reader=()
    if [[ $(id -u) == 0 ]]; then
      command -v setpriv >/dev/null || skip "running as root without setpriv (util-linux) to drop to nobody"
      as_reader=(setpriv --reuid=65534 --regid=65534 --clear-groups)
      chmod o+x "$work" "$4"
    fi
    # Writing must really fail for that user, or the check proves nothing.
    if "${as_reader[@]}" sh -c "echo x >> '$work/ro/r.db'" 2>/dev/null; then fail "the reader can write the file"; fi
    "${as_reader[@]}" "$bin" export "$work/ro/r.db" --format jsonl --out "$work/out/r.jsonl"
    [[ $(wc -l < "$work/out/r.jsonl") == 24 ]] || fail "export rows"
    "${as_reader[@]}" "$bin" report "$work/ro/r.db" --out "$work/out/report" > /dev/null
    [[ -s "$work/out/report/index.html" ]] || fail "report page"
    "${as_reader[@]}" "$bin" compare "$work/ro/r.db" --baseline 1 --candidate 2 | tail -1 | grep -q "12 matched points" || fail "compare"
    "${as_reader[@]}" "$bin" compare "$work/ro/r.db" --baseline 1 --candidate 2 --candidate-db "$work/ro/r.db" | tail -1 | grep -q "12 matched points" || fail "compare --candidate-db"
    # A writer is refused there in one line (exit 5), naming the file and the fix.
    rc=0; "${as_reader[@]}" "$bin" sweep "$plan" --db "$work/ro/r.db" --resume 2> "$log/stderr" || rc=$?
    [[ $rc == 5 ]] || fail "sweep on a read-only database: exit $rc: $(cat "$log/stderr")"
    grep -q "^infbench: error: $work/ro/r.db: attempt to write a readonly database; check that the file and its folder are writable" "$log/stderr" || fail "$(cat "$log/stderr")"
    cat "$log/stderr"
    chmod 0755 "$work/ro"; chmod 0644 "$work/ro/r.db"
    [[ $(digest "$work/ro/r.db") == "$before" ]] || fail "a reader modified the database"
    # In a writable folder too (readers may add WAL side files, never change the file itself).
    "$bin" export "$work/ro/r.db" --out "$work/out/again.csv" 2>/dev/null
    "$bin" report "$work/ro/r.db" --out "$work/out/report2" > /dev/null
    [[ $(digest "$work/ro/r.db") == "$before" ]] || fail "export or report modified the database"
    echo "export, report and compare read a 0444 file in a 0555 folder as $("${as_reader[@]}" id -un); bytes unchanged"
    ;;
  version_2)
    # A version 2 file (no hosts table, no points.host or device_used): read as it is by the
    # read-only commands, upgraded to 3 in place by the next writer.
    "$bin" sweep "$plan" --db "$work/v2.db" 2>/dev/null
    q "$work/v2.db" "drop table hosts; alter table points drop column host; alter table points drop column device_used;
                     update meta set value = '2' where key = 'schema_version'; pragma journal_mode=delete" > /dev/null
    before=$(digest "$work/v2.db")
    "$bin" export "$work/v2.db" --format jsonl > "$work/v2.jsonl"
    python3 -c "import sys,json; rows=[json.loads(l) for l in open(sys.argv[1])]; assert len(rows)==12 and all(r['host'] and r['device_used'] is None for r in rows), rows[0]" "$work/v2.jsonl" || fail "version 2 export"
    "$bin" report "$work/v2.db" --out "$work/v2-report" > /dev/null
    "$bin" compare "$work/v2.db" --baseline 1 --candidate 1 | tail -1 | grep -q "12 matched points" || fail "version 2 compare"
    [[ $(digest "$work/v2.db") == "$before" ]] || fail "a reader upgraded or modified the version 2 file"
    "$bin" sweep "$plan" --db "$work/v2.db" --resume 2>/dev/null
    [[ $(q "$work/v2.db" "select value from meta where key = 'schema_version'") == 3 ]] || fail "not upgraded"
    [[ $(q "$work/v2.db" "select count(*) from hosts") == 1 ]] || fail "hosts after the upgrade"
    [[ $(q "$work/v2.db" "select count(*) from points where host is null") == 12 ]] || fail "old points keep NULL host"
    echo "version 2: read untouched, upgraded by the next sweep"
    ;;
  two_sweeps)
    # Started together on a new file: one runs the plan, the other is refused at start.
    rc1=0; rc2=0
    "$bin" sweep "$plan" --db "$work/c.db" > /dev/null 2> "$work/e1" & p1=$!
    "$bin" sweep "$plan" --db "$work/c.db" > /dev/null 2> "$work/e2" & p2=$!
    wait $p1 || rc1=$?; wait $p2 || rc2=$?
    echo "exit codes: $rc1 $rc2"
    [[ "$rc1 $rc2" == "0 5" || "$rc1 $rc2" == "5 0" ]] || fail "want one 0 and one 5: $rc1 $rc2; $(cat "$work/e1" "$work/e2")"
    loser=$([[ $rc1 == 5 ]] && echo "$work/e1" || echo "$work/e2")
    grep -Eq "^infbench: error: $work/c.db: another sweep \(pid [0-9]+\) is writing this database; wait for it to end or give --db another file$" "$loser" || fail "message: $(cat "$loser")"
    cat "$loser"
    [[ $(q "$work/c.db" "select count(*) from runs") == 1 ]] || fail "the refused sweep started a run"
    [[ $(q "$work/c.db" "select count(*) from points") == 12 ]] || fail "points: $(q "$work/c.db" "select count(*) from points")"
    [[ $(q "$work/c.db" "select count(distinct point_id) from points") == 12 ]] || fail "duplicates"
    # A --resume while a sweep runs (the case that would run points twice): refused as well, and
    # the running sweep is not disturbed. A reader (export) meanwhile works.
    "$bin" sweep "$plan" --db "$work/c.db" --set measure.min_duration_s=0.3 > /dev/null 2> "$work/e3" & p3=$!
    for _ in $(seq 1 100); do [[ $(q "$work/c.db" "select count(*) from runs") == 2 ]] && break; sleep 0.1; done
    expect 5 "$work/c.db: another sweep (pid $p3) is writing this database; wait for it to end or give --db another file" \
      "$bin" sweep "$plan" --db "$work/c.db" --set measure.min_duration_s=0.3 --resume
    "$bin" export "$work/c.db" --format jsonl > "$work/during.jsonl"
    wait $p3 || fail "the first sweep failed: $(cat "$work/e3")"
    [[ $(q "$work/c.db" "select count(*) from points where run_id = 2") == 12 ]] || fail "run 2 points"
    [[ $(q "$work/c.db" "select count(distinct point_id) from points where run_id = 2") == 12 ]] || fail "run 2 duplicates"
    echo "export during the sweep: $(wc -l < "$work/during.jsonl") rows"
    ;;
  full_disk)
    # The database on a small tmpfs, filled up with a spare file, so that the sweep runs out of
    # space part way; then space is freed and --resume completes the run.
    mounted 2m
    db="$work/mnt/f.db"
    # Room for a few points: a complete run of this plan takes about 0.6 MB with its WAL.
    head -c $((2048 * 1024 - 300 * 1024)) /dev/zero > "$work/mnt/filler" 2>/dev/null || true
    echo "free before the sweep: $(df -k --output=avail "$work/mnt" | tail -1) KiB"
    rc=0; "$bin" sweep "$plan" --db "$db" 2> "$log/stderr" || rc=$?
    tail -1 "$log/stderr"
    [[ $rc == 5 ]] || fail "sweep on a full disk: exit $rc: $(cat "$log/stderr")"
    grep -q "^infbench: error: $db: .*full; free space on its disk, then continue the sweep with --resume$" "$log/stderr" || fail "message: $(tail -1 "$log/stderr")"
    # The sweep stopped its worker before exiting (none writes the worker log any more).
    for fd in /proc/[0-9]*/fd/1; do
      [[ $(readlink "$fd" 2>/dev/null) != "$db.worker.log" ]] || fail "a worker outlived the sweep: $fd"
    done
    kept=$(q "$db" "select count(*) from points")
    [[ $kept -ge 1 && $kept -lt 12 ]] || fail "the disk should fill part way through the run (kept $kept of 12)"
    rm "$work/mnt/filler"
    intact_then_resume "$db"
    ;;
  read_only_remount)
    # The disk turns read-only while a sweep's run is part done: the sweep is killed with kill -9
    # after a few points (the kernel refuses to remount a filesystem read-only while files on it
    # are open for writing, so it cannot turn read-only under the running sweep itself), the
    # tmpfs is remounted read-only, --resume is refused (exit 5, the file unchanged), then the
    # disk is writable again and --resume completes the run.
    mounted 64m
    db="$work/mnt/m.db"
    setsid "$bin" sweep "$plan" --db "$db" --set measure.min_duration_s=0.3 2> "$log/stderr" & pid=$!
    for _ in $(seq 1 300); do
      [[ $(q "$db" "select count(*) from points" 2>/dev/null || echo 0) -ge 3 ]] && break
      sleep 0.1
    done
    kill -9 -- "-$pid"; wait "$pid" || true
    for _ in $(seq 1 50); do mount -o remount,ro "$work/mnt" 2>/dev/null && break; sleep 0.1; done
    findmnt -no OPTIONS "$work/mnt" | grep -q '^ro' || fail "could not remount read-only"
    before=$(digest "$db")
    rc=0; "$bin" sweep "$plan" --db "$db" --set measure.min_duration_s=0.3 --resume 2> "$log/stderr" || rc=$?
    cat "$log/stderr"
    [[ $rc == 5 ]] || fail "--resume on a read-only disk: exit $rc: $(cat "$log/stderr")"
    grep -q "^infbench: error: $db: .*; check that the file and its folder are writable and the disk has space and is mounted read-write, then continue the sweep with --resume$" "$log/stderr" || fail "message: $(tail -1 "$log/stderr")"
    [[ $(digest "$db") == "$before" ]] || fail "the database changed on a read-only disk"
    mount -o remount,rw "$work/mnt"
    intact_then_resume "$db" --set measure.min_duration_s=0.3
    ;;
  *) fail "unknown check $check" ;;
esac
echo "ok: $check"
