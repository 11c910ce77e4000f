#include "planner/simulator.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <queue>

#include "planner/cost_model.hpp"

namespace edgepipe::planner {

namespace {

// When a transfer of `bytes` that starts at `start` ends, walking the trace.
double transfer_end(const sim_link& link, double start, double bytes) {
  const auto& tr = link.trace_mbps;
  size_t seg = 0;
  while (seg + 1 < tr.size() && tr[seg + 1].first <= start) ++seg;
  double t = start, left = bytes;
  for (;;) {
    double rate = tr[seg].second * bits_per_mbit / 8; // bytes/s
    double seg_end = seg + 1 < tr.size() ? tr[seg + 1].first : INFINITY;
    if (rate > 0) {
      double done_at = t + left / rate;
      if (done_at <= seg_end) return done_at;
      left -= (seg_end - t) * rate;
    } else if (seg_end == INFINITY) {
      return INFINITY; // the link is down for good
    }
    t = seg_end;
    ++seg;
  }
}

struct event {
  double time;
  int kind; // 0 = compute done, 1 = transfer done
  int where;
  int mb;
  long seq;         // FIFO among equal times
  long version = 0; // compute events: stale once the stage's speed changed
  bool operator>(const event& o) const { return time != o.time ? time > o.time : seq > o.seq; }
};

} // namespace

expected<sim_result> simulate(const sim_config& c) {
  const int S = static_cast<int>(c.compute_s.size());
  if (S == 0 || static_cast<int>(c.links.size()) != S - 1)
    return make_error(errc::invalid_argument, "simulate: need N stages and N-1 links");
  if (c.credits < 1 || c.microbatches < 1 || c.handoff < 0)
    return make_error(errc::invalid_argument,
                      "simulate: credits and microbatches must be >= 1, handoff >= 0");
  for (const auto& l : c.links)
    if (l.trace_mbps.empty())
      return make_error(errc::invalid_argument, "simulate: a link has an empty trace");
  const bool shared = !c.machine.empty();
  if (shared && static_cast<int>(c.machine.size()) != S)
    return make_error(errc::invalid_argument, "simulate: machine needs one entry per stage");
  for (int m : c.machine)
    if (m < 0 || m >= static_cast<int>(c.machine_cores.size()) || !(c.machine_cores[m] > 0))
      return make_error(errc::invalid_argument,
                        "simulate: a stage's machine has no core count > 0");
  if (!c.threads.empty() && static_cast<int>(c.threads.size()) != S)
    return make_error(errc::invalid_argument, "simulate: threads needs one entry per stage");
  for (int t : c.threads)
    if (t < 1) return make_error(errc::invalid_argument, "simulate: threads must be >= 1");

  sim_result r;
  r.issued_s.assign(c.microbatches, 0);
  r.finished_s.assign(c.microbatches, 0);
  std::priority_queue<event, std::vector<event>, std::greater<event>> events;
  long seq = 0;
  std::vector<std::deque<int>> inbox(S), outbox(S);
  std::vector<bool> computing(S, false), sending(S, false);
  // Per link k (unused for the last stage): K credits plus the results the
  // sender may hold for its encoder; the source likewise.
  std::vector<int> credits(S, c.credits + c.handoff);
  int source_credits = c.credits + c.handoff, issued = 0, finished = 0;
  double now = 0;

  // Compute in progress: work left (seconds at the stage's own speed), the
  // speed now (1 = alone), when that was last brought up to date.
  std::vector<double> left(S, 0), speed(S, 1), since(S, 0);
  std::vector<int> current(S, -1);
  std::vector<long> version(S, 0);
  std::vector<double> started(S, 0), wall(S, 0);
  auto threads_of = [&](int k) { return c.threads.empty() ? 1 : c.threads[k]; };
  auto on_machine_of = [&](int k) {
    std::vector<int> v;
    for (int j = 0; j < S; ++j)
      if (j == k || (shared && c.machine[j] == c.machine[k])) v.push_back(j);
    return v;
  };
  // Before the busy set of k's machine changes: the work done at the old speeds.
  auto settle = [&](int k) {
    for (int j : on_machine_of(k))
      if (computing[j]) {
        left[j] = std::max(0.0, left[j] - (now - since[j]) * speed[j]);
        since[j] = now;
      }
  };
  // After it changed: new speeds and completion times for its busy stages.
  auto reschedule = [&](int k) {
    const std::vector<int> same = on_machine_of(k);
    double wanted = 0;
    for (int j : same)
      if (computing[j]) wanted += threads_of(j);
    const double cores = shared ? c.machine_cores[c.machine[k]] : INFINITY;
    for (int j : same)
      if (computing[j]) {
        speed[j] = wanted <= cores ? 1.0 : cores / wanted;
        events.push({now + left[j] / speed[j], 0, j, current[j], seq++, ++version[j]});
      }
  };

  std::function<void(int)> try_compute, try_send;
  auto try_issue = [&]() {
    while (source_credits > 0 && issued < c.microbatches) {
      --source_credits;
      r.issued_s[issued] = now;
      inbox[0].push_back(issued++);
    }
  };
  try_compute = [&](int k) {
    if (computing[k] || inbox[k].empty() || (k + 1 < S && credits[k] == 0)) return;
    int mb = inbox[k].front();
    inbox[k].pop_front();
    settle(k);
    computing[k] = true;
    current[k] = mb;
    left[k] = c.compute_s[k];
    since[k] = now;
    started[k] = now;
    reschedule(k);
    if (k + 1 < S) --credits[k];
    if (k == 0) {
      ++source_credits;
      try_issue();
    } else {
      ++credits[k - 1];
      try_compute(k - 1);
    }
  };
  try_send = [&](int k) {
    if (sending[k] || outbox[k].empty()) return;
    int mb = outbox[k].front();
    outbox[k].pop_front();
    sending[k] = true;
    events.push({transfer_end(c.links[k], now, c.links[k].bytes), 1, k, mb, seq++, 0});
  };

  try_issue();
  try_compute(0);
  while (!events.empty() && finished < c.microbatches) {
    event e = events.top();
    events.pop();
    if (e.kind == 0 && e.version != version[e.where]) continue; // its speed changed since
    now = e.time;
    if (std::isinf(now)) return make_error(errc::infeasible, "simulate: a link never recovers");
    if (e.kind == 0) {
      settle(e.where);
      computing[e.where] = false;
      wall[e.where] += now - started[e.where];
      reschedule(e.where);
      if (e.where + 1 == S) {
        r.finished_s[e.mb] = now;
        ++finished;
      } else {
        outbox[e.where].push_back(e.mb);
        try_send(e.where);
      }
      try_compute(e.where);
    } else {
      sending[e.where] = false;
      inbox[e.where + 1].push_back(e.mb);
      try_compute(e.where + 1);
      try_send(e.where);
    }
  }
  r.makespan_s = now;
  double lat = 0;
  for (int m = 0; m < c.microbatches; ++m) lat += r.finished_s[m] - r.issued_s[m];
  r.mean_latency_s = lat / c.microbatches;
  for (int k = 0; k < S; ++k) r.stage_wall_s.push_back(wall[k] / c.microbatches);
  int half = c.microbatches / 2;
  if (c.microbatches - 1 > half && r.finished_s.back() > r.finished_s[half])
    r.throughput = (c.microbatches - 1 - half) / (r.finished_s.back() - r.finished_s[half]);
  else
    r.throughput = c.microbatches / r.makespan_s;
  return r;
}

expected<sim_result> simulate_with_overhead(const sim_config& c) {
  double total_overhead = 0;
  for (double o : c.machine_overhead_s) {
    if (!(o >= 0))
      return make_error(errc::invalid_argument, "simulate: machine overhead must be >= 0");
    total_overhead += o;
  }
  if (total_overhead == 0) return simulate(c);
  if (c.machine_overhead_s.size() != c.machine_cores.size())
    return make_error(errc::invalid_argument,
                      "simulate: machine overhead needs one entry per machine");
  auto rate_of = [](const sim_result& r) { return r.finished_s.size() / r.makespan_s; };
  // The stages' cores when the pipeline runs at `rate` (never below 1% of
  // the machine: overhead that would take it all is a bound the bisection
  // reaches anyway).
  auto at_rate = [&](double rate) {
    sim_config x = c;
    for (size_t m = 0; m < x.machine_cores.size(); ++m)
      x.machine_cores[m] =
          std::max(0.01 * c.machine_cores[m], c.machine_cores[m] - c.machine_overhead_s[m] * rate);
    return simulate(x);
  };
  // g(R) = simulated rate at R's cores - R falls as R grows; g(0) >= 0 and
  // g(free rate) <= 0, so the root lies between.
  auto free = simulate(c);
  if (!free) return free;
  double lo = 0, hi = rate_of(*free);
  for (int i = 0; i < 40 && hi - lo > 1e-4 * hi; ++i) {
    const double mid = (lo + hi) / 2;
    auto r = at_rate(mid);
    if (!r) return r;
    (rate_of(*r) >= mid ? lo : hi) = mid;
  }
  return at_rate(lo);
}

sim_config sim_config_for(const instance& inst, const plan& p, int credits, int microbatches) {
  sim_config c;
  c.credits = credits;
  c.microbatches = microbatches;
  for (size_t k = 0; k < p.stages.size(); ++k) {
    c.compute_s.push_back(p.stages[k].compute_s);
    if (k + 1 < p.stages.size()) {
      int from = p.stages[k].device, to = p.stages[k + 1].device;
      sim_link l;
      l.bytes = static_cast<double>(transfer_bytes(inst, p.stages[k].last, from, to));
      l.trace_mbps = {{0.0, link_mbps(inst, from, to)}};
      c.links.push_back(l);
    }
  }
  return c;
}

std::vector<sim_sample> timeline(const sim_result& r, int window) {
  std::vector<int> order(r.finished_s.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return r.finished_s[a] < r.finished_s[b]; });
  std::vector<sim_sample> out;
  for (size_t n = 0; n < order.size(); ++n) {
    int m = order[n];
    sim_sample s;
    s.time_s = r.finished_s[m];
    s.microbatch = m;
    s.latency_s = r.finished_s[m] - r.issued_s[m];
    if (n >= 1) {
      size_t back = std::min<size_t>(n, static_cast<size_t>(window));
      double dt = s.time_s - r.finished_s[order[n - back]];
      s.throughput = dt > 0 ? back / dt : 0;
    }
    out.push_back(s);
  }
  return out;
}

} // namespace edgepipe::planner
