#!/usr/bin/python3
"""Prints the table of bench/vit_vs_pytorch.sh from its outputs in DIR:
ours1.json, ours2.json (bench_vit_forward, Google Benchmark JSON) and
torch.jsonl (bench/pytorch_vit.py). Every number is a best-of-runs rate."""

import json
import os
import re
import sys


def ours(path):
    """(dtype, batch, threads) -> {wall, cpu, gflops}; threads -> matmul best GFLOPS
    (f32; "int8", "int8 cpu": the s8s8 matmul's, 1 thread)."""
    vit, peak = {}, {}
    names = {"0": "f32", "1": "bf16", "2": "int8"}
    for r in json.load(open(path))["benchmarks"]:
        if r.get("run_type") != "iteration":
            continue
        m = re.match(r"BM_vit_forward/(\d)/(\d+)/(\d+)/", r["name"])
        if m:
            key = (names[m.group(1)], int(m.group(2)), int(m.group(3)))
            v = vit.setdefault(key, {"wall": 0, "cpu": 0, "gflops": 0, "cpu_gflops": 0})
            v["cpu_gflops"] = max(v["cpu_gflops"], r.get("best_cpu_GFLOPS", 0))
            v["wall"] = max(v["wall"], r["best_images_per_s"])
            v["cpu"] = max(v["cpu"], r.get("best_images_per_cpu_s", 0))
            v["gflops"] = max(v["gflops"], r["best_GFLOPS"])
        m = re.match(r"BM_matmul_f32/\d+/\d+/\d+/(\d+)/", r["name"])
        if m:
            t = int(m.group(1))
            peak[t] = max(peak.get(t, 0), r["best_GFLOPS"])
            if t == 1:
                peak["cpu"] = max(peak.get("cpu", 0), r["best_cpu_GFLOPS"])
        m = re.match(r"BM_matmul_int8/\d+/\d+/\d+/1/", r["name"])
        if m:
            peak["int8"] = max(peak.get("int8", 0), r["best_GFLOPS"])
            peak["int8 cpu"] = max(peak.get("int8 cpu", 0), r["best_cpu_GFLOPS"])
    return vit, peak


def span(vals, fmt="{:.2f}"):
    lo, hi = min(vals), max(vals)
    return fmt.format(lo) if fmt.format(lo) == fmt.format(hi) else fmt.format(lo) + "-" + fmt.format(hi)


def main():
    out = sys.argv[1]
    passes = [ours(os.path.join(out, f)) for f in ("ours1.json", "ours2.json")]
    torch = [json.loads(line) for line in open(os.path.join(out, "torch.jsonl"))]

    def pt(b, t, key, pred):
        c = [r for r in torch if r["batch"] == b and r["threads"] == t and pred(r)]
        return max(c, key=lambda r: r[key])

    def ov(dt, b, t, field):
        return [p[0][(dt, b, t)][field] for p in passes]

    print()
    model = sys.argv[2] if len(sys.argv) > 2 else "vit-base"
    unit = "sequences of 128 tokens" if model.startswith("bert") else "images"
    print(f"{model} forward, {unit}/s (best of runs; edgepipe as the range of 2 passes)")
    hdr = ("batch thr | ours f32  | pt default | pt best f32 (set-up)  | f32 x     | ours bf16 | "
           "pt bf16 | bf16 x pt bf16 | bf16 x pt f32 | f32 GFLOPS / matmul peak")
    print(hdr)
    print("-" * len(hdr))
    threads = sorted({r["threads"] for r in torch})  # BENCH_THREADS may leave 2 out
    for b in (1, 8):
        for t in threads:
            of, ob, gf = ov("f32", b, t, "wall"), ov("bf16", b, t, "wall"), ov("f32", b, t, "gflops")
            peak = max(p[1][t] for p in passes)
            dflt = pt(b, t, "images_per_s", lambda r: r["label"] == "default")["images_per_s"]
            best = pt(b, t, "images_per_s", lambda r: r["dtype"] == "f32")
            bf = pt(b, t, "images_per_s", lambda r: r["dtype"] == "bf16")["images_per_s"]
            pf = best["images_per_s"]
            print(f"{b:5d} {t:3d} | {span(of):9s} | {dflt:10.2f} | {pf:6.2f} ({best['label']:>13s}) | "
                  f"{span([v / pf for v in of]):9s} | {span(ob):9s} | {bf:7.2f} | "
                  f"{span([v / bf for v in ob]):14s} | {span([v / pf for v in ob]):13s} | "
                  f"{span(gf, '{:.0f}')} / {peak:.0f} = {span([100 * g / peak for g in gf], '{:.0f}')}%")
    print()
    print("1 thread, images per CPU-second of the computing thread: the work without the time")
    print("other processes took. PyTorch set-ups with OPENBLAS_NUM_THREADS=1 only.")
    hdr = ("batch | ours f32  | pt best f32 (set-up)  | f32 x     | ours bf16 | pt bf16 | "
           "bf16 x pt bf16 | bf16 x pt f32 | f32 GFLOPS / matmul peak")
    print(hdr)
    print("-" * len(hdr))
    for b in (1, 8):
        of, ob = ov("f32", b, 1, "cpu"), ov("bf16", b, 1, "cpu")
        gf, peak = ov("f32", b, 1, "cpu_gflops"), max(p[1]["cpu"] for p in passes)
        not_default = lambda r: r["label"] != "default"
        best = pt(b, 1, "images_per_cpu_s", lambda r: r["dtype"] == "f32" and not_default(r))
        bf = pt(b, 1, "images_per_cpu_s", lambda r: r["dtype"] == "bf16" and not_default(r))
        pf, pb = best["images_per_cpu_s"], bf["images_per_cpu_s"]
        print(f"{b:5d} | {span(of):9s} | {pf:6.2f} ({best['label']:>13s}) | {span([v / pf for v in of]):9s} | "
              f"{span(ob):9s} | {pb:7.2f} | {span([v / pb for v in ob]):14s} | {span([v / pf for v in ob]):13s} | "
              f"{span(gf, '{:.0f}')} / {peak:.0f} = {span([100 * g / peak for g in gf], '{:.0f}')}%")
    print()
    print("int8 (block matmuls s8 x s8, VNNI) against our own f32, 1 thread, per CPU-second")
    print("(wall clock in brackets); GFLOPS-equivalent = f32 FLOP count / int8 time, against")
    print("the s8s8 matmul peak oneDNN reaches here (per CPU-second)")
    hdr = "batch | ours f32  | ours int8 | int8 x f32 | int8 x f32 (wall) | int8 GFLOPS-eq / s8s8 peak"
    print(hdr)
    print("-" * len(hdr))
    ipeak = max(p[1].get("int8 cpu", 0) for p in passes)
    for b in (1, 8):
        of, oi = ov("f32", b, 1, "cpu"), ov("int8", b, 1, "cpu")
        wf, wi = ov("f32", b, 1, "wall"), ov("int8", b, 1, "wall")
        gi = ov("int8", b, 1, "cpu_gflops")
        print(f"{b:5d} | {span(of):9s} | {span(oi):9s} | {span([i / f for i, f in zip(oi, of)]):10s} | "
              f"{span([i / f for i, f in zip(wi, wf)]):17s} | "
              f"{span(gi, '{:.0f}')} / {ipeak:.0f} = {span([100 * g / ipeak for g in gi], '{:.0f}')}%")
    print()
    print("f32 matmul peak, best of 2048^3 and 1576x768x3072 (GFLOPS):",
          {t: round(max(p[1][t] for p in passes), 1) for t in threads},
          "per CPU-second (1 thread):", round(max(p[1]["cpu"] for p in passes), 1))
    print("PyTorch runs, images/s (per CPU-second):")
    for r in torch:
        print(f"  {r['label']:14s} {r['dtype']:4s} batch {r['batch']} threads {r['threads']}: "
              f"{r['images_per_s']:.2f} ({r['images_per_cpu_s']:.2f})")
    print("s8s8 matmul peak, 1 thread (GFLOPS):", round(max(p[1].get("int8", 0) for p in passes), 1),
          "per CPU-second:", round(ipeak, 1))
    print("targets: f32 >= 1.3x pt best f32; bf16 >= 1.5x pt bf16 and >= 4x pt best f32; "
          "f32 GFLOPS >= 60% of the matmul peak; int8 >= 2x ours f32 at batch 8, 1 thread")


if __name__ == "__main__":
    main()
