#include "cli/model_cli.hpp"

#include <cstdlib>
#include <iostream>

#include "cli/command.hpp"

namespace edgepipe::cli {

void add_model_options(args& a) {
  a.option("dtype", "f32|bf16|int8",
           "compute precision (int8 reads DIR/int8_calibration.json, see calibrate)", false, "f32");
  // Default 1: on cores shared with other work (a busy board, a CI machine)
  // a second thread gains little. It no longer collapses: every edgepipe
  // process waits passively in OpenMP (cli/openmp_env.hpp).
  a.option("threads", "N", "oneDNN threads (0 = every CPU; >1 pays off only on idle cores)", false,
           "1");
}

int read_model_options(const args& a, ops::model_options& opts) {
  auto dt = ops::parse_dtype(a.get("dtype"));
  if (!dt) return a.usage_error("--dtype: " + dt.error().message);
  opts.compute = *dt;
  int64_t threads = 0;
  if (!a.get_int("threads", threads, 0, 1024)) return exit_usage;
  opts.threads = static_cast<int>(threads);
  return -1;
}

int report(const args& a, const error& err) {
  bool failure =
      err.code == errc::internal || err.code == errc::io_error || err.code == errc::timeout;
  a.usage_error(err.message);
  return failure ? exit_failure : exit_usage;
}

int parse_layer_range(const args& a, const std::string& text, int layers, int& first, int& last) {
  size_t colon = text.find(':');
  std::string lo = text.substr(0, colon),
              hi = colon == std::string::npos ? "" : text.substr(colon + 1);
  char *end1 = nullptr, *end2 = nullptr;
  long f = std::strtol(lo.c_str(), &end1, 10), l = std::strtol(hi.c_str(), &end2, 10);
  if (colon == std::string::npos || lo.empty() || hi.empty() || *end1 || *end2)
    return a.usage_error("--layers must be A:B (e.g. 1:" + std::to_string(layers) + "), got '" +
                         text + "'");
  if (f < 1 || l < f || l > layers)
    return a.usage_error("--layers " + text + ": need 1 <= A <= B <= " + std::to_string(layers) +
                         " (this model has " + std::to_string(layers) + " planner layers)");
  first = static_cast<int>(f);
  last = static_cast<int>(l);
  return -1;
}

std::string skip_file(const std::string& npy_path) {
  const std::string ext = ".npy";
  if (npy_path.size() > ext.size() &&
      npy_path.compare(npy_path.size() - ext.size(), ext.size(), ext) == 0)
    return npy_path.substr(0, npy_path.size() - ext.size()) + ".skip.npy";
  return npy_path + ".skip.npy";
}

expected<void> check_images(const std::vector<int64_t>& shape, const ops::vit_config& cfg) {
  std::vector<int64_t> want{0, cfg.num_channels, cfg.image_size, cfg.image_size};
  if (shape.size() != 4 || shape[0] < 1 || shape[1] != want[1] || shape[2] != want[2] ||
      shape[3] != want[3])
    return make_error(errc::invalid_input,
                      "the model takes images [N, " + std::to_string(cfg.num_channels) + ", " +
                          std::to_string(cfg.image_size) + ", " + std::to_string(cfg.image_size) +
                          "] with N >= 1, got " + ops::shape_string(shape));
  return {};
}

} // namespace edgepipe::cli
