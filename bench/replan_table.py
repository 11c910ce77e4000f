"""The replan table from bench/replan.sh's runs (see that script).

  replan_table.py WORK

WORK holds, per run R (e.g. slow-node-replan, slow-node-fixed), R.jsonl (the
timeline), R.json (the --json line) and R.events.json: {"scenario": text,
"start": s, "end": s} — when the slowdown (a CPU quota, or the link's drop)
began and ended, in the timeline's seconds.
"""
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import timeline_phases as tp  # noqa: E402


def fmt(x, digits=0):
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else "%.*f" % (digits, x)


def plan_text(p):
    return " ".join("%s[%d..%d]" % (s["node"], s["first"], s["last"]) for s in p["stages"])


def bits_text(p):
    return ",".join("fp32" if b == 0 else str(b) for b in p["bits"][:-1]) or "-"


def run_rows(work, name):
    records = tp.read_timeline(os.path.join(work, name + ".jsonl"))
    with open(os.path.join(work, name + ".events.json")) as f:
        ev = json.load(f)
    with open(os.path.join(work, name + ".json")) as f:
        summary = json.load(f)
    mb = summary["microbatch"]
    pts = tp.throughput_points(records)
    end = tp.run_end(records)
    a, b = ev["start"], ev["end"]
    changes = [p for p in tp.plans(records) if p["epoch"] > 1]
    first_switch = next((p for p in changes if a <= p["t"] < b), None)
    row = {
        "name": name,
        "scenario": ev["scenario"],
        "replan": ev["replan"],
        "slow": (a, b),
        "before": tp.images_per_s(pts, 0.0, a, mb),
        # skip the run's first second: the pipeline fills
        "before_steady": tp.images_per_s(pts, min(tp.pipeline_start(records) + 1.0, a), a, mb),
        "during": tp.images_per_s(pts, a, b, mb),
        "after": tp.images_per_s(pts, b, end, mb),
        "end": end,
        "changes": changes,
        "lost": summary["lost"],
        "accuracy": summary["accuracy"],
        "replayed": summary.get("replayed"),
        "stale": summary.get("stale_dropped"),
    }
    if first_switch:
        settled = first_switch["t"] + (first_switch.get("pause_ms") or 0) / 1e3
        row["switch_after_s"] = first_switch["t"] - a
        row["during_after_switch"] = tp.images_per_s(pts, min(settled + 1.0, b), b, mb)
    return row


def main(work):
    names = [n[:-len(".events.json")] for n in os.listdir(work) if n.endswith(".events.json")]
    rows = sorted((run_rows(work, n) for n in names),
                  key=lambda r: (r["scenario"], not r["replan"]))
    print("Throughput, images/s, from the timeline's answered counts: 'before' from "
          "1 s after the pipeline's start to the slowdown, 'during' the slowdown, 'during, re-planned' from 1 s "
          "after the end of the first switch made during the slowdown to its end, "
          "'after' from the slowdown's end to the run's. Pauses: each switch's "
          "pause_ms, in order.")
    print()
    print("| scenario | replan | before | during | during, re-planned | after | "
          "switches before / during / after | first switch after the slowdown began | "
          "pauses | lost |")
    print("|---|---|---:|---:|---:|---:|---|---:|---|---:|")
    for r in rows:
        a, b = r["slow"]
        counts = "%d / %d / %d" % (sum(p["t"] < a for p in r["changes"]),
                                   sum(a <= p["t"] < b for p in r["changes"]),
                                   sum(p["t"] >= b for p in r["changes"]))
        pauses = ", ".join(fmt(p.get("pause_ms"), 0) for p in r["changes"])
        switch = ("%.1f s" % r["switch_after_s"]) if "switch_after_s" in r else "-"
        print("| %s, %g-%g s | %s | %s | %s | %s | %s | %s | %s | %s | %d |" % (
            r["scenario"], a, b, "true" if r["replan"] else "false",
            fmt(r["before_steady"]), fmt(r["during"]), fmt(r.get("during_after_switch")),
            fmt(r["after"]), counts, switch, (pauses + " ms") if pauses else "-", r["lost"]))
    print()
    print("The plans:")
    print()
    for r in rows:
        print("- %s, replan %s:" % (r["scenario"], "true" if r["replan"] else "false"))
        if not r["changes"]:
            print("  no change")
        for p in r["changes"]:
            print("  - t %.1f s, epoch %d: %s, bits %s, pause %s ms; %s" % (
                p["t"], p["epoch"], plan_text(p), bits_text(p), fmt(p.get("pause_ms"), 1),
                p["reason"]))
        print("  (accuracy %s, replayed %s, stale dropped %s)" % (
            fmt(100 * r["accuracy"], 2) if r["accuracy"] is not None else "n/a",
            r["replayed"], r["stale"]))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
