#include "cli/openmp_env.hpp"

#include <cstdlib>
#include <string>

#include <unistd.h>

namespace edgepipe::cli {

void ensure_openmp_env(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") || std::getenv("GOMP_SPINCOUNT")) return;
  if (setenv("OMP_WAIT_POLICY", "PASSIVE", 1) != 0) return;
  // The program's real path (exec'ing /proc/self/exe itself would name the
  // process "exe" in ps).
  char self[4096];
  ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0) return;
  self[len] = '\0';
  execv(self, argv);
  // exec failed: go on with libgomp's defaults (the variable stays set for
  // children, which then start right).
}

} // namespace edgepipe::cli
