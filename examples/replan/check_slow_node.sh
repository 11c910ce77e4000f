#!/usr/bin/env bash
# check_slow_node.sh: shows that slow_node.sh really slows a process. A busy
# loop counts; its count rate and the CPU time it gets are measured for a few
# seconds free, a few seconds under slow_node.sh's quota, and free again.
# Root only. Usage: check_slow_node.sh [PERCENT [SECONDS_PER_PHASE]]  [25 3]
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
percent=${1:-25}
phase_s=${2:-3}
ticks=$(getconf CLK_TCK)

out=$(mktemp /tmp/ep-busy.XXXXXX)
# A count printed every 100,000 iterations.
awk 'BEGIN { for (;;) { n++; if (n % 100000 == 0) { print n; fflush() } } }' > "$out" &
busy=$!
slow=""
cleanup() {
  [[ -n $slow ]] && { kill -TERM "$slow" 2> /dev/null; wait "$slow" 2> /dev/null; }
  kill -KILL "$busy" 2> /dev/null
  wait "$busy" 2> /dev/null
  rm -f "$out"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

count() { tail -n 1 "$out" 2> /dev/null || echo 0; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$busy/stat"; }
# One phase: iterations per second and CPU share of one core.
measure() {
  local c0 t0 w0 c1 t1 w1
  c0=$(count); t0=$(cpu_ticks); w0=$(date +%s.%N)
  sleep "$phase_s"
  c1=$(count); t1=$(cpu_ticks); w1=$(date +%s.%N)
  awk -v name="$1" -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v w0="$w0" -v w1="$w1" \
    -v hz="$ticks" 'BEGIN { w = w1 - w0; printf "%-10s %12.0f iterations/s  cpu %5.1f%% of a core\n",
      name, (c1 - c0) / w, 100 * (t1 - t0) / hz / w }'
}

sleep 0.5
measure free
"$here/slow_node.sh" "$busy" "$percent" &
slow=$!
sleep 0.5
measure "$percent%"
kill -TERM "$slow"
wait "$slow"
slow=""
sleep 0.5
measure free
