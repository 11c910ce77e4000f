#include "runtime/timeline_series.hpp"

#include <algorithm>
#include <cmath>

namespace edgepipe::runtime {

namespace {

// A total order on records, so shuffled input draws the same picture: time,
// then kind, then link / stage / epoch.
bool earlier(const record* a, const record* b) {
  auto key = [](const record* r) -> long {
    if (auto* l = std::get_if<link_record>(r)) return l->link;
    if (auto* s = std::get_if<stage_record>(r)) return s->stage;
    if (auto* p = std::get_if<plan_record>(r)) return static_cast<long>(p->epoch);
    return 0;
  };
  double ta = time_of(*a), tb = time_of(*b);
  if (ta != tb) return ta < tb;
  if (a->index() != b->index()) return a->index() < b->index();
  return key(a) < key(b);
}

bool usable(double v) {
  return std::isfinite(v);
}

} // namespace

series_set collect_series(const std::vector<record>& records) {
  std::vector<const record*> order;
  for (const auto& r : records)
    if (usable(time_of(r))) order.push_back(&r);
  std::stable_sort(order.begin(), order.end(), earlier);
  series_set s;
  for (const record* r : order) {
    double t = time_of(*r);
    if (auto* l = std::get_if<link_record>(r)) {
      if (usable(l->mbps)) s.measured[l->link].push_back({t, l->mbps});
      if (l->lower_bound && usable(l->mbps)) s.lower_bound[l->link].push_back({t, l->mbps});
      if (l->configured_mbps && usable(*l->configured_mbps))
        s.configured[l->link].push_back({t, *l->configured_mbps});
      s.bits[l->link].push_back({t, static_cast<double>(l->bits)});
    } else if (auto* st = std::get_if<stage_record>(r)) {
      if (usable(st->busy)) s.busy_percent[st->stage].push_back({t, st->busy * 100});
    } else if (auto* q = std::get_if<throughput_record>(r)) {
      if (usable(q->images_per_s)) s.images_per_s.push_back({t, q->images_per_s});
      if (q->p50_ms && usable(*q->p50_ms)) s.p50_ms.push_back({t, *q->p50_ms});
    } else if (auto* p = std::get_if<plan_record>(r)) {
      s.plans.push_back(p);
      // A plan sets every link's bitwidth at the moment it is decided.
      for (size_t i = 0; i < p->bits.size(); ++i)
        s.bits[static_cast<int>(i)].push_back({t, static_cast<double>(p->bits[i])});
    } else if (auto* n = std::get_if<note_record>(r)) {
      s.notes.push_back(n);
    }
  }
  return s;
}

} // namespace edgepipe::runtime
