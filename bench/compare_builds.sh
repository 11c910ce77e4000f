#!/usr/bin/env bash
# Two builds of edgepipe on one topology, runs alternating A, B, A, B, ... so
# both meet the same machine: images/s and p50 latency per run, and B / A of
# the per-pair ratios. For changes that cannot be switched at run time, e.g.
# the stage's worker depth (runtime/stage_machine.hpp): build A with
# `worker_depth = 1` in actors/stage_actor.cpp into another build directory.
#
#   bench/compare_builds.sh EDGEPIPE_A EDGEPIPE_B TOPOLOGY.yaml [PAIRS=5]
set -euo pipefail
[ $# -ge 3 ] || { sed -n 2,8p "$0" >&2; exit 2; }
a=$1 b=$2 topo=$3 pairs=${4:-5}
PY=/usr/bin/python3
out=$(mktemp)
trap 'rm -f "$out"' EXIT
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq 1 "$pairs"); do
  for which in A B; do
    bin=$a
    [ "$which" = B ] && bin=$b
    "$bin" run "$topo" --json --quiet 2>/dev/null | grep '^{' | tail -1 |
      $PY -c 'import json, sys; d = json.load(sys.stdin)
print(sys.argv[1], sys.argv[2], d["images_per_s"], d["latency_ms"]["p50"])' "$i" "$which" >>"$out"
  done
done
$PY - "$out" <<'PYEOF'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1])]
by = {(r[0], r[1]): (float(r[2]), float(r[3])) for r in rows}
pairs = sorted({r[0] for r in rows}, key=int)
print("| pair | A images/s | B images/s | B / A | A p50 ms | B p50 ms | B / A |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
rate, lat = [], []
for p in pairs:
    (ra, la), (rb, lb) = by[(p, "A")], by[(p, "B")]
    rate.append(rb / ra); lat.append(lb / la)
    print("| %s | %.0f | %.0f | %.3f | %.1f | %.1f | %.3f |" % (p, ra, rb, rb / ra, la, lb, lb / la))
print("B / A, median over pairs: images/s %.3f (%.3f to %.3f), p50 latency %.3f (%.3f to %.3f)" % (
    statistics.median(rate), min(rate), max(rate), statistics.median(lat), min(lat), max(lat)))
PYEOF
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
