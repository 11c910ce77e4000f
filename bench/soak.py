#!/usr/bin/python3
"""soak.py: 10,000 microbatches through three edgepipe nodes while things go wrong.

The shipped Fashion-MNIST ViT split over nodes a, b, c (started here, so they
can be killed, stopped and restarted), float32 links, so a re-partition can
never change a prediction. During the run:
  - the link a -> b follows a trace (80 -> 20 -> 80 Mbit/s, repeating);
  - once KILL_AT microbatches are answered, node b is killed (-9); once the
    run has noticed, b is restarted on its address (it rejoins);
  - once STOP_AT microbatches are answered, node c is stopped (SIGSTOP);
    once the run has noticed, it is resumed (SIGCONT) and rejoins.
Reported: throughput, latency percentiles, requests lost and duplicated
(both must be 0), the count of correct predictions against `edgepipe eval`
on the same images, each fault's interruption, and every process's memory:
resident (VmRSS) and peak (VmHWM) early in the run and at its end, and the
largest resident size seen while a node was gone.

  bench/soak.py [EDGEPIPE] [--keep DIR]
  Environment: MICROBATCHES (10000), KILL_AT (2500), STOP_AT (6000).
Exit code 0 when nothing was lost or duplicated and the predictions equal
eval's; 1 otherwise.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join(REPO, "examples/models/fashion-vit")
DATA = "/usr/share/datasets/fashion-mnist"


def log(*a):
    print("[soak]", *a, file=sys.stderr, flush=True)


def start_node(edgepipe, name, port=0):
    p = subprocess.Popen(
        [edgepipe, "node", "--listen", f"127.0.0.1:{port}", "--name", name,
         "--model-root", MODEL, "--heartbeat-interval-s", "0.25", "--heartbeat-timeout-s", "1.5"],
        stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()  # "edgepipe node NAME listening on HOST:PORT"
    if " listening on " not in line:
        raise RuntimeError(f"node {name} did not start: {line!r}")
    return p, int(line.rsplit(":", 1)[1])


def memory_mb(pid):
    """(VmRSS, VmHWM) in MB, or None once the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            fields = dict(l.split(":", 1) for l in f if ":" in l)
        return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)
    except (OSError, KeyError, ValueError):
        return None


def read_timeline(path):
    out = []
    try:
        with open(path) as f:
            for line in f:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass  # the line being written
    except OSError:
        pass
    return out


def main():
    args = [a for a in sys.argv[1:]]
    keep = None
    if "--keep" in args:
        i = args.index("--keep")
        keep = args[i + 1]
        del args[i:i + 2]
    if args and args[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    edgepipe = args[0] if args else os.path.join(REPO, "build/cli/edgepipe")
    microbatches = int(os.environ.get("MICROBATCHES", "10000"))
    kill_at = int(os.environ.get("KILL_AT", "2500"))
    stop_at = int(os.environ.get("STOP_AT", "6000"))
    work = keep or tempfile.mkdtemp(prefix="ep-soak.")
    os.makedirs(work, exist_ok=True)
    procs = {}
    run = None
    try:
        for name in "abc":
            procs[name] = start_node(edgepipe, name)
        ports = {n: procs[n][1] for n in procs}
        topology = os.path.join(work, "soak.yaml")
        with open(topology, "w") as f:
            f.write(f"""name: soak-3
nodes:
  - {{name: a, address: 127.0.0.1:{ports['a']}, threads: 1}}
  - {{name: b, address: 127.0.0.1:{ports['b']}, threads: 1}}
  - {{name: c, address: 127.0.0.1:{ports['c']}, threads: 1}}
model:
  dir: {MODEL}
partition:
  - {{node: a, layers: [1, 8]}}
  - {{node: b, layers: [9, 16]}}
  - {{node: c, layers: [17, 24]}}
quantization:
  bits: 0
links:
  rate_mbps: 80
  overrides:
    - {{from: a, to: b, trace: [[0, 80], [10, 20], [20, 80]], repeat_every_s: 30}}
workload:
  dataset: {DATA}
  count: {microbatches}
  microbatch: 1
  window: 2
runtime:
  heartbeat_interval_s: 0.25
  heartbeat_timeout_s: 1.5
  rejoin_interval_s: 0.25
""")
        timeline = os.path.join(work, "timeline.jsonl")
        predictions = os.path.join(work, "predictions.txt")
        out_path = os.path.join(work, "run.out")
        err_path = os.path.join(work, "run.err")
        with open(out_path, "w") as out, open(err_path, "w") as err:
            run = subprocess.Popen([edgepipe, "run", topology, "--json", "--quiet",
                                    "--timeline", timeline, "--predictions", predictions],
                                   stdout=out, stderr=err,
                                   stdin=subprocess.DEVNULL)
        pids = {"run": run.pid, "a": procs["a"][0].pid, "b": procs["b"][0].pid,
                "c": procs["c"][0].pid}
        early, late, outage_peak = {}, {}, {}
        killed = stopped = False
        b_restarted = c_resumed = False
        gone = set()
        t0 = time.time()
        while run.poll() is None:
            recs = read_timeline(timeline)
            answered = max([r.get("answered", 0) for r in recs if r.get("kind") == "throughput"],
                           default=0)
            faults = " ".join(r.get("text", "") for r in recs if r.get("kind") == "fault")
            for who, pid in pids.items():
                m = memory_mb(pid)
                if m is None:
                    continue
                if answered >= 200 and who not in early:
                    early[who] = m
                late[who] = m
                if gone:
                    outage_peak[who] = max(outage_peak.get(who, 0), m[0])
            if not killed and answered >= kill_at:
                log(f"{answered} answered: kill -9 b")
                procs["b"][0].kill()
                procs["b"][0].wait()
                killed = True
                gone.add("b")
            if killed and not b_restarted and "'b' lost" in faults:
                log("b noticed lost: restarting it on its address")
                procs["b"] = start_node(edgepipe, "b", ports["b"])
                pids["b2"] = procs["b"][0].pid
                b_restarted = True
                gone.discard("b")
            if not stopped and answered >= stop_at:
                log(f"{answered} answered: SIGSTOP c")
                os.kill(procs["c"][0].pid, signal.SIGSTOP)
                stopped = True
                gone.add("c")
            if stopped and not c_resumed and "'c' lost" in faults:
                log("c noticed lost: SIGCONT")
                os.kill(procs["c"][0].pid, signal.SIGCONT)
                c_resumed = True
                gone.discard("c")
            time.sleep(0.2)
        if stopped and not c_resumed:
            os.kill(procs["c"][0].pid, signal.SIGCONT)
        wall = time.time() - t0
        with open(out_path) as f:
            lines = [l for l in f.read().splitlines() if l.startswith("{")]
        if run.returncode != 0 or not lines:
            log(f"edgepipe run exited {run.returncode}; see {err_path}")
            with open(err_path) as f:
                sys.stderr.write(f.read()[-3000:])
            return 1
        j = json.loads(lines[-1])
        ev = subprocess.run([edgepipe, "eval", "--model", MODEL, "--data", DATA, "--limit",
                             str(microbatches), "--microbatch", "1", "--json"],
                            capture_output=True, text=True)
        correct_eval = json.loads(ev.stdout.strip().splitlines()[-1])["correct"]
        correct_run = round(j["accuracy"] * j["images"])
        print(f"soak: {j['requests']} microbatches of 1 image over 3 nodes, {wall:.1f} s wall")
        # Deliveries (the sink's count) against distinct images answered (the
        # predictions by image): any excess is a microbatch delivered twice.
        # A repeat arrival (a replay of one answered just before a switch) is
        # dropped by the sink and counted in 'duplicates' instead.
        with open(predictions) as f:
            distinct = sum(1 for l in f if l.strip() and int(l) >= 0)
        twice = j["answered"] - distinct
        print(f"  answered {j['answered']} of {j['requests']}, lost {j['lost']}, answered twice "
              f"{twice} (repeat arrivals dropped: {j['duplicates']}), stale dropped "
              f"{j['stale_dropped']}, replayed {j['replayed']}, given up {len(j['given_up'])}")
        print(f"  throughput {j['images_per_s']:.1f} images/s; latency p50 "
              f"{j['latency_ms']['p50']:.2f} ms, p99 {j['latency_ms']['p99']:.2f} ms")
        print(f"  correct {correct_run} (eval: {correct_eval})")
        for f in j["faults"]:
            print(f"  fault at {f['t']:.2f} s: node {f['node']} ({f['cause']}); recovery epoch "
                  f"{f['recovery_epoch']}, output interrupted {f['interruption_ms']} ms, "
                  f"rejoined at {f['rejoined_t']} s")
        print(f"  plan changes {len(j['plan_changes'])}")
        print("  memory MB (resident / peak): early in the run -> at the end; "
              "largest resident while a node was gone")
        for who in pids:
            e, l = early.get(who), late.get(who)
            fmt = lambda m: f"{m[0]:.0f} / {m[1]:.0f}" if m else "-"
            print(f"    {who:4s} {fmt(e):>12s} -> {fmt(l):>12s};  {outage_peak.get(who, 0):.0f}")
        ok = (j["lost"] == 0 and twice == 0 and j["answered"] == j["requests"]
              and not j["given_up"]
              and j["duplicates"] <= j["replayed"] and correct_run == correct_eval)
        print("soak: " + ("PASS" if ok else "FAIL"))
        return 0 if ok else 1
    finally:
        if run is not None and run.poll() is None:
            run.terminate()
            run.wait()
        for p, _ in procs.values():
            try:
                os.kill(p.pid, signal.SIGCONT)
            except OSError:
                pass
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        if keep is None:
            subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    sys.exit(main())
