#!/usr/bin/env bash
# A one-node Slurm cluster on localhost from Debian 12's packages (munge, slurmctld, slurmd,
# slurm-client), private to one folder: its own munge key and socket, slurm.conf, ports, state,
# logs and pid files, so that it never touches /etc/slurm, /etc/munge or a system cluster.
#   local_cluster.sh start DIR   starts munged, slurmctld and slurmd; prints `export SLURM_CONF=...`
#   local_cluster.sh stop DIR    stops the three daemons (by their pid files) and removes DIR
# start exits 77 (CTest's skip code) with the reason when this machine cannot run Slurm: packages
# missing, not root, or a daemon that does not come up (a container may forbid what it needs; the
# daemons' logs are printed). INFBENCH_SLURM_REQUIRED=1 turns the last kind into a failure (exit 1).
set -euo pipefail

skip() { echo "SKIP: $*"; exit 77; }
cannot_start() {
  for log in "$dir"/log/*.log; do [[ -s "$log" ]] && { echo "--- $log"; tail -20 "$log"; }; done
  [[ "${INFBENCH_SLURM_REQUIRED:-0}" == 1 ]] && { echo "FAIL: $*"; exit 1; }
  skip "$* (logs above; INFBENCH_SLURM_REQUIRED=1 makes this a failure)"
}

# Stops the daemons of these pid files: SIGTERM to all at once (each takes 1-2 s to exit), then
# SIGKILL to those still there after 5 s.
stop_daemons() {
  local pids=() f pid
  for f in "$@"; do
    [[ -s "$f" ]] && pid=$(cat "$f") && kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
  done
  for _ in $(seq 1 50); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive -eq 0 ]] && return 0
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
}

# Two TCP ports nobody listens on (a system Slurm may hold 6817/6818).
free_ports() {
  python3 -c 'import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])'
}

start() {
  for tool in munged mungekey slurmctld slurmd srun sbatch scontrol; do
    command -v "$tool" >/dev/null ||
      skip "$tool not found (Debian packages munge slurmctld slurmd slurm-client, installed by scripts/setup.sh)"
  done
  # slurmd runs the job steps as their user, and munged must own its key: both need root here.
  [[ $(id -u) -eq 0 ]] || skip "a local Slurm cluster needs root (slurmd starts job steps as their user); running as $(id -un)"
  mkdir -p "$dir"/{log,state,spool,run}
  # munged wants its socket folder and every parent searchable by all (0711: not listable).
  chmod 0711 "$dir" "$dir/run"
  local plugins
  plugins=$(dirname "$(find /usr/lib -name select_linear.so -path '*slurm*' -print -quit)")
  [[ -f "$plugins/mpi_pmix.so" ]] || skip "Slurm's PMIx plugin (mpi_pmix.so) not found in $plugins"

  mungekey --create --keyfile="$dir/munge.key" --bits=1024 2>"$dir/log/mungekey.log" ||
    skip "mungekey could not create a key: $(cat "$dir/log/mungekey.log")"
  chmod 0400 "$dir/munge.key"
  munged --key-file="$dir/munge.key" --socket="$dir/run/munge.socket" \
    --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" \
    --seed-file="$dir/state/munged.seed" 2>>"$dir/log/munged.log" ||
    cannot_start "munged did not start"
  echo ok | munge --socket="$dir/run/munge.socket" | unmunge --socket="$dir/run/munge.socket" >/dev/null ||
    cannot_start "munge cannot encode and decode a credential through $dir/run/munge.socket"

  local ports cpus
  read -r -a ports <<<"$(free_ports)"
  cpus=$(nproc)
  # No cgroups anywhere: proctrack/linuxproc follows a step's processes through /proc, task/none
  # binds nothing (infbench pins its ranks itself), and no accounting or job-container plugin.
  cat >"$dir/slurm.conf" <<CONF
ClusterName=infbench-test
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=${ports[0]}
SlurmdPort=${ports[1]}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/run/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
PlugStackConfig=$dir/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=pmix
ReturnToService=2
KillWait=5
MailProg=/bin/true
# sbatch --wait polls at growing intervals (2 + 8 + 32 s) unless MinJobAge is small: with the
# default 300 it returned 42 s after submitting a 15 s job here, with 4 after 18 s.
MinJobAge=4
SlurmdTimeout=30
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
  : >"$dir/plugstack.conf"
  export SLURM_CONF="$dir/slurm.conf"
  slurmctld -i 2>>"$dir/log/slurmctld.log" || cannot_start "slurmctld did not start"
  slurmd -N localhost 2>>"$dir/log/slurmd.log" || cannot_start "slurmd did not start"
  local state=""
  for _ in $(seq 1 100); do
    state=$(sinfo -h -n localhost -o %T 2>/dev/null || true)
    [[ "$state" == idle ]] && break
    sleep 0.2
  done
  [[ "$state" == idle ]] || cannot_start "node localhost is '${state:-unknown}', not idle, after 20 s"
  echo "export SLURM_CONF=$dir/slurm.conf"
}

# The pids of what this cluster started and may have left: slurmstepd and job tasks, found by
# SLURM_CONF=<this cluster's file> in their environment (slurmd passes it to slurmstepd, srun to
# the tasks) and a job id (or being slurmstepd), so the shell that calls stop is never one of them.
leftovers() {
  local f p env
  for f in $(grep -lzx "SLURM_CONF=$dir/slurm.conf" /proc/[0-9]*/environ 2>/dev/null); do
    p=${f%/environ}
    env=$({ tr '\0' '\n' <"$f"; } 2>/dev/null) || continue
    if [[ "$(readlink "$p/exe" 2>/dev/null)" == */slurmstepd ]] || grep -q '^SLURM_JOB_ID=' <<<"$env"; then
      echo "${p#/proc/}"
    fi
  done
}

stop() {
  [[ -d "$dir" ]] || return 0
  export SLURM_CONF="$dir/slurm.conf"
  # Jobs first (while slurmctld and slurmd can still end them), then the daemons.
  if [[ -s "$dir/run/slurmctld.pid" ]] && scancel --full --quiet --user=root 2>/dev/null; then
    for _ in $(seq 1 100); do [[ -z "$(squeue -h 2>/dev/null)" ]] && break; sleep 0.1; done
  fi
  stop_daemons "$dir/run/slurmd.pid" "$dir/run/slurmctld.pid" "$dir/run/munged.pid"
  local pids
  pids=$(leftovers)
  if [[ -n "$pids" ]]; then
    echo "local_cluster: killing processes left by the cluster: $(echo $pids)"
    kill -KILL $pids 2>/dev/null || true
  fi
  rm -rf "$dir"
}

[[ $# -eq 2 ]] || { echo "usage: $0 start|stop DIR"; exit 2; }
dir="$2"
case "$1" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop DIR"; exit 2 ;;
esac
