#!/usr/bin/env bash
# quantpipe.sh: QuantPipe's experiment on the live runtime, in one run.
# examples/quantpipe/topology.yaml (3 local stages, the link stage-a ->
# stage-b following 60 -> 6 -> 30 -> 60 Mbit/s, 10 s each) is run three
# times on the same trace: adaptive bits 2..16 (as written), fixed float32 and fixed 8-bit
# (the same file with the link's `bits` changed). Then fixed-bit reference
# runs on unlimited links give, for the bitwidth the adaptive link held in
# each phase, the accuracy of that bitwidth on the same images. Prints the
# tables (bench/quantpipe_table.py) and copies them and the three runs' plots
# into examples/quantpipe/.
#
#   bench/quantpipe.sh [EDGEPIPE] [WORK_DIR]
#   (defaults: build/cli/edgepipe, a temporary folder removed at the end)
#
# Needs `edgepipe run --predictions` (per-image predictions, for accuracy by
# phase). Takes about 4 minutes on a 2-core machine.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
edgepipe=${1:-$repo/build/cli/edgepipe}
keep=${2:-}
example=$repo/examples/quantpipe
python=/usr/bin/python3

[[ -x $edgepipe ]] || { echo "quantpipe: no edgepipe program at $edgepipe" >&2; exit 2; }
if ! "$edgepipe" run --help 2>&1 | grep -q -- --predictions; then
  echo "quantpipe: $edgepipe has no 'run --predictions' (needed for accuracy per phase)" >&2
  exit 2
fi
work=${keep:-$(mktemp -d /tmp/ep-quantpipe.XXXXXX)}
mkdir -p "$work"
run_pid=""
cleanup() {
  # edgepipe run stops the nodes it started (they also die with it).
  [[ -n $run_pid ]] && kill -TERM "$run_pid" 2> /dev/null && wait "$run_pid" 2> /dev/null
  [[ -z $keep ]] && rm -rf "$work"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The variants: the example's file with an absolute model path and the traced
# link's quantization replaced.
base=$work/base.yaml
sed "s#dir: ../models/fashion-vit#dir: $repo/examples/models/fashion-vit#" \
  "$example/topology.yaml" > "$base"
grep -q '^      bits: adaptive$' "$base" || { echo "quantpipe: topology changed, no adaptive link" >&2; exit 2; }
cp "$base" "$work/adaptive.yaml"
sed -e '/^      bits: adaptive$/c\      bits: 0' -e '/^      \(min_bits\|max_bits\|clip\):/d' \
  "$base" > "$work/fp32.yaml"
sed -e '/^      bits: adaptive$/c\      bits: 8' -e '/^      \(min_bits\|max_bits\):/d' \
  "$base" > "$work/8bit.yaml"
# Reference B: B bits, the link unlimited (only its predictions are used).
reference_yaml() {
  sed -e "/^      bits: adaptive\$/c\      bits: $1" -e '/^      \(min_bits\|max_bits\):/d' \
    -e 's#^      trace: \[\[.*#      rate_mbps: unlimited#' "$base" > "$work/ref-$1.yaml"
}

# The parameters the table needs, from the file itself.
$python - "$base" "$work/params.json" << 'EOF'
import json, re, sys
text = open(sys.argv[1]).read()
trace = json.loads(re.search(r"^      trace: (\[\[.*\]\])", text, re.M).group(1))
get = lambda key: re.search(r"^  %s: (\S+)" % key, text, re.M).group(1)
json.dump({"trace": trace, "phases": ["high", "very low", "medium", "high"][:len(trace)],
           "target_images_per_s": float(get("target_images_per_s")),
           "microbatch": int(get("microbatch")), "dataset": get("dataset"),
           "split": get("split"), "count": int(get("count")), "link": 0},
          open(sys.argv[2], "w"), indent=1)
EOF

trace_text=$($python -c 'import json,sys; print(" -> ".join("%g" % r for _, r in json.load(open(sys.argv[1]))["trace"]))' "$work/params.json")

run() { # run NAME: one edgepipe run of NAME.yaml, its outputs as NAME.*
  local name=$1 rc=0
  echo "[quantpipe] $(date -u +%H:%M:%S) $name (load: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  "$edgepipe" run "$work/$name.yaml" --json --quiet --timeline "$work/$name.jsonl" \
    --plot "$work/$name.svg" --predictions "$work/$name.pred" > "$work/$name.out" 2> "$work/$name.err" &
  run_pid=$!
  wait "$run_pid" || rc=$?
  run_pid=""
  if [[ $rc -ne 0 ]]; then
    echo "[quantpipe] $name failed (exit $rc):" >&2
    tail -n 20 "$work/$name.err" >&2
    echo "- $name failed once and was run again: $(tail -n 1 "$work/$name.err")" >> "$work/retries.md"
    return 1
  fi
  tail -n 1 "$work/$name.out" > "$work/$name.json"
  # The plot again, titled with the variant (the run's own says only the name).
  "$edgepipe" plot "$work/$name.jsonl" --out "$work/$name.svg" \
    --title "quantpipe, $name: link stage-a -> stage-b $trace_text Mbit/s" 2> /dev/null || true
  grep -E '^(throughput|accuracy)' "$work/$name.out" | sed "s/^/[quantpipe]   /" >&2
}

uptime >&2
load_before=$(cut -d" " -f1-3 /proc/loadavg)
# A run that fails (a node declared lost on a busy machine has been seen) is
# tried once more; the tables say so.
run_twice() { run "$1" || run "$1" || exit 1; }
: > "$work/retries.md"
for v in adaptive fp32 8bit; do run_twice "$v"; done
for b in $($python "$repo/bench/quantpipe_table.py" bits-needed "$work"); do
  reference_yaml "$b"
  run_twice "ref-$b"
done
uptime >&2
load_after=$(cut -d" " -f1-3 /proc/loadavg)

{
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores; load average (1, 5, 15 min) before: $load_before, after: $load_after."
  echo
  $python "$repo/bench/quantpipe_table.py" table "$work"
  [[ -s $work/retries.md ]] && { echo; cat "$work/retries.md"; }
} > "$work/results.md"
cat "$work/results.md"
for v in adaptive fp32 8bit; do cp "$work/$v.svg" "$example/quantpipe-$v.svg"; done
cp "$work/results.md" "$example/results.md"
echo "[quantpipe] tables in $example/results.md, plots $example/quantpipe-{adaptive,fp32,8bit}.svg" >&2
