#include "config/thread_warnings.hpp"

#include <sched.h>

#include <thread>

namespace edgepipe::config {

int cores_here() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
  unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? int(n) : 1;
}

std::string thread_warning(const std::string& node, int threads, int cores) {
  return "node " + node + ": threads " + std::to_string(threads) + " > " + std::to_string(cores) +
         " cores on this machine; its stages will share them and run slower (expected threads "
         "<= " +
         std::to_string(cores) + ")";
}

std::vector<std::string> local_thread_warnings(const topology& topo, int cores) {
  std::vector<std::string> out;
  for (const node_spec& n : topo.nodes)
    if (n.start_locally && n.threads > cores)
      out.push_back(n.pos.str() + ": " + thread_warning(n.name, n.threads, cores));
  return out;
}

} // namespace edgepipe::config
