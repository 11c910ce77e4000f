#!/usr/bin/env bash
# replan.sh: EdgePipe's heterogeneity made dynamic, with and without
# re-planning. Two scenarios, each run with `planner: {replan: true}` and
# `replan: false` (the same file otherwise):
#   slow-node  examples/replan/slow-node.yaml: from SLOW_AT s to SLOW_UNTIL s
#              stage-b's process gets PERCENT% of one core (slow_node.sh,
#              a cgroup v1 CPU quota; root only, skipped otherwise);
#   slow-link  examples/replan/slow-link.yaml: the link stage-a -> stage-b
#              follows its trace (400 Mbit/s, 0.5 from 8 s to 20 s, 400).
# Reports throughput before, during and after the slowdown, when the plan
# changed and the switch's pause (bench/replan_table.py), and copies the
# tables and the runs' plots into examples/replan/.
#
#   bench/replan.sh [EDGEPIPE] [WORK_DIR]
#   (defaults: build/cli/edgepipe, a temporary folder removed at the end)
#
# Environment: SCENARIOS ("slow-node slow-link"), COUNT (images a run,
# 60000, the whole training set), PERCENT (10), SLOW_AT (8), SLOW_UNTIL (20)
# in the timeline's seconds (the slow-link trace has its own times, in its
# file). Takes about 5 minutes.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
edgepipe=${1:-$repo/build/cli/edgepipe}
keep=${2:-}
example=$repo/examples/replan
python=/usr/bin/python3
scenarios=${SCENARIOS:-"slow-node slow-link"}
count=${COUNT:-60000}
percent=${PERCENT:-10}
slow_at=${SLOW_AT:-8}
slow_until=${SLOW_UNTIL:-20}

[[ -x $edgepipe ]] || { echo "replan: no edgepipe program at $edgepipe" >&2; exit 2; }
work=${keep:-$(mktemp -d /tmp/ep-replan.XXXXXX)}
mkdir -p "$work"
run_pid=""
slow_pid=""
cleanup() {
  # slow_node.sh moves its process back and removes its cgroup on SIGTERM;
  # edgepipe run stops the nodes it started (they also die with it).
  [[ -n $slow_pid ]] && kill -TERM "$slow_pid" 2> /dev/null && wait "$slow_pid" 2> /dev/null
  [[ -n $run_pid ]] && kill -TERM "$run_pid" 2> /dev/null && wait "$run_pid" 2> /dev/null
  [[ -z $keep ]] && rm -rf "$work"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
log() { echo "[replan] $*" >&2; }

# Seconds since the run's timeline started (its first record, the initial
# plan, is written at t ~ 0; the offset is taken when it appears).
now_s() { date +%s.%N; }
timeline_offset() { # wall-clock seconds at the timeline's t = 0, once it has a line
  local file=$1 t
  while kill -0 "$run_pid" 2> /dev/null; do
    if [[ -s $file ]]; then
      t=$(head -n 1 "$file" | sed -n 's/^{"t":\([0-9.e+-]*\),.*/\1/p')
      [[ -n $t ]] && { awk -v w="$(now_s)" -v t="$t" 'BEGIN { printf "%.3f", w - t }'; return 0; }
    fi
    sleep 0.02
  done
  return 1
}
sleep_until() { # sleep_until WALL_SECONDS
  local left
  left=$(awk -v e="$1" -v n="$(now_s)" 'BEGIN { d = e - n; printf "%.3f", (d > 0 ? d : 0) }')
  sleep "$left"
}
node_pid() { # node_pid NAME: the local node edgepipe run started with --name NAME
  ps -o pid=,args= --ppid "$run_pid" | awk -v n="$1" '$0 ~ (" --name " n " ") { print $1 }'
}

# One run: scenario (slow-node | slow-link), replan (true | false).
run() {
  local scenario=$1 replan=$2 name rc=0 t0 start end desc
  name=$scenario-$([[ $replan == true ]] && echo replan || echo fixed)
  sed -e "s#dir: ../models/fashion-vit#dir: $repo/examples/models/fashion-vit#" \
    -e "s/^  replan: true\$/  replan: $replan/" -e "s/^  count: 0\$/  count: $count/" \
    "$example/$scenario.yaml" > "$work/$name.yaml"
  log "$(date -u +%H:%M:%S) $name (load: $(cut -d' ' -f1-3 /proc/loadavg))"
  "$edgepipe" run "$work/$name.yaml" --json --quiet --timeline "$work/$name.jsonl" \
    --plot "$work/$name.svg" > "$work/$name.out" 2> "$work/$name.err" &
  run_pid=$!
  if [[ $scenario == slow-node ]]; then
    t0=$(timeline_offset "$work/$name.jsonl") || true
    if [[ -n $t0 ]]; then
      sleep_until "$(awk -v a="$t0" -v s="$slow_at" 'BEGIN { printf "%.3f", a + s }')"
      start=$(awk -v a="$t0" -v n="$(now_s)" 'BEGIN { printf "%.2f", n - a }')
      "$repo/examples/replan/slow_node.sh" "$(node_pid stage-b)" "$percent" \
        "$((slow_until - slow_at))" 2> "$work/$name.slow.log" &
      slow_pid=$!
      wait "$slow_pid" || true
      slow_pid=""
      end=$(awk -v a="$t0" -v n="$(now_s)" 'BEGIN { printf "%.2f", n - a }')
      log "  stage-b at $percent% of a core from t = $start s to $end s"
    fi
    desc="stage-b at $percent% of a core"
  else
    # The trace's second point is the drop, its third the recovery.
    read -r start end desc < <($python -c '
import json, re, sys
t = json.loads(re.search(r"trace: (\[\[.*\]\])", open(sys.argv[1]).read()).group(1))
print(t[1][0], t[2][0], "link stage-a -> stage-b at %g Mbit/s" % t[1][1])' "$work/$name.yaml")
  fi
  wait "$run_pid" || rc=$?
  run_pid=""
  if [[ $rc -ne 0 || -z ${start:-} ]]; then
    log "$name failed (exit $rc):"
    tail -n 20 "$work/$name.err" >&2
    echo "- $name failed once and was run again: $(tail -n 1 "$work/$name.err")" >> "$work/retries.md"
    return 1
  fi
  tail -n 1 "$work/$name.out" > "$work/$name.json"
  printf '{"scenario": "%s", "replan": %s, "start": %s, "end": %s}\n' \
    "$desc" "$replan" "$start" "$end" > "$work/$name.events.json"
  # The slowdown onto the timeline (notes: grey dots on the plot's top edge,
  # text on hover), and the plot drawn again with them.
  printf '{"t":%s,"kind":"note","text":"slowdown begins: %s"}\n{"t":%s,"kind":"note","text":"slowdown ends"}\n' \
    "$start" "$desc" "$end" >> "$work/$name.jsonl"
  "$edgepipe" plot "$work/$name.jsonl" --out "$work/$name.svg" \
    --title "$name: $desc from $start s to $end s, replan: $replan" 2> /dev/null ||
    log "could not re-plot $name (the run's own plot is kept)"
  grep -E '^(plan |throughput|accuracy)' "$work/$name.out" | sed "s/^/[replan]   /" >&2
}

: > "$work/retries.md"
uptime >&2
load_before=$(cut -d" " -f1-3 /proc/loadavg)
for scenario in $scenarios; do
  if [[ $scenario == slow-node && $(id -u) -ne 0 ]]; then
    log "slow-node needs root (a cgroup CPU quota): skipped"
    continue
  fi
  # A run that fails (a node declared lost on a busy machine has been seen)
  # is tried once more; the tables say so.
  for replan in true false; do
    run "$scenario" "$replan" || run "$scenario" "$replan" || exit 1
  done
done
uptime >&2
load_after=$(cut -d" " -f1-3 /proc/loadavg)

{
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores, microbatch 16, $count training images a run; load average (1, 5, 15 min) before: $load_before, after: $load_after."
  echo
  $python "$repo/bench/replan_table.py" "$work"
  [[ -s $work/retries.md ]] && { echo; cat "$work/retries.md"; }
} > "$work/results.md"
cat "$work/results.md"
for f in "$work"/*.svg; do cp "$f" "$example/$(basename "$f")"; done
cp "$work/results.md" "$example/results.md"
log "tables in $example/results.md, plots in $example/*.svg"
