#!/usr/bin/env bash
# ViT-Base/16-224 (or DeiT-Base, BERT-Base: BENCH_MODEL) forward: edgepipe
# (oneDNN) against Debian's PyTorch in the same run, batch 1 and 8, 1 and 2
# threads, f32, bf16 and int8 (ours only, ViT/DeiT only: PyTorch 1.13 has no
# int8 ViT path on this CPU to compare with), in images/s, with the f32 GFLOPS
# against the f32 matmul peak oneDNN reaches here and the int8
# GFLOPS-equivalent against its s8s8 matmul peak.
#
#   bench/vit_vs_pytorch.sh [BUILD_DIR] [--quick]
#   BENCH_MODEL=deit-base bench/vit_vs_pytorch.sh ...   (or bert-base: 128 tokens)
#   BENCH_THREADS=1 ...                                 (one thread only)
#
# edgepipe runs twice (before and after PyTorch) so its numbers come as a
# range; every number is the best of several runs (the machine is shared).
# PyTorch set-ups:
#   default   no OPENBLAS_* variables: OpenBLAS picks its kernels and threads
#   f32 best  the fastest of OPENBLAS_CORETYPE = (detected), SkylakeX, Haswell,
#             Zen, each with OPENBLAS_NUM_THREADS = threads, and of Linear on
#             PyTorch's own oneDNN (torch.utils.mkldnn)
#   bf16      torch.autocast('cpu', dtype=torch.bfloat16); DeiT and BERT also
#             with bf16 weights on nn.TransformerEncoderLayer's fused kernel
#   DeiT/BERT the f32 set-ups run the fused kernel; eager-* runs take PyTorch's
#             plain encoder-layer path (both count for "best")
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../build}"
quick=0
[ "${2:-}" = "--quick" ] && quick=1
bench="$build/bench/bench_vit_forward"
py=/usr/bin/python3
if [ ! -x "$bench" ]; then
  echo "vit_vs_pytorch: $bench not found; build the target bench_vit_forward first" >&2
  exit 2
fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
# VIT_BENCH_KEEP=DIR keeps the raw results (Google Benchmark JSON, PyTorch JSON lines).
reps=3
[ $quick = 1 ] && reps=1

model="${BENCH_MODEL:-vit-base}"
threads="${BENCH_THREADS:-1 2}" # BENCH_THREADS=1: one thread only (a busy machine)
filter=.
[ "$threads" = 1 ] && filter='/1/min_time'
echo "model: $model, threads: $threads"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
run_ours() {
  # As every edgepipe process runs (cli/openmp_env.hpp): passive OpenMP waiting.
  OMP_WAIT_POLICY=PASSIVE "$bench" --model "$model" --benchmark_filter="$filter" \
    --benchmark_repetitions=$reps --benchmark_format=json >"$out/ours$1.json" 2>/dev/null
  echo "edgepipe pass $1 done"
}

run_torch() { # threads, label, then env assignments and pytorch_vit.py flags
  local threads=$1 label=$2
  shift 2
  local envs=() flags=()
  for a in "$@"; do
    case "$a" in *=*) envs+=("$a") ;; *) flags+=("$a") ;; esac
  done
  env -u OPENBLAS_CORETYPE -u OPENBLAS_NUM_THREADS "${envs[@]}" \
    "$py" "$here/pytorch_vit.py" --model "$model" --batch 1 8 --threads "$threads" --label "$label" \
    --repeats $reps --min-seconds $((reps > 1 ? 3 : 1)) "${flags[@]}" >>"$out/torch.jsonl"
  echo "pytorch $label threads $threads done"
}

run_ours 1
for t in $threads; do
  run_torch $t default
  run_torch $t detected OPENBLAS_NUM_THREADS=$t
  for core in SkylakeX Haswell Zen; do
    run_torch $t "$core" OPENBLAS_CORETYPE=$core OPENBLAS_NUM_THREADS=$t
  done
  if [ "${model#vit}" != "$model" ]; then
    run_torch $t mkldnn OPENBLAS_NUM_THREADS=$t --mkldnn
    run_torch $t bf16-autocast OPENBLAS_NUM_THREADS=$t --dtype bf16
  else
    # DeiT, BERT: nn.TransformerEncoderLayer's fused kernel (the runs above) and
    # its plain path; to_mkldnn cannot convert nn.MultiheadAttention.
    for core in detected SkylakeX; do
      envs=(OPENBLAS_NUM_THREADS=$t)
      [ $core = SkylakeX ] && envs+=(OPENBLAS_CORETYPE=SkylakeX)
      run_torch $t "eager-$core" "${envs[@]}" --eager
    done
    run_torch $t bf16-fused OPENBLAS_NUM_THREADS=$t --dtype bf16
    run_torch $t bf16-autocast-eager OPENBLAS_NUM_THREADS=$t --dtype bf16 --eager
  fi
done
run_ours 2
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

"$py" "$here/vit_vs_pytorch_table.py" "$out" "$model"
if [ -n "${VIT_BENCH_KEEP:-}" ]; then
  mkdir -p "$VIT_BENCH_KEEP" && cp "$out"/* "$VIT_BENCH_KEEP"/
fi
