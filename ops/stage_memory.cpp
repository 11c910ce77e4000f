#include "ops/stage_memory.hpp"

#include <cmath>
#include <cstdio>

#include <malloc.h>
#include <unistd.h>

namespace edgepipe::ops {

expected<void> check_stage_memory(const model_descriptor& model, int first, int last, dtype compute,
                                  int64_t memory_mb) {
  if (auto ok = model.check_range(first, last); !ok) return ok.error();
  if (memory_mb <= 0) return {};
  const int64_t need = model.weight_bytes(first, last, compute);
  if (to_mb(need) <= static_cast<double>(memory_mb)) return {};
  char buf[200];
  std::snprintf(buf, sizeof buf,
                "stage layers %d..%d needs %.0f MB of %s weights, node offers "
                "%lld MB",
                first, last, std::ceil(to_mb(need)), to_string(compute),
                static_cast<long long>(memory_mb));
  return make_error(errc::infeasible, buf);
}

int64_t resident_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  long long size = 0, resident = 0;
  const int n = std::fscanf(f, "%lld %lld", &size, &resident);
  std::fclose(f);
  return n == 2 ? resident * sysconf(_SC_PAGESIZE) : 0;
}

int64_t release_free_memory() {
  malloc_trim(0);
  return resident_bytes();
}

} // namespace edgepipe::ops
