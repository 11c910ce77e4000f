// libFuzzer target for config::parse_topology: any text must give either an
// error that says where and what, or a topology whose invariants hold (node
// names unique, an explicit partition contiguous from layer 1). The model's
// layer count is not known here; validate and resolve_partition run against
// a ViT-Base (48 planner layers) to reach their checks too.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "config/topology.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  // A base directory that does not exist: relative trace_file paths fail to open.
  auto topo = edgepipe::config::parse_topology(text, "fuzz.yaml", "/nonexistent-fuzz-dir");
  if (!topo) {
    if (topo.error().message.empty()) __builtin_trap(); // errors must say what is wrong
    return 0;
  }
  if (topo->nodes.empty()) __builtin_trap();
  std::set<std::string> names;
  for (const auto& n : topo->nodes)
    if (!names.insert(n.name).second || n.threads < 1) __builtin_trap();
  int next = 1;
  for (const auto& s : topo->partition.stages) {
    if (s.first != next || s.last < s.first || !topo->find_node(s.node)) __builtin_trap();
    next = s.last + 1;
  }
  if (edgepipe::config::validate(*topo, 48))
    if (!edgepipe::config::resolve_partition(*topo, 48)) __builtin_trap();
  return 0;
}
