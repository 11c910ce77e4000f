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
    """(name, a, b, mbps) per phase; the last ends with the run."""
    trace = params["trace"]
    out = []
    for i, (t, mbps) in enumerate(trace):
        b = trace[i + 1][0] if i + 1 < len(trace) else tp.run_end(records)
        out.append((params["phases"][i], float(t), float(b), mbps))
    return out


def steady_mode_bits(params, records):
    """Per phase, the bitwidth the adaptive link held longest after SETTLE_S."""
    out = []
    for name, a, b, _ in phases(params, records):
        share = tp.bits_share(records, params["link"], min(a + SETTLE_S, b), b)
        out.append(tp.mode_bits(share))
    return out


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

    print("Throughput per phase, images/s (%% of the %g images/s target); the phase "
          "without its first %g s in brackets." % (target, SETTLE_S))
    print()
    print("| phase | time s | link Mbit/s | " + " | ".join(t for _, t in VARIANTS) +
          " | adaptive bits (share of phase) |")
    print("|---|---|---:|" + "---:|" * len(VARIANTS) + "---|")
    for i, (name, a, b, mbps) in enumerate(phases(params, ad)):
        cells = []
        for v, _ in VARIANTS:
            # Each run's own last phase ends with that run.
            end = b if i + 1 < len(params["trace"]) else tp.run_end(runs[v])
            whole = tp.images_per_s(pts[v], a, end, mb)
            steady = tp.images_per_s(pts[v], min(a + SETTLE_S, end), end, mb)
            cells.append("%s (%s%%) [%s]" % (fmt(whole, 0), fmt(100 * whole / target, 0),
                                              fmt(steady, 0)))
        share = tp.bits_share(ad, params["link"], a, b)
        print("| %s | %g-%g | %g | %s | %s |" % (name, a, b, mbps, " | ".join(cells),
                                                tp.bits_text(share)))
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
            end = b if b is not None else tp.run_end(runs[v])
            r = tp.recovery_s(pts[v], a, end, target, mb)
            cells.append("never" if r is None else "%.1f s" % r)
        print("| %g s | %g -> %g | %s |" % (a, trace[i - 1][1], trace[i][1], " | ".join(cells)))
    print()

    modes = steady_mode_bits(params, ad)
    print("Accuracy per phase on the images each run answered in it (top-1, %). "
          "'same images' scores the fixed runs' predictions on exactly the images "
          "the adaptive run answered in the phase; 'fixed b' is a fixed-bit run at "
          "the bitwidth the adaptive link held longest in the phase (after its "
          "first %g s)." % SETTLE_S)
    print()
    print("| phase | images | adaptive | fixed fp32 | fixed 8-bit | adaptive, same images "
          "| fixed fp32, same images | fixed 8-bit, same images | b | fixed b, same images "
          "| adaptive >= fixed b |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for i, (name, a, b, _) in enumerate(phases(params, ad)):
        own = []
        for v, _ in VARIANTS:
            end = b if i + 1 < len(trace) else tp.run_end(runs[v]) + 1
            lo, hi = tp.image_range(pts[v], a, end, mb)
            acc, _ = tp.accuracy(preds.get(v, []), labels, lo, hi)
            own.append(fmt(100 * acc, 2))
        lo, hi = tp.image_range(pts["adaptive"], a, b if i + 1 < len(trace) else b + 1, mb)
        same = []
        for v in ("adaptive", "fp32", "8bit"):
            acc, n = tp.accuracy(preds.get(v, []), labels, lo, hi)
            same.append(acc)
        ref_key = {0: "fp32", 8: "8bit"}.get(modes[i], "ref-%s" % modes[i])
        ref, _ = tp.accuracy(preds.get(ref_key, []), labels, lo, hi)
        met = "n/a" if math.isnan(ref) or math.isnan(same[0]) else (
            "yes" if same[0] >= ref else "no (%d images)" % round((ref - same[0]) * n))
        print("| %s | %d..%d | %s | %s | %s | %s | %s | %s | %s |" % (
            name, lo, hi - 1, " | ".join(own), " | ".join(fmt(100 * x, 2) for x in same),
            "fp32" if modes[i] == 0 else modes[i], fmt(100 * ref, 2), met, ""))
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
