#!/usr/bin/env bash
# Runs each libFuzzer target (frame decoder, topology parser, safetensors
# parser) for minutes rather than CTest's seconds, one after the other, from
# the committed seeds, and prints per target: executions, coverage (cov:
# edges, ft: features), the corpus it grew and the crashes, leaks, timeouts
# and out-of-memory inputs it wrote. Any of those makes the exit status 1;
# reproduce one with `BUILD/tests/NAME_fuzzer ARTIFACT`.
#
# Usage: bench/fuzz.sh [BUILD_DIR]
#   FUZZ_SECONDS (300 per target)  FUZZ_SEED (1)  FUZZ_RSS_MB (2048)
#   FUZZ_TARGETS ("codecs_decode topology_parse safetensors_parse")
#   FUZZ_OUT (a new temporary directory): logs, grown corpora, artifacts
# The fuzzers are built with the project (they need clang++ and libFuzzer).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
SECONDS_EACH=${FUZZ_SECONDS:-300}
SEED=${FUZZ_SEED:-1}
RSS_MB=${FUZZ_RSS_MB:-2048}
TARGETS=${FUZZ_TARGETS:-"codecs_decode topology_parse safetensors_parse"}
OUT=${FUZZ_OUT:-$(mktemp -d /tmp/edgepipe_fuzz.XXXXXX)}
mkdir -p "$OUT"

seeds_of() {
  case "$1" in
  codecs_decode) echo "$SRC/tests/codecs/fuzz_corpus" ;;
  *) echo "$SRC/tests/fuzz/corpus_$1" ;;
  esac
}

echo "fuzzing ${SECONDS_EACH}s per target, seed $SEED, rss limit ${RSS_MB} MB; output in $OUT"
echo "machine: $(nproc) cores, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-18s %8s %12s %8s %6s %7s %8s %s\n' target seconds executions exec/s cov ft corpus \
  "crashes/leaks/timeouts/ooms"
status=0
for name in $TARGETS; do
  bin="$BUILD/tests/${name}_fuzzer"
  if [ ! -x "$bin" ]; then
    echo "$name: $bin not built (needs clang++ and libFuzzer)" >&2
    status=1
    continue
  fi
  work="$OUT/$name/corpus"
  mkdir -p "$work"
  dict=()
  [ -f "$SRC/tests/fuzz/$name.dict" ] && dict=(-dict="$SRC/tests/fuzz/$name.dict")
  start=$(date +%s)
  # stdin from /dev/null: nothing a fuzzed input names can block on the terminal.
  ASAN_OPTIONS=detect_leaks=1 "$bin" -max_total_time="$SECONDS_EACH" -seed="$SEED" \
    -rss_limit_mb="$RSS_MB" -timeout=20 -max_len=4096 -print_final_stats=1 \
    -artifact_prefix="$OUT/$name/" "${dict[@]}" "$work" "$(seeds_of "$name")" \
    </dev/null >"$OUT/$name/log" 2>&1 || true
  took=$(($(date +%s) - start))
  log="$OUT/$name/log"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corpus=$(find "$work" -type f | wc -l)
  count() { find "$OUT/$name" -maxdepth 1 -name "$1-*" | wc -l; }
  bad="$(count crash)/$(count leak)/$(count timeout)/$(count oom)"
  [ "$bad" = "0/0/0/0" ] || status=1
  printf '%-18s %8s %12s %8s %6s %7s %8s %s\n' "$name" "$took" "${execs:-?}" "${rate:-?}" \
    "${cov:-?}" "${ft:-?}" "$corpus" "$bad"
  for a in "$OUT/$name"/{crash,leak,timeout,oom}-*; do
    [ -e "$a" ] && echo "  artifact: $a"
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
