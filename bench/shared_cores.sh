#!/usr/bin/env bash
# A stage on shared cores: what OpenMP's waiting, pinning and the thread
# count do to a stage's compute time when another stage process runs on the
# same cores (as in every local example, and on a busy board).
#
#   bench/shared_cores.sh [BUILD_DIR]      (SECONDS_PER_RUN=4)
#
# For each OpenMP set-up (environment variables, read by libgomp when the
# process starts) and each workload, bench_stage_loop runs
#   alone:  one process, T threads
#   paired: two identical processes at once, T threads each
# and reports the mean ms per microbatch (wall time / microbatches: the tail
# counts). A process that gets half the machine should take 2x what the whole
# machine gives one stage: "paired / (2 x best alone)" is the slowdown beyond
# the share of the machine (target <= 1.5; 1.0 = a fair share, no waste).
# CPU ms per microbatch (paired): the CPU the process burned per microbatch,
# all threads; spinning shows as CPU spent without progress. The machine's
# other load makes "alone" noisy: the script prints the load average.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../build}"
loop="$build/bench/bench_stage_loop"
secs="${SECONDS_PER_RUN:-4}"
[ -x "$loop" ] || { echo "no $loop (build bench_stage_loop)" >&2; exit 2; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cores=$(nproc)
echo "cores: $cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# name | environment
SETUPS="
default|
passive|OMP_WAIT_POLICY=PASSIVE
spin10k|GOMP_SPINCOUNT=10000
spin1k|GOMP_SPINCOUNT=1000
bind|OMP_PROC_BIND=true
passive+bind|OMP_WAIT_POLICY=PASSIVE OMP_PROC_BIND=true
"
# name | bench_stage_loop arguments (threads added below)
WORKLOADS="
fashion-vit b8 (~1-3 ms)|--model $here/../examples/models/fashion-vit --microbatch 8
vit-base block b1 (~15 ms)|--model vit-base --layers 1:4 --microbatch 1
"

run() { # env-string threads args... -> mean_ms of each process, space separated
  local envs=$1 t=$2 n=$3
  shift 3
  local pids=() i
  for i in $(seq 1 "$n"); do
    env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT -u OMP_PROC_BIND $envs \
      "$loop" "$@" --threads "$t" --seconds "$secs" >"$out/r$i.json" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  for i in $(seq 1 "$n"); do /usr/bin/python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['mean_ms'])" "$out/r$i.json"; done | paste -sd' '
  # CPU ms per microbatch (all the process's threads), kept for the table.
  for i in $(seq 1 "$n"); do /usr/bin/python3 -c "import json,sys;d=json.load(open(sys.argv[1]));print('%.2f' % (1e3*d['cpu_s']/d['runs']))" "$out/r$i.json"; done | paste -sd' ' >"$out/cpu.txt"
}

printf '%-28s %-13s %3s | %10s | %17s | %-25s | %s\n' workload setup thr "alone ms" "paired ms (each)" "paired / (2 x best alone)" "paired CPU ms/microbatch"
echo "$WORKLOADS" | while IFS='|' read -r wname wargs; do
  [ -z "$wname" ] && continue
  results=()
  best=1e30
  while IFS='|' read -r sname senv; do
    [ -z "$sname" ] && continue
    for t in 2 1; do
      [ "$t" = 1 ] && [ "$sname" != default ] && [ "$sname" != passive ] && continue
      # shellcheck disable=SC2086
      alone=$(run "$senv" $t 1 $wargs)
      # shellcheck disable=SC2086
      paired=$(run "$senv" $t 2 $wargs)
      results+=("$sname|$t|$alone|$paired|$(cat "$out/cpu.txt")")
      best=$(/usr/bin/python3 -c "print(min($best, $alone))")
    done
  done <<<"$SETUPS"
  for r in "${results[@]}"; do
    IFS='|' read -r sname t alone paired cpu <<<"$r"
    ratio=$(/usr/bin/python3 -c "import sys; p=[float(x) for x in sys.argv[1].split()]; print(' '.join('%.2f' % (x / (2 * $best)) for x in p))" "$paired")
    printf '%-28s %-13s %3s | %10.3f | %17s | %-25s | %s\n' "$wname" "$sname" "$t" "$alone" "$paired" "$ratio" "$cpu"
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
