#!/usr/bin/env bash
# codecs_accuracy.sh: the accuracy table of issue 3 (QuantPipe's experiment on
# our model). Top-1 on the full test set for bits 2,3,4,6,8,16 and float32,
# per clipping method, at a 2-stage split in the middle and at one block per
# stage (every block boundary quantized), microbatch 8, per-tensor ranges.
#
#   bench/codecs_accuracy.sh [EDGEPIPE] [MODEL_DIR] [DATA_DIR]
#   (defaults: build/cli/edgepipe, examples/models/fashion-vit,
#    /usr/share/datasets/fashion-mnist)
#   The text BERT's rows (DATA is then a text<TAB>label file):
#   METHODS="none aciq ds-aciq" BITS="2 8 4" SETTINGS="middle every-layer" \
#     RESULTS=bench/codecs_accuracy_text_bert.jsonl bench/codecs_accuracy.sh \
#     build/cli/edgepipe examples/models/text-bert examples/data/langid-test.tsv
#
# Environment: THREADS (default 1), LIMIT (default 0 = all 10k images),
# METHODS (default "none aciq ds-aciq ds-aciq-laplace aciq-gauss mse"),
# BITS (default "2 8 4 3 6 16": the run order, targets first; the table is
# sorted), SETTINGS (default "every-block middle"; also "every-layer": a
# boundary after every planner layer), RESULTS (default
# bench/codecs_accuracy.jsonl): one JSON line per run; runs already in it are
# not repeated, so an interrupted run resumes, and two instances with
# different SETTINGS may share the file. Prints the markdown table (and writes
# it to RESULTS with .md).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
edgepipe=${1:-$here/build/cli/edgepipe}
model=${2:-$here/examples/models/fashion-vit}
data=${3:-/usr/share/datasets/fashion-mnist}
threads=${THREADS:-1}
limit=${LIMIT:-0}
methods=${METHODS:-"none aciq ds-aciq ds-aciq-laplace aciq-gauss mse"}
bits_list=${BITS:-"2 8 4 3 6 16"}
settings=${SETTINGS:-"every-block middle"}
results=${RESULTS:-$here/bench/codecs_accuracy.jsonl}

[ -x "$edgepipe" ] || { echo "codecs_accuracy: no edgepipe program at $edgepipe" >&2; exit 2; }
[ -f "$model/config.json" ] || { echo "codecs_accuracy: no model at $model" >&2; exit 2; }
blocks=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['num_hidden_layers'])" "$model/config.json")
touch "$results"

# run KEY ARGS...: one eval, its JSON line tagged with KEY appended to RESULTS.
run() {
  local key=$1
  shift
  if grep -q "\"key\": \"$key\"" "$results"; then return; fi
  echo "codecs_accuracy: $key" >&2
  local out err
  err=$(mktemp)
  if ! out=$("$edgepipe" eval --model "$model" --data "$data" --limit "$limit" --microbatch 8 \
               --threads "$threads" --json "$@" 2>"$err"); then
    echo "codecs_accuracy: $key FAILED: $(tail -c 300 "$err")" >&2
    rm -f "$err"
    return
  fi
  rm -f "$err"
  local line
  line=$(printf '%s\n' "$out" | tail -n 1)
  /usr/bin/python3 -c "import json,sys; d=json.loads(sys.argv[1]); d['key']=sys.argv[2]; print(json.dumps(d))" \
    "$line" "$key" >> "$results"
}

run "fp32/unsplit"
for name in $settings; do
  case $name in
    middle) where=(--split 2) ;;
    every-block) where=(--split "$blocks") ;;
    every-layer) where=(--cuts "$(seq -s, 1 $((4 * blocks - 1)))") ;;
    *) echo "codecs_accuracy: unknown setting $name (middle|every-block|every-layer)" >&2; exit 2 ;;
  esac
  run "$name/fp32" "${where[@]}" --bits 0
  for bits in $bits_list; do
    for m in $methods; do
      run "$name/$m/$bits" "${where[@]}" --bits "$bits" --clip "$m" --granularity tensor
    done
  done
done

/usr/bin/python3 - "$results" "$methods" "$bits_list" "$blocks" "$settings" <<'PY' | tee "${results%.jsonl}.md"
import json, sys
results, methods, blocks = sys.argv[1], sys.argv[2].split(), sys.argv[4]
settings = sys.argv[5].split()
bits_list = sorted(sys.argv[3].split(), key=int)
runs = {}
for line in open(results):
    line = line.strip()
    if line:
        d = json.loads(line)
        runs[d["key"]] = d
def acc(key):
    return f"{100 * runs[key]['accuracy']:.2f}" if key in runs else "-"
n = runs.get("fp32/unsplit", {}).get("images", "?")
print(f"Top-1 (%) on {n} test inputs, microbatch 8, per-tensor ranges; "
      f"unsplit float32: {acc('fp32/unsplit')}\n")
titles = {"middle": "2 stages, one boundary in the middle",
          "every-block": f"{blocks} stages, every block boundary quantized",
          "every-layer": f"{4 * int(blocks)} stages, every planner-layer boundary quantized"}
for name, title in ((s, titles[s]) for s in ("middle", "every-block", "every-layer") if s in settings):
    print(f"**{title}**\n")
    print("| bits | " + " | ".join(methods) + " | wire bytes/input |")
    print("|---:|" + "---:|" * len(methods) + "---:|")
    for bits in bits_list:
        wire = runs.get(f"{name}/{methods[0]}/{bits}", {}).get("wire_bytes_per_image")
        cells = [acc(f"{name}/{m}/{bits}") for m in methods]
        print(f"| {bits} | " + " | ".join(cells) + f" | {wire:.0f} |" if wire else
              f"| {bits} | " + " | ".join(cells) + " | - |")
    wire = runs.get(f"{name}/fp32", {}).get("wire_bytes_per_image")
    print(f"| float32 | " + " | ".join([acc(f"{name}/fp32")] * len(methods)) +
          (f" | {wire:.0f} |" if wire else " | - |"))
    print()
PY
