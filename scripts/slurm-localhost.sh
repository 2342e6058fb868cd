#!/bin/sh
# A single-node Slurm cluster on this machine, for `xpusim sweep --backend slurm` and its test.
#
#   scripts/slurm-localhost.sh install        apt-get install slurm-wlm and munge when missing
#   scripts/slurm-localhost.sh start DIR      write DIR/slurm.conf, start munged, slurmctld, slurmd
#   scripts/slurm-localhost.sh stop DIR       stop the daemons started from DIR
#   scripts/slurm-localhost.sh env DIR        print the export line clients need (SLURM_CONF)
#
# Everything (config, munge key and socket, state, logs, pid files) lives under DIR, so the
# cluster leaves nothing behind in /etc or /var. It is cgroup-free (proctrack/linuxproc,
# task/none), has no accounting, and runs slurmd as root: start needs root. Ports 16817/16818
# (not Slurm's defaults, so that a real cluster on the machine is left alone).
set -eu

die() {
  echo "slurm-localhost: $*" >&2
  exit 1
}

need_root() {
  [ "$(id -u)" = 0 ] || die "needs root (slurmd runs as root)"
}

install() {
  if command -v sbatch >/dev/null && command -v slurmctld >/dev/null &&
    command -v slurmd >/dev/null && command -v munged >/dev/null; then
    return 0
  fi
  need_root
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge
}

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  limit=$1
  what=$2
  shift 2
  i=0
  while ! "$@" >/dev/null 2>&1; do
    i=$((i + 1))
    [ "$i" -le "$((limit * 4))" ] || die "timed out waiting for $what"
    sleep 0.25
  done
}

node_idle() {
  sinfo -h -N -o '%t' | grep -qE '^(idle|mix|alloc)'
}

start() {
  dir=$1
  need_root
  install
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  chmod 0755 "$dir"
  mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log"
  chmod 0711 "$dir/munge"  # clients need to reach the socket
  node=$(hostname -s)
  cpus=$(nproc)
  mem=$(awk '/MemTotal/ {print int($2 / 1024 / 2)}' /proc/meminfo)

  if [ ! -f "$dir/munge/munge.key" ]; then
    dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 2>/dev/null
    chmod 0400 "$dir/munge/munge.key"
  fi
  munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" \
    --seed-file="$dir/munge/munge.seed"

  cat >"$dir/slurm.conf" <<EOF
# Single-node cluster written by scripts/slurm-localhost.sh
ClusterName=xpusim-local
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
SwitchType=switch/none
MaxArraySize=10001
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF="$dir/slurm.conf"
  slurmctld -c -f "$SLURM_CONF"
  wait_for 30 "slurmctld" scontrol ping
  slurmd -f "$SLURM_CONF"
  wait_for 60 "node $node to become idle" node_idle
  echo "export SLURM_CONF=$SLURM_CONF"
}

stop_pid() {  # stop_pid PIDFILE
  [ -f "$1" ] || return 0
  pid=$(cat "$1")
  if kill "$pid" 2>/dev/null; then
    i=0
    while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 40 ]; do
      sleep 0.25
      i=$((i + 1))
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$1"
}

stop() {
  dir=$1
  [ -d "$dir" ] || return 0
  stop_pid "$dir/slurmd.pid"
  stop_pid "$dir/slurmctld.pid"
  stop_pid "$dir/munge/munged.pid"
}

case "${1:-}" in
  install) install ;;
  start) [ $# -eq 2 ] || die "usage: $0 start DIR"; start "$2" ;;
  stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
  env) [ $# -eq 2 ] || die "usage: $0 env DIR"; echo "export SLURM_CONF=$(cd "$2" && pwd)/slurm.conf" ;;
  *) die "usage: $0 install | start DIR | stop DIR | env DIR" ;;
esac
