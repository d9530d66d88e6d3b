#!/usr/bin/env bash
# Sweeps under Slurm for real: a one-node cluster on localhost (local_cluster.sh: munge, slurmctld,
# slurmd from Debian 12), `srun -n 3 --mpi=pmix` and `sbatch --wait` of scripts/slurm/sweep.sbatch.
# Usage: slurm_checks.sh CHECK BIN SRC_DIR WORK_DIR. Exit 77 (skip) with the reason when this
# machine cannot run Slurm. The cluster and its folder are removed on every exit, pass or fail.
set -euo pipefail
check="$1"; bin="$2"; src="$3"; work="$4/slurm-$1"
rm -rf "$work"; mkdir -p "$work"
plans="$src/tests/sweep"
q() { sqlite3 "$1" "$2"; }
fail() { echo "FAIL: $*"; exit 1; }
t0=$(date +%s%N)
mark() { local ds=$(( ($(date +%s%N) - t0) / 100000000 )); printf '[%3d.%d s] %s\n' $((ds / 10)) $((ds % 10)) "$*"; }

# A short path under /tmp: munged's socket path must fit in 108 bytes.
cluster=$(mktemp -d /tmp/infbench-slurm.XXXXXX)
trap '"$src/tests/slurm/local_cluster.sh" stop "$cluster"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'echo "FAIL: line $LINENO: \"$BASH_COMMAND\" exited $?"' ERR
rc=0; out=$("$src/tests/slurm/local_cluster.sh" start "$cluster") || rc=$?
echo "$out"
[[ $rc -eq 0 ]] || exit "$rc"
eval "$(echo "$out" | grep '^export SLURM_CONF=')"
mark "cluster up"

# Three tasks on a 2-core node: rank 0 only schedules (it sleeps between polls), so --overcommit
# is right here; the two worker ranks split the 2 cores (infbench refuses more workers than cores).
step=(--ntasks=3 --overcommit --mpi=pmix --kill-on-bad-exit=0)
# Each step (about 15 s here) has 90 s, so that the script ends, tearing the cluster down, before
# CTest's TIMEOUT would kill it.
run_srun() { timeout 90 srun "${step[@]}" "$@"; }

# Waits until DB has at least N points stored (30 s at most).
wait_points() {
  for _ in $(seq 1 300); do
    [[ $(q "$1" "select count(*) from points" 2>/dev/null || echo 0) -ge $2 ]] && return 0
    sleep 0.1
  done
  fail "fewer than $2 points in $1 after 30 s"
}

# The pid of global task R of job JOB's step 0, as slurmd lists it (`scontrol listpids`: PID
# JOBID STEPID LOCALID GLOBALID; the task's forked children have no task id there).
task_pid() {
  scontrol listpids "$1.0" localhost | awk -v r="$2" 'NR > 1 && $5 == r { print $1; exit }'
}

case "$check" in
  same_rows)
    # The same plan in one process, as one `srun -n 3` step and as the documented batch script
    # (sbatch --wait; options on its command line override its #SBATCH lines): the same point ids
    # and the same rows up to timing, each parallel run over two worker ranks on their own cores.
    "$bin" sweep "$plans/fake-plan.yaml" --db "$work/single.db" 2>/dev/null
    mark "one-process sweep done"
    run_srun "$bin" sweep "$plans/fake-plan.yaml" --db "$work/srun.db"
    mark "srun -n 3 sweep done"
    python3 "$plans/compare_runs.py" "$work/single.db" "$work/srun.db" || fail "srun: rows differ"
    [[ $(q "$work/srun.db" "select count(distinct device_used) from points") == 2 ]] || fail "srun: two worker ranks, two core sets"
    [[ $(q "$work/srun.db" "select count(*) from hosts where environment_json like '%mpi_worker_ranks%rank 1 cpu%' and environment_json like '%mpi_worker_ranks%rank 2 cpu%'") == 1 ]] ||
      fail "srun: per-host environment without both worker ranks"
    # Without an MPI plugin every task would run the whole plan: each refuses in one line.
    rc=0; timeout 60 srun --ntasks=3 --overcommit --mpi=none "$bin" sweep "$plans/fake-plan.yaml" \
      --db "$work/none.db" >"$work/none.log" 2>&1 || rc=$?
    [[ $rc -ne 0 && ! -e "$work/none.db" ]] || fail "srun --mpi=none: exit $rc, database written"
    [[ $(grep -c "srun started 3 tasks without an MPI plugin" "$work/none.log") == 3 ]] ||
      fail "srun --mpi=none: $(cat "$work/none.log")"
    mark "srun --mpi=none refused"
    (cd "$work" && INFBENCH="$bin" timeout 90 sbatch --wait --overcommit --output="$work/job-%j.out" \
      "$src/scripts/slurm/sweep.sbatch" "$plans/fake-plan.yaml" "$work/batch.db") ||
      { cat "$work"/job-*.out; fail "sbatch --wait failed"; }
    mark "sbatch --wait done"
    tail -1 "$work"/job-*.out
    python3 "$plans/compare_runs.py" "$work/single.db" "$work/batch.db" || fail "sbatch: rows differ"
    [[ $(q "$work/batch.db" "select count(distinct device_used) from points") == 2 ]] || fail "sbatch: two worker ranks"
    ;;
  cancel_kill_resume)
    # 1. scancel of the running step: Slurm sends SIGTERM, rank 0 marks the run interrupted and
    #    keeps the stored points. 2. A --resume step, and kill -9 of worker rank 2 during it: Slurm's
    #    PMIx plugin then ends the whole step with SIGKILL (its error handler calls
    #    slurm_kill_job_step), whatever --kill-on-bad-exit says; committed points are kept, with the
    #    dead rank's unfinished ones failed if rank 0 stored them in time. 3. A --resume step
    #    completes the run: every point once, one run.
    # Four load groups (24 points), so that worker rank 1 still has a group to run when rank 2
    # dies and Slurm ends the step: the last step then has points left to run.
    slow=(--set 'frameworks={fake: {delay_ms: [1, 2, 3, 4]}}' --set measure.min_duration_s=0.15)
    total=24
    db="$work/c.db"
    run_srun --job-name=infbench-scancel "$bin" sweep "$plans/fake-plan.yaml" --db "$db" "${slow[@]}" \
      >"$work/step1.log" 2>&1 &
    srun_pid=$!
    wait_points "$db" 2
    job=$(squeue -h -n infbench-scancel -o %i)
    [[ -n "$job" ]] || fail "no job named infbench-scancel in squeue"
    mark "scancel $job"
    scancel "$job"
    rc=0; wait "$srun_pid" || rc=$?
    mark "step ended (srun exit $rc)"
    tail -4 "$work/step1.log"
    [[ $rc -ne 0 ]] || fail "srun exited 0 after scancel"
    grep -q "CANCELLED" "$work/step1.log" || fail "Slurm did not report the step cancelled"
    after_cancel=$(q "$db" "select count(*) from points")
    echo "stored before scancel: $after_cancel of $total"
    [[ $after_cancel -ge 2 && $after_cancel -lt $((total - 4)) ]] || fail "scancel came too late ($after_cancel points)"
    [[ $(q "$db" "select status from runs") == interrupted ]] || fail "run not marked interrupted"
    [[ $(q "$db" "select count(*) from points where status != 'ok'") == 0 ]] || fail "scancel must not fail points"

    run_srun --job-name=infbench-kill "$bin" sweep "$plans/fake-plan.yaml" --db "$db" "${slow[@]}" --resume \
      >"$work/step2.log" 2>&1 &
    srun_pid=$!
    wait_points "$db" $((after_cancel + 2))
    pid=$(task_pid "$(squeue -h -n infbench-kill -o %i)" 2)
    [[ -n "$pid" ]] || fail "scontrol listpids shows no task 2 in job infbench-kill"
    mark "kill -9 of rank 2 (pid $pid)"
    kill -9 "$pid"
    rc=0; wait "$srun_pid" || rc=$?
    mark "step ended (srun exit $rc)"
    tail -5 "$work/step2.log"
    [[ $rc -ne 0 ]] || fail "srun exited 0 after a rank was killed"
    grep -q "CANCELLED" "$work/step2.log" || fail "Slurm did not end the step after the rank died"
    after_kill=$(q "$db" "select count(*) from points")
    failed=$(q "$db" "select count(*) from points where status='failed'")
    echo "stored before the step ended: $after_kill of $total ($failed failed: the dead rank's)"
    [[ $after_kill -lt $total ]] || fail "the kill came too late ($after_kill points)"
    [[ $(q "$db" "select count(*) from points where status='failed' and error not like 'MPI rank 2 (pid $pid on %) died while running this load group'") == 0 ]] ||
      fail "failed points without the dead rank's reason"

    run_srun "$bin" sweep "$plans/fake-plan.yaml" --db "$db" "${slow[@]}" --resume
    mark "--resume step done"
    [[ $(q "$db" "select count(*) from points") == "$total" ]] || fail "$total points after --resume, got $(q "$db" "select count(*) from points")"
    [[ $(q "$db" "select count(distinct point_id) from points") == "$total" ]] || fail "a point stored twice"
    [[ $(q "$db" "select count(*) from runs") == 1 ]] || fail "--resume must continue the same run"
    [[ $(q "$db" "select status from runs") == complete ]] || fail "run not complete after --resume"
    [[ $(q "$db" "select count(*) from points where status='ok'") == $((total - failed)) ]] || fail "points run by --resume not ok"
    ;;
  *) fail "unknown check $check" ;;
esac
mark "PASS $check"
