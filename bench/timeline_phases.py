"""Per-phase numbers from an `edgepipe run` timeline (docs/timeline.md) and
its --predictions file: what bench/quantpipe.sh and bench/replan.sh tabulate.

Plain Python 3, standard library only. A phase is a time span [a, b) in the
timeline's seconds. Throughput over a phase comes from the throughput
records' `answered` (microbatches answered since the start, cumulative),
interpolated linearly between records, not from their `images_per_s` (a
3-second sliding window that blurs a 2-second recovery). The sink answers in
order, so the microbatches answered in [a, b) are answered(a)..answered(b) of
the workload, and their predictions can be scored against the labels.
"""
import gzip
import json
import os
import struct


def read_timeline(path):
    with open(path) as f:
        records = [json.loads(line) for line in f if line.strip()]
    records.sort(key=lambda r: r["t"])
    return records


def throughput_points(records):
    """(t, answered) pairs, starting at (0, 0), answered never decreasing."""
    pts = [(0.0, 0)]
    for r in records:
        if r["kind"] == "throughput":
            pts.append((r["t"], max(r["answered"], pts[-1][1])))
    return pts


def pipeline_start(records):
    """The first throughput record's time: the pipeline is deployed and the
    source has started (deploying takes a few seconds after t = 0)."""
    return next((r["t"] for r in records if r["kind"] == "throughput"), 0.0)


def run_end(records):
    """The last throughput record's time: where the last phase ends."""
    pts = throughput_points(records)
    return pts[-1][0]


def answered_at(pts, t):
    """Microbatches answered by time t (linear between records)."""
    if t <= pts[0][0]:
        return float(pts[0][1])
    for (t0, a0), (t1, a1) in zip(pts, pts[1:]):
        if t <= t1:
            if t1 == t0:
                return float(a1)
            return a0 + (a1 - a0) * (t - t0) / (t1 - t0)
    return float(pts[-1][1])


def images_per_s(pts, a, b, microbatch):
    if b <= a:
        return float("nan")
    return (answered_at(pts, b) - answered_at(pts, a)) * microbatch / (b - a)


def interval_rates(pts, a, b, microbatch):
    """(t_end, images/s) over each record interval that ends in (a, b]."""
    out = []
    for (t0, a0), (t1, a1) in zip(pts, pts[1:]):
        if a < t1 <= b and t1 > t0:
            lo = max(t0, a)
            out.append((t1, (a1 - answered_at(pts, lo)) * microbatch / (t1 - lo)))
    return out


def recovery_s(pts, drop_t, end_t, target, microbatch, fraction=0.9):
    """Seconds from drop_t until throughput is back at >= fraction x target
    for good (every record interval from then to end_t); None if never.
    Resolution: the record interval (about 1 s)."""
    rates = interval_rates(pts, drop_t, end_t, microbatch)
    for i, (t, _) in enumerate(rates):
        if all(r >= fraction * target for _, r in rates[i:]):
            # The interval that ends at t is good; it started one interval before.
            start = rates[i - 1][0] if i > 0 else drop_t
            return max(0.0, start - drop_t)
    return None


def bits_share(records, link, a, b):
    """{bits: seconds} the link spent at each bitwidth in [a, b), from its
    link records (each bitwidth holds until the next record)."""
    samples = [(r["t"], r["bits"]) for r in records if r["kind"] == "link" and r["link"] == link]
    share = {}
    for i, (t, bits) in enumerate(samples):
        t_next = samples[i + 1][0] if i + 1 < len(samples) else b
        lo, hi = max(t, a), min(t_next, b)
        if hi > lo:
            share[bits] = share.get(bits, 0.0) + hi - lo
    return share


def bits_text(share):
    total = sum(share.values())
    if not total:
        return "-"
    parts = []
    for bits in sorted(share, key=lambda b: (b == 0, b)):
        pct = 100 * share[bits] / total
        if pct >= 1:
            parts.append("%s: %d%%" % ("fp32" if bits == 0 else bits, round(pct)))
    return ", ".join(parts)


def mode_bits(share):
    return max(share, key=share.get) if share else None


def read_labels(dataset, split, count):
    prefix = "train" if split == "train" else "t10k"
    for name in (prefix + "-labels-idx1-ubyte.gz", prefix + "-labels-idx1-ubyte"):
        path = os.path.join(dataset, name)
        if os.path.exists(path):
            opener = gzip.open if name.endswith(".gz") else open
            with opener(path, "rb") as f:
                magic, n = struct.unpack(">II", f.read(8))
                if magic != 2049:
                    raise ValueError("%s: not an IDX label file (magic %d)" % (path, magic))
                labels = list(f.read(n))
            return labels[:count] if count > 0 else labels
    raise FileNotFoundError("%s: no %s-labels-idx1-ubyte[.gz]" % (dataset, prefix))


def read_predictions(path):
    with open(path) as f:
        return [int(line) for line in f if line.strip()]


def accuracy(predictions, labels, first, last):
    """Top-1 over images [first, last) that were answered; (acc, n)."""
    n = correct = 0
    for i in range(first, min(last, len(predictions), len(labels))):
        if predictions[i] >= 0:
            n += 1
            correct += predictions[i] == labels[i]
    return (correct / n if n else float("nan")), n


def image_range(pts, a, b, microbatch):
    """Images answered in [a, b): whole microbatches, in workload order."""
    return (int(round(answered_at(pts, a))) * microbatch,
            int(round(answered_at(pts, b))) * microbatch)


def plans(records):
    return [r for r in records if r["kind"] == "plan"]
