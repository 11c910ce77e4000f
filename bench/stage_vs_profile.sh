#!/usr/bin/env bash
# Stage compute in a real run against `edgepipe profile` on this machine:
# does a stage compute as fast as its profile says, once it shares the cores
# with its neighbours (the other stage processes of the run)?
#
#   bench/stage_vs_profile.sh TOPOLOGY.yaml [BUILD_DIR]     (REPEATS=2)
#
# 1. `edgepipe run TOPOLOGY --profile --json`: the plan, each stage's
#    measured compute (ms per microbatch, timed by its worker thread) and its
#    profiled time: the nodes profiled one at a time before the run, each
#    layer sustained (a mean over 50 ms of back-to-back runs).
# 2. per stage: `edgepipe profile` with the stage node's thread count, the
#    sum of its layers' times,
#    - alone, median: nothing else of ours runs, the median of 7 runs per
#      layer (the profile's only timing before sustained timing);
#    - with neighbours, sustained (--sustain-ms, default 100): the other
#      stages of the plan compute at the same time (bench_stage_loop on their
#      layers with their threads), as in the run.
# run / profile = how far the profile is off (1.0 = exact).
# Before/after for OpenMP: GOMP_SPINCOUNT=300000 in the environment gives
# libgomp's default spinning (edgepipe then leaves it alone).
set -euo pipefail
topo=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here="$(cd "$(dirname "$0")" && pwd)"
build="${2:-$here/../build}"
EP=$build/cli/edgepipe
LOOP=$build/bench/bench_stage_loop
PY=/usr/bin/python3
REPEATS=${REPEATS:-2}
SUSTAIN_MS=${SUSTAIN_MS:-100}
[ -x "$EP" ] && [ -x "$LOOP" ] || { echo "build edgepipe and bench_stage_loop first" >&2; exit 2; }
TMP=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

$PY - "$topo" >"$TMP/topo.txt" <<'EOF'
import os, sys, yaml
t = yaml.safe_load(open(sys.argv[1]))
d = os.path.join(os.path.dirname(sys.argv[1]), t["model"]["dir"])
print(os.path.normpath(d), t["workload"].get("microbatch", 8), t["model"].get("dtype", "f32"))
EOF
read -r model mb dtype <"$TMP/topo.txt"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-} GOMP_SPINCOUNT=${GOMP_SPINCOUNT:-}"

profile_sum() { # threads first last sustain_ms -> ms per microbatch (sum of the layers' times)
  local dir=$TMP/p$RANDOM
  "$EP" profile --model "$model" --model-name m --microbatch "$mb" --dtype "$dtype" --threads "$1" \
    --device-type here --memory-mb 1024 --bandwidth-mbps 1000 --repeats 7 --sustain-ms "$4" \
    --out-dir "$dir" >/dev/null 2>&1
  $PY -c '
import sys, yaml
t = yaml.safe_load(open(sys.argv[1]))["here"]["model_profiles"]["m"][0]["time_s"]
print("%.3f" % (1e3 * sum(t[int(sys.argv[2]) - 1:int(sys.argv[3])])))' "$dir/device_types.yml" "$2" "$3"
}

printf '| run | stage | node | threads | layers | run ms | profiled by its node (run --profile) | run / profiled | alone, median | run / alone | with neighbours, sustained | run / with neighbours |\n'
printf '| --- | --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
for rep in $(seq 1 "$REPEATS"); do
  "$EP" run "$topo" --profile --json --quiet 2>/dev/null | grep '^{' | tail -1 >"$TMP/run.json"
  $PY -c '
import json, sys, yaml
r = json.load(open(sys.argv[1]))
threads = {n["name"]: n.get("threads", 1) for n in yaml.safe_load(open(sys.argv[2]))["nodes"]}
for i, (s, ms, pr) in enumerate(zip(r["plan"], r["stage_compute_ms"], r["stage_profile_ms"])):
    print(i, s["node"], threads[s["node"]], s["first"], s["last"], "%.3f" % ms, "%.3f" % pr)' \
    "$TMP/run.json" "$topo" >"$TMP/stages.txt"
  while read -r i node t first last ms profiled; do
    alone=$(profile_sum "$t" "$first" "$last" 0)
    pids=()
    while read -r j _ tj fj lj _ _; do
      [ "$j" = "$i" ] && continue
      "$LOOP" --model "$model" --layers "$fj:$lj" --threads "$tj" --microbatch "$mb" \
        --dtype "$dtype" --seconds 600 >/dev/null &
      pids+=($!)
    done <"$TMP/stages.txt"
    sleep 1 # the neighbours are computing
    shared=$(profile_sum "$t" "$first" "$last" "$SUSTAIN_MS")
    for p in "${pids[@]:-}"; do [ -n "$p" ] && { kill "$p" 2>/dev/null; wait "$p" 2>/dev/null || true; }; done
    pids=()
    ratio() { $PY -c "print('%.2f' % ($1 / $2))"; }
    printf '| %s | %s | %s | %s | %s-%s | %s | %s | %s | %s | %s | %s | %s |\n' "$rep" "$i" "$node" \
      "$t" "$first" "$last" "$ms" "$profiled" "$(ratio "$ms" "$profiled")" "$alone" \
      "$(ratio "$ms" "$alone")" "$shared" "$(ratio "$ms" "$shared")"
  done <"$TMP/stages.txt"
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
