#!/usr/bin/env bash
# slow_node.sh: slow a running process down for real, by giving it a CPU
# quota in a cgroup v1 `cpu` hierarchy: in every period of P microseconds
# its threads together may run Q microseconds (Q/P of one core), whatever
# else the machine does. Used to make one pipeline node a slow device
# mid-run. Root only.
#
#   slow_node.sh PID PERCENT [SECONDS]
#
# PERCENT is the share of one core (1..1000; 25 = a quarter of a core).
# Without SECONDS it holds until the process exits or this script gets
# SIGINT/SIGTERM. On exit the process is moved back to the cgroup it came
# from (the root one if that is gone) and the new cgroup is removed.
# Sourced, it gives ep_slow_start PID PERCENT / ep_slow_stop.
#
# A cgroup v2 (unified) machine has no /sys/fs/cgroup/cpu/cpu.cfs_quota_us:
# the script says so and does nothing.

EP_CPU_ROOT=${EP_CPU_ROOT:-/sys/fs/cgroup/cpu}
EP_SLOW_PERIOD_US=100000
EP_SLOW_CG=""
EP_SLOW_PID=""
EP_SLOW_FROM=""

ep_slow_log() { echo "[slow_node] $*" >&2; }

ep_slow_check() {
  if [[ $(id -u) -ne 0 ]]; then
    ep_slow_log "needs root (writes to $EP_CPU_ROOT); run it with sudo"
    return 1
  fi
  if [[ ! -w $EP_CPU_ROOT/cpu.cfs_quota_us ]]; then
    ep_slow_log "no cgroup v1 cpu controller with CFS quotas at $EP_CPU_ROOT"
    return 1
  fi
}

# The pid's cgroup in the cpu hierarchy, from /proc/PID/cgroup
# (lines ID:CONTROLLERS:PATH; CONTROLLERS may be e.g. cpu,cpuacct).
ep_slow_cgroup_of() {
  awk -F: '{ n = split($2, c, ","); for (i = 1; i <= n; i++) if (c[i] == "cpu") print $3 }' \
    "/proc/$1/cgroup"
}

# ep_slow_start PID PERCENT: PID (all its threads) into a new cgroup with the quota.
ep_slow_start() {
  local pid=$1 percent=$2
  if [[ ! $pid =~ ^[0-9]+$ ]] || ! kill -0 "$pid" 2> /dev/null; then
    ep_slow_log "no process $pid"
    return 1
  fi
  if [[ ! $percent =~ ^[0-9]+$ ]] || ((percent < 1 || percent > 1000)); then
    ep_slow_log "PERCENT: expected 1..1000 (share of one core), got '$percent'"
    return 1
  fi
  EP_SLOW_FROM=$(ep_slow_cgroup_of "$pid")
  EP_SLOW_CG="$EP_CPU_ROOT/ep-slow-$pid-$$"
  mkdir "$EP_SLOW_CG" || return 1
  echo "$EP_SLOW_PERIOD_US" > "$EP_SLOW_CG/cpu.cfs_period_us" || return 1
  echo $((EP_SLOW_PERIOD_US * percent / 100)) > "$EP_SLOW_CG/cpu.cfs_quota_us" || return 1
  # cgroup.procs moves the whole thread group; threads started later follow.
  echo "$pid" > "$EP_SLOW_CG/cgroup.procs" || return 1
  EP_SLOW_PID=$pid
  ep_slow_log "pid $pid limited to $percent% of one core ($EP_SLOW_CG)"
}

# Back to where it came from, then the cgroup is removed (rmdir needs it empty).
ep_slow_stop() {
  [[ -z $EP_SLOW_CG || ! -d $EP_SLOW_CG ]] && return 0
  local back="$EP_CPU_ROOT${EP_SLOW_FROM%/}" pid stat
  [[ -d $back ]] || back=$EP_CPU_ROOT
  stat=$(tr '\n' ' ' < "$EP_SLOW_CG/cpu.stat" 2> /dev/null)
  # Every task still inside (the pid's threads, or children it started).
  while read -r pid; do
    echo "$pid" > "$back/cgroup.procs" 2> /dev/null
  done < "$EP_SLOW_CG/cgroup.procs"
  if rmdir "$EP_SLOW_CG"; then
    ep_slow_log "pid $EP_SLOW_PID restored to ${back#"$EP_CPU_ROOT"}/ (cpu.stat: $stat)"
  else
    ep_slow_log "could not remove $EP_SLOW_CG"
  fi
  EP_SLOW_CG=""
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  if [[ $# -lt 2 || $# -gt 3 ]]; then
    sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
  fi
  ep_slow_check || exit 1
  trap 'ep_slow_stop' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  ep_slow_start "$1" "$2" || exit 1
  end=""
  [[ -n ${3:-} ]] && end=$(awk -v s="$3" -v now="$(date +%s.%N)" 'BEGIN { printf "%.3f", now + s }')
  # Poll: a trap runs at once after the short sleep.
  while kill -0 "$1" 2> /dev/null; do
    if [[ -n $end ]] && awk -v e="$end" -v now="$(date +%s.%N)" 'BEGIN { exit !(now >= e) }'; then
      break
    fi
    sleep 0.1
  done
  exit 0
fi
