"""The QuantPipe tables from bench/quantpipe.sh's runs (see that script).

  quantpipe_table.py bits-needed WORK   the bitwidths whose fixed-bit
                                        reference runs the table needs
  quantpipe_table.py table WORK         the markdown tables (stdout)

WORK holds, per variant V (adaptive, fp32, 8bit, and ref-B for fixed B-bit
reference runs on unlimited links), V.jsonl (timeline), V.pred
(predictions), V.json (the --json line); and params.json: trace
[[t, mbps], ...], phase names, target images/s, microbatch, dataset, split,
count, the traced link's index.
"""
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import timeline_phases as tp  # noqa: E402

SETTLE_S = 2.0  # the target allows 2 s to recover after a drop
VARIANTS = [("adaptive", "adaptive 2..16"), ("fp32", "fixed fp32"), ("8bit", "fixed 8-bit")]


def load(work):
    with open(os.path.join(work, "params.json")) as f:
        params = json.load(f)
    runs = {}
    for v, _ in VARIANTS:
        runs[v] = tp.read_timeline(os.path.join(work, v + ".jsonl"))
    return params, runs


def phases(params, records):
    """(index, a, b, mbps) per phase of the trace, cut to this run: the first
    starts with the pipeline (deploying takes a few seconds after t = 0), the
    last ends with the run, a phase the run did not reach is left out."""
    trace = params["trace"]
    start, end = tp.pipeline_start(records), tp.run_end(records)
    out = []
    for i, (t, mbps) in enumerate(trace):
        a = max(float(t), start)
        b = min(float(trace[i + 1][0]), end) if i + 1 < len(trace) else end
        if b > a:
            out.append((i, a, b, mbps))
    return out


def steady(a, b):
    """The part of a phase after the SETTLE_S the target allows to adapt."""
    return min(a + SETTLE_S, b), b


def steady_mode_bits(params, records):
    """Per phase, the bitwidth the adaptive link held longest after SETTLE_S."""
    return [tp.mode_bits(tp.bits_share(records, params["link"], *steady(a, b)))
            for _, a, b, _ in phases(params, records)]


def fmt(x, digits=1):
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else "%.*f" % (digits, x)


def table(work):
    params, runs = load(work)
    mb, target = params["microbatch"], params["target_images_per_s"]
    labels = tp.read_labels(params["dataset"], params["split"], params["count"])
    preds = {}
    for name in os.listdir(work):
        if name.endswith(".pred"):
            preds[name[:-5]] = tp.read_predictions(os.path.join(work, name))
    pts = {v: tp.throughput_points(runs[v]) for v, _ in VARIANTS}
    ad = runs["adaptive"]

    print("Throughput per phase, images/s (%% of the %g images/s target); in "
          "brackets the phase without its first %g s. The first phase counts from "
          "the pipeline's start (deploying the stages takes the first %.1f s)." % (
              target, SETTLE_S, tp.pipeline_start(ad)))
    print()
    print("| phase | link Mbit/s | " + " | ".join(t for _, t in VARIANTS) +
          " | adaptive bits (share of the phase) |")
    print("|---|---:|" + "---:|" * len(VARIANTS) + "---|")
    own = {v: {i: (a, b) for i, a, b, _ in phases(params, runs[v])} for v, _ in VARIANTS}
    for i, (t, mbps) in enumerate(params["trace"]):
        name = params["phases"][i]
        cells = []
        for v, _ in VARIANTS:
            if i not in own[v]:
                cells.append("(run over)")
                continue
            a, b = own[v][i]
            whole = tp.images_per_s(pts[v], a, b, mb)
            calm = tp.images_per_s(pts[v], *steady(a, b), mb)
            cells.append("%s (%s%%) [%s]" % (fmt(whole, 0), fmt(100 * whole / target, 0),
                                              fmt(calm, 0)))
        a, b = own["adaptive"].get(i, (0, 0))
        trace = params["trace"]
        label = "%s, %g-%s s" % (name, t, "%g" % trace[i + 1][0] if i + 1 < len(trace) else "end")
        print("| %s | %g | %s | %s |" % (label, mbps, " | ".join(cells),
                                         tp.bits_text(tp.bits_share(ad, params["link"], a, b))))
    print()

    print("After each drop of the link: seconds until every 1 s interval of the "
          "phase is at >= 90%% of the target (%g images/s); 'never' if the phase "
          "does not get there." % (0.9 * target))
    print()
    print("| drop at | Mbit/s | " + " | ".join(t for _, t in VARIANTS) + " |")
    print("|---:|---|" + "---:|" * len(VARIANTS))
    trace = params["trace"]
    for i in range(1, len(trace)):
        if trace[i][1] >= trace[i - 1][1]:
            continue
        a = float(trace[i][0])
        b = float(trace[i + 1][0]) if i + 1 < len(trace) else None
        cells = []
        for v, _ in VARIANTS:
            end = min(b, tp.run_end(runs[v])) if b is not None else tp.run_end(runs[v])
            r = tp.recovery_s(pts[v], a, end, target, mb) if end > a else None
            cells.append("(run over)" if end <= a else "never" if r is None else "%.1f s" % r)
        print("| %g s | %g -> %g | %s |" % (a, trace[i - 1][1], trace[i][1], " | ".join(cells)))
    print()

    modes = steady_mode_bits(params, ad)
    print("Accuracy per phase (top-1, %%) on the images the adaptive run answered in "
          "the phase after its first %g s (the microbatches in flight at a change "
          "were encoded in the phase before). A fixed-bit run's prediction for an "
          "image does not depend on when it ran (each microbatch is quantized from "
          "its own values), so the fixed runs are scored on the same images. b: "
          "the bitwidth the adaptive link held longest in that part of the phase; "
          "'fixed b': a run with the link fixed at b." % SETTLE_S)
    print()
    print("| phase | images | adaptive | fixed fp32 | fixed 8-bit | b | fixed b "
          "| adaptive - fixed b |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    all_phases = phases(params, ad)
    for i, (k, a, b, _) in enumerate(all_phases):
        name = params["phases"][k]
        last = k + 1 == len(trace)
        a, b = steady(a, b)
        lo, hi = tp.image_range(pts["adaptive"], a, b + 1 if last else b, mb)
        acc = {}
        for v in ("adaptive", "fp32", "8bit"):
            acc[v], n = tp.accuracy(preds.get(v, []), labels, lo, hi)
        ref_key = {0: "fp32", 8: "8bit"}.get(modes[i], "ref-%s" % modes[i])
        ref, _ = tp.accuracy(preds.get(ref_key, []), labels, lo, hi)
        if math.isnan(ref) or math.isnan(acc["adaptive"]):
            diff = "n/a"
        else:
            diff = "%+.2f (%+d images)" % (100 * (acc["adaptive"] - ref),
                                          round((acc["adaptive"] - ref) * n))
        print("| %s | %d..%d | %s | %s | %s | %s | %s | %s |" % (
            name, lo, hi - 1, fmt(100 * acc["adaptive"], 2), fmt(100 * acc["fp32"], 2),
            fmt(100 * acc["8bit"], 2), "fp32" if modes[i] == 0 else modes[i],
            fmt(100 * ref, 2), diff))
    print()
    for v, title in VARIANTS:
        with open(os.path.join(work, v + ".json")) as f:
            j = json.load(f)
        print("- %s: %d images in %.1f s (%.0f images/s), accuracy %.2f%%, lost %d" % (
            title, j["images"], j["elapsed_s"], j["images_per_s"], 100 * (j["accuracy"] or 0),
            j["lost"]))


def bits_needed(work):
    params, runs = load(work)
    needed = sorted({b for b in steady_mode_bits(params, runs["adaptive"])
                     if b is not None and b not in (0, 8)})
    print(" ".join(str(b) for b in needed))


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("bits-needed", "table"):
        sys.exit(__doc__)
    (bits_needed if sys.argv[1] == "bits-needed" else table)(sys.argv[2])
