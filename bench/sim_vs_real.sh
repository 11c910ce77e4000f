#!/usr/bin/env bash
# Simulator vs real runs: predicted (edgepipe simulate) against measured
# (edgepipe run) throughput and latency for the topologies in
# bench/sim_vs_real/ (the shipped fashion-vit, 2 and 3 stages, fp32 and
# quantized links, link-bound and compute-bound, K = 1 and 2).
#
# Inputs of the simulator, none taken from the result being predicted:
# - "sim (profile)": per-layer times from `edgepipe profile` on this machine
#   (same model, microbatch 16, 1 thread, run here before the pipelines), summed
#   per stage by the planner's cost model;
# - "sim (nodes)": the per-stage compute times the nodes measured in that run
#   (`stage_compute_ms` of `edgepipe run --json`), via --stage-compute-s;
# - links: the topology's rate converted to the planner's unit
#   (topology Mbit = 10^6 bit, planner Mbit = 2^20 bit), the wire bytes of the
#   codecs frame at the link's bits (cost model `edgepipe`); unlimited loopback
#   links as 10^9 Mbit/s (free);
# - K = the topology's window, microbatches = count / microbatch;
# - handoff 2: besides its K credits a sender holds up to 2 finished results
#   for its link's encoder (max_handed in actors/stage_actor.cpp and
#   source_actor.cpp, actors/README.md "Credits"); handoff 0, the plain credit
#   model, is shown for latency.
# - "sim (profile, shared cores)": the profile's times, with the stages
#   sharing this machine's cores (simulate --machines s0,s1,s2:CORES): the
#   stage processes all run here, so while more stages compute than there are
#   cores, each computes slower (processor sharing);
# "CPU bound": images/s if the stages' measured compute (nodes' times) had to
# share this machine's cores: 16 * cores / sum of stage times. The simulator
# gives each stage its own core; with more stage processes than cores that
# bound, not the slowest stage, sets the pace.
# Throughput is compared as the run reports it: images / (last answer - first
# release), i.e. including the pipeline's fill; the simulator's equivalent is
# microbatches * 16 / makespan. Latency: p50 per microbatch, release to answer.
#
# Usage: bench/sim_vs_real.sh [BUILD_DIR]   (REPEATS=3 real runs per setting;
#        ONLY=REGEX runs only the settings whose name matches)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
EP=$BUILD/cli/edgepipe
REPEATS=${REPEATS:-3}
PY=/usr/bin/python3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
[ -x "$EP" ] || { echo "no $EP (build the edgepipe target first)" >&2; exit 2; }

# name | stages for --stages | links "from>to@mbps(10^6)/bits" ... | K | microbatches
SETTINGS="
a-2st-fp32-5m-k2|s0:1-12,s1:13-24|s0>s1@5/0|2|24
b-2st-fp32-5m-k1|s0:1-12,s1:13-24|s0>s1@5/0|1|24
c-2st-q8-2m-k2|s0:1-12,s1:13-24|s0>s1@2/8|2|24
d-3st-mixed-k2|s0:1-8,s1:9-16,s2:17-24|s0>s1@20/0 s1>s2@1/4|2|24
e-2st-compute-k2|s0:1-12,s1:13-24|s0>s1@inf/0|2|256
g-2st-compute-k1|s0:1-12,s1:13-24|s0>s1@inf/0|1|256
f-3st-compute-q8-k1|s0:1-8,s1:9-16,s2:17-24|s0>s1@inf/8 s1>s2@inf/8|1|256
"

echo "profiling fashion-vit (microbatch 16, 1 thread) ..." >&2
"$EP" profile --model "$ROOT/examples/models/fashion-vit" --model-name fvit --microbatch 16 \
  --threads 1 --device-type here --memory-mb 1024 --bandwidth-mbps 1000 --repeats 7 \
  --out-dir "$TMP" >/dev/null
printf 'here:\n  - s0\n  - s1\n  - s2\n' >"$TMP/devices.yml"

# Calibration (no predicted setting is used): the machine's CPU per
# microbatch outside the stages' compute (messaging, codecs, the run
# process's source and sink), from the 1- and 4-stage topologies cal-*.yaml,
# each run at 1024 and 4096 images: the difference cancels start-up (loading,
# connecting). Overhead(S stages) = client + S x per stage, both solved from
# the two; compute is the profile's sum over all layers (every layer runs once).
cpu_of() { # topology images -> CPU seconds of `edgepipe run` and its node processes
  sed "s|dir: ../../examples|dir: $ROOT/examples|; s|count: [0-9]*|count: $2|" "$1" >"$TMP/cal.yaml"
  $PY - "$EP" "$TMP/cal.yaml" <<'EOF'
import resource, subprocess, sys
subprocess.run([sys.argv[1], "run", sys.argv[2], "--quiet"], check=True,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
u = resource.getrusage(resource.RUSAGE_CHILDREN)  # the nodes too: run waits for them
print(u.ru_utime + u.ru_stime)
EOF
}
compute_ms=$($PY -c '
import sys, yaml
t = yaml.safe_load(open(sys.argv[1]))["here"]["model_profiles"]["fvit"][0]["time_s"]
print(1e3 * sum(t))' "$TMP/device_types.yml")
overhead_of() { # stages -> ms per microbatch outside compute
  local big small
  big=$(cpu_of "$ROOT/bench/sim_vs_real/cal-$1st.yaml" 4096)
  small=$(cpu_of "$ROOT/bench/sim_vs_real/cal-$1st.yaml" 1024)
  $PY -c "print(($big - $small) * 1e3 / 192 - $compute_ms)" # 192 = (4096 - 1024) / 16
}
echo "calibrating the machine's overhead (1 and 4 stages, 1024 and 4096 images) ..." >&2
o1=$(overhead_of 1)
o4=$(overhead_of 4)
per_stage=$($PY -c "print(($o4 - $o1) / 3)")
client=$($PY -c "print($o1 - $per_stage)")
printf 'overhead per microbatch: client %.2f ms + %.2f ms per stage (compute %.2f ms)\n' \
  "$client" "$per_stage" "$compute_ms" >&2

# simulate NAME STAGES LINKS K M HANDOFF [STAGE_TIMES] [MACHINES]
#   -> one JSON line {rate, p50_ms, stages_ms}
simulate() {
  local links="$TMP/links-$1.yml" extra=()
  : >"$links"
  for l in $3; do
    local from=${l%%>*} rest=${l#*>}
    local to=${rest%%@*} bw=${rest#*@}
    local mbps=${bw%/*} bits=${bw#*/}
    [ "$mbps" = inf ] && mbps=1000000000000000
    # topology Mbit/s (10^6 bit/s) -> planner Mbit/s (2^20 bit/s)
    printf '%s:\n  %s: {bw_Mbps: %s, bits: %s}\n' "$from" "$to" \
      "$($PY -c "print(repr($mbps * 1e6 / 2**20))")" "$bits" >>"$links"
  done
  [ -n "${7:-}" ] && extra=(--stage-compute-s "$7")
  [ -n "${8:-}" ] && extra+=(--machines "$8")
  "$EP" simulate --models "$TMP/models.yml" --device-types "$TMP/device_types.yml" \
    --devices "$TMP/devices.yml" --links "$links" --model fvit --microbatch 16 \
    --cost-model edgepipe --stages "$2" --credits "$4" --handoff "$6" --microbatches "$5" "${extra[@]}" \
    --json "$TMP/sim.json" >/dev/null
  $PY - "$TMP/sim.json" "$5" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1])); m = int(sys.argv[2])
lat = sorted(s["latency_s"] for s in d["timeline"])
p50 = lat[int(0.5 * (len(lat) - 1) + 0.5)] * 1e3
print(json.dumps({"rate": m * 16 / d["makespan_s"], "p50_ms": p50,
                  "stages_ms": " / ".join("%.2f" % (t * 1e3) for t in d["stage_compute_s"])}))
EOF
}

RESULTS=$TMP/results.jsonl
for rep in $(seq 1 "$REPEATS"); do
  echo "$SETTINGS" | while IFS='|' read -r name stages links k m; do
    [ -z "$name" ] && continue
    [[ "$name" =~ ${ONLY:-.} ]] || continue
    echo "run $rep/$REPEATS: $name" >&2
    real=$("$EP" run "$ROOT/bench/sim_vs_real/$name.yaml" --json --quiet 2>/dev/null | grep '^{' | tail -1)
    times=$(echo "$real" | $PY -c \
      'import json,sys; print(",".join(repr(t/1e3) for t in json.load(sys.stdin)["stage_compute_ms"]))')
    sim_plain=$(simulate "$name" "$stages" "$links" "$k" "$m" 0)
    sim_prof=$(simulate "$name" "$stages" "$links" "$k" "$m" 2)
    sim_nodes=$(simulate "$name" "$stages" "$links" "$k" "$m" 2 "$times")
    sim_shared=$(simulate "$name" "$stages" "$links" "$k" "$m" 2 "" "s0,s1,s2:$(nproc)")
    n_stages=$(echo "$stages" | tr ',' '\n' | wc -l)
    overhead=$($PY -c "print(max(0.0, $client + $n_stages * $per_stage))")
    sim_over=$(simulate "$name" "$stages" "$links" "$k" "$m" 2 "" "s0,s1,s2:$(nproc):$overhead")
    echo "{\"name\": \"$name\", \"real\": $real, \"plain\": $sim_plain, \"prof\": $sim_prof, \"nodes\": $sim_nodes, \"shared\": $sim_shared, \"over\": $sim_over}" >>"$RESULTS"
  done
done

CORES=$(nproc)
$PY - "$RESULTS" "$CORES" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
cores = int(sys.argv[2])
names = list(dict.fromkeys(r["name"] for r in rows))
def rng(v, f="%.1f"):
    a, b = f % min(v), f % max(v)
    return a if a == b else a + " to " + b
def err(pred, meas):  # prediction error against each run's measurement, %
    return [100 * (p / x - 1) for p, x in zip(pred, meas)]
print("Throughput, images/s (err = predicted / measured - 1, per run):\n")
print("| setting | real | sim, profile | err | sim, profile, shared cores | err "
      "| sim, profile, shared cores + overhead | err "
      "| sim, nodes' times | err | CPU bound, %d cores |" % cores)
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for n in names:
    rs = [r for r in rows if r["name"] == n]
    real = [r["real"]["images_per_s"] for r in rs]
    prof = [r["prof"]["rate"] for r in rs]
    nodes = [r["nodes"]["rate"] for r in rs]
    shared = [r["shared"]["rate"] for r in rs]
    over = [r["over"]["rate"] for r in rs]
    cpu = [16e3 * cores / sum(r["real"]["stage_compute_ms"]) for r in rs]
    print("| %s | %s | %s | %s%% | %s | %s%% | %s | %s%% | %s | %s%% | %s |" % (
        n, rng(real), rng(prof), rng(err(prof, real), "%+.1f"), rng(shared),
        rng(err(shared, real), "%+.1f"), rng(over), rng(err(over, real), "%+.1f"), rng(nodes),
        rng(err(nodes, real), "%+.1f"), rng(cpu, "%.0f")))
print("\nLatency p50 per microbatch, ms, and the stage times:\n")
print("| setting | real | sim, handoff 0 | sim, handoff 2 | err | sim, nodes' times, handoff 2 | err "
      "| stage ms, profile | stage ms, nodes |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
for n in names:
    rs = [r for r in rows if r["name"] == n]
    real = [r["real"]["latency_ms"]["p50"] for r in rs]
    prof = [r["prof"]["p50_ms"] for r in rs]
    stage = " / ".join(rng([r["real"]["stage_compute_ms"][s] for r in rs], "%.2f")
                       for s in range(len(rs[0]["real"]["stage_compute_ms"])))
    nodes = [r["nodes"]["p50_ms"] for r in rs]
    print("| %s | %s | %s | %s | %s%% | %s | %s%% | %s | %s |" % (
        n, rng(real), rng([r["plain"]["p50_ms"] for r in rs]), rng(prof),
        rng(err(prof, real), "%+.1f"), rng(nodes), rng(err(nodes, real), "%+.1f"),
        rs[0]["prof"]["stages_ms"], stage))
EOF
