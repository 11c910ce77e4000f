#include "planner/stage_table.hpp"

#include <algorithm>
#include <limits>

#include "planner/cost_model.hpp"

namespace edgepipe::planner {

stage_table stage_table::by_type(const instance& inst, link_summary links) {
  std::vector<std::vector<int>> members;
  std::vector<std::string> names;
  for (int d = 0; d < inst.num_devices(); ++d) {
    auto it = std::find(names.begin(), names.end(), inst.devices[d].type);
    if (it == names.end()) {
      names.push_back(inst.devices[d].type);
      members.push_back({d});
    } else {
      members[it - names.begin()].push_back(d);
    }
  }
  return build(inst, std::move(members), links);
}

stage_table stage_table::by_device(const instance& inst) {
  std::vector<std::vector<int>> members;
  for (int d = 0; d < inst.num_devices(); ++d) members.push_back({d});
  return build(inst, std::move(members), link_summary::slowest);
}

stage_table stage_table::build(const instance& inst, std::vector<std::vector<int>> members,
                               link_summary links) {
  stage_table t;
  const int L = inst.layers;
  const int C = static_cast<int>(members.size());
  t.layers_ = L;
  t.members_ = std::move(members);
  t.compute_.assign(static_cast<size_t>(C) * L * L, 0.0);
  t.fits_.assign(static_cast<size_t>(C) * L * L, 0);
  t.weights_.assign(static_cast<size_t>(L) * L, 0.0);
  t.mem_limit_.resize(C);

  // Running sums from `first` upward add terms in PipeEdge's order, so every
  // entry equals compute_time() / memory_required_bytes() exactly.
  for (int first = 1; first <= L; ++first) {
    double w = 0;
    for (int last = first; last <= L; ++last) {
      w += inst.mem_mb[last - 1] * bytes_per_mb;
      t.weights_[static_cast<size_t>(first - 1) * L + (last - 1)] = w;
    }
  }
  for (int c = 0; c < C; ++c) {
    int d = t.members_[c].front(); // members share compute and memory
    t.mem_limit_[c] = inst.devices[d].mem_mb * bytes_per_mb;
    for (int first = 1; first <= L; ++first) {
      double time = 0;
      for (int last = first; last <= L; ++last) {
        time += inst.devices[d].time_s[last - 1];
        t.compute_[t.index(c, first, last)] = time;
        t.fits_[t.index(c, first, last)] = planner::fits(inst, d, first, last) ? 1 : 0;
      }
    }
  }

  // A class pair's send time summarises its distinct member pairs; with
  // per-type bandwidth all pairs agree, so every summary is PipeEdge's number.
  const double never = std::numeric_limits<double>::infinity();
  t.send_.assign(static_cast<size_t>(L) * C * C, never);
  for (int layer = 1; layer <= L; ++layer)
    for (int u = 0; u < C; ++u)
      for (int v = 0; v < C; ++v) {
        double worst = -1, best = never, sum = 0;
        int pairs = 0;
        for (int a : t.members_[u])
          for (int b : t.members_[v]) {
            if (a == b) continue;
            double s = send_time(inst, layer, a, b);
            worst = std::max(worst, s);
            best = std::min(best, s);
            sum += s;
            ++pairs;
          }
        if (pairs == 0) continue;
        double value = links == link_summary::slowest   ? worst
                       : links == link_summary::fastest ? best
                       : pairs == 1                     ? worst
                                                        : sum / pairs;
        t.send_[(static_cast<size_t>(layer - 1) * C + u) * C + v] = value;
      }
  return t;
}

} // namespace edgepipe::planner
