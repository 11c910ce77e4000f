#include "runtime/plan.hpp"

namespace edgepipe::runtime {

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
