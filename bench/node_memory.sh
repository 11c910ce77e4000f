#!/usr/bin/env bash
# A node's memory around stages: resident set (VmRSS) and peak (VmHWM) of one
# `edgepipe node` process idle, after a run of the whole model as one stage
# (the stage retired), and after a second run. Without giving freed memory
# back (ops::release_free_memory) the first retired stage stays resident and
# the second run peaks at twice the model.
#
# Usage: bench/node_memory.sh [BUILD_DIR] [MODEL]   (MODEL: vit-base | vit-large | vit-huge)
set -euo pipefail
BIN=${1:-build}/cli/edgepipe
MODEL=${2:-vit-large}
WORK=$(mktemp -d)
NODE=
cleanup() { [ -n "$NODE" ] && kill "$NODE" 2>/dev/null && wait "$NODE" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

"$BIN" node --listen 127.0.0.1:0 --name n1 >"$WORK/node.out" 2>"$WORK/node.err" &
NODE=$!
for _ in $(seq 1 100); do grep -q listening "$WORK/node.out" && break; sleep 0.1; done
PORT=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/node.out")
cat >"$WORK/topology.yaml" <<EOT
name: node-memory
nodes:
  - {name: n1, address: 127.0.0.1:$PORT}
model: {synthetic: $MODEL, dtype: f32}
partition: even
links: {rate_mbps: unlimited}
workload: {synthetic: true, count: 2, microbatch: 1}
EOT
rss() { grep -E 'VmRSS|VmHWM' "/proc/$NODE/status" | awk '{printf "%s %.0f MB  ", $1, $2 / 1024}'; echo; }
echo "idle:                 $(rss)"
for run in 1 2; do
  "$BIN" run "$WORK/topology.yaml" --quiet >"$WORK/run$run.out" 2>&1
  sleep 2 # the stage's worker frees the model after the run process has its answer
  echo "after run $run, retired: $(rss)"
done
