// Run-time choice of the kernel build: the widest the CPU supports.
#include "codecs/kernels.hpp"

#include <atomic>

namespace edgepipe::codecs {

bool kernel_isa_supported(kernel_isa isa) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  switch (isa) {
  case kernel_isa::portable:
    return true;
  case kernel_isa::avx2:
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  case kernel_isa::avx512:
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  }
  return false;
#else
  return isa == kernel_isa::portable;
#endif
}

static const kernel_table& table_for(kernel_isa isa) {
  switch (isa) {
  case kernel_isa::avx512:
    return avx512_kernels();
  case kernel_isa::avx2:
    return avx2_kernels();
  case kernel_isa::portable:
    break;
  }
  return portable_kernels();
}

static kernel_isa best_isa() {
  if (kernel_isa_supported(kernel_isa::avx512)) return kernel_isa::avx512;
  if (kernel_isa_supported(kernel_isa::avx2)) return kernel_isa::avx2;
  return kernel_isa::portable;
}

static std::atomic<const kernel_table*>& current() {
  static std::atomic<const kernel_table*> table{&table_for(best_isa())};
  return table;
}

const kernel_table& kernels() {
  return *current().load(std::memory_order_relaxed);
}

bool force_kernel_isa(kernel_isa isa) {
  if (!kernel_isa_supported(isa)) return false;
  current().store(&table_for(isa), std::memory_order_relaxed);
  return true;
}

const char* to_string(kernel_isa isa) {
  switch (isa) {
  case kernel_isa::portable:
    return "portable";
  case kernel_isa::avx2:
    return "avx2";
  case kernel_isa::avx512:
    return "avx512";
  }
  return "?";
}

} // namespace edgepipe::codecs
