#include "runtime/plan.hpp"

namespace edgepipe::runtime {

bool same_partition(const plan& a, const plan& b) {
  if (a.stages.size() != b.stages.size()) return false;
  for (size_t i = 0; i < a.stages.size(); ++i)
    if (a.stages[i].node != b.stages[i].node || a.stages[i].first != b.stages[i].first ||
        a.stages[i].last != b.stages[i].last)
      return false;
  return true;
}

std::string describe(const plan& p) {
  std::string out;
  for (size_t i = 0; i < p.stages.size(); ++i) {
    const auto& s = p.stages[i];
    if (i > 0) out += " -> ";
    out += "node " + std::to_string(s.node) + " [" + std::to_string(s.first) + ".." +
           std::to_string(s.last) + "]";
  }
  return out;
}

} // namespace edgepipe::runtime
