// int8_calibration: the activation ranges an int8 model quantizes with.
//
// Every int8 matmul of a transformer block takes an activation quantized per
// tensor, symmetrically, to s8: x_q = round(x * 127 / clip). The four inputs
// of block k are its "sites":
//   qkv_in  LayerNorm 1 output (input of the fused Q/K/V projection)
//   out_in  attention context (input of the output projection)
//   fc1_in  LayerNorm 2 output
//   fc2_in  GELU output (input of fc2)
// `clip` per site comes from calibration: the f32 model runs on a few hundred
// training images and a high percentile of |x| is kept (the largest value
// alone lets one outlier waste the 8 bits). The result is stored beside the
// model as int8_calibration.json so that every run quantizes the same way.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "base/expected.hpp"

namespace edgepipe::ops {

enum class int8_site { qkv_in = 0, out_in = 1, fc1_in = 2, fc2_in = 3 };
constexpr int int8_sites = 4;
const char* to_string(int8_site s);

struct int8_calibration {
  std::string method = "percentile"; // how clip was chosen from the statistics
  double percentile = 99.99;         // of |x|, when method is "percentile"
  int64_t images = 0;                // calibration images
  std::string source;                // where they came from ("train[0:512]", "synthetic")
  // clip[block][site]: the |x| mapped to 127. absmax: the largest |x| seen.
  std::vector<std::array<float, int8_sites>> clip, absmax;

  float scale(int block, int8_site s) const { // real value of one s8 step
    return clip[block][static_cast<int>(s)] / 127.0f;
  }
};

// Collects |x| statistics per block and site while the f32 model runs, in a
// histogram with logarithmic bins (1/64 octave, from 2^-24 to 2^24): a
// percentile is read from it to within 1.1%.
class int8_observer {
public:
  explicit int8_observer(int blocks);
  void add(int block, int8_site site, const float* x, int64_t n);
  int8_calibration result(int64_t images, const std::string& source, const std::string& method,
                          double percentile) const;

private:
  static constexpr int bins_per_octave = 64, min_exp = -24, max_exp = 24;
  static constexpr int num_bins = (max_exp - min_exp) * bins_per_octave + 1; // bin 0: |x| < 2^-24
  int blocks_;
  std::vector<std::vector<uint64_t>> hist_; // [block * sites + site][bin]
  std::vector<float> absmax_;
};

// int8_calibration.json: read, write; errors name the file and the field.
expected<int8_calibration> read_int8_calibration(const std::string& path);
expected<void> write_int8_calibration(const std::string& path, const int8_calibration& c);

// The file's name inside a model directory.
inline std::string int8_calibration_path(const std::string& model_dir) {
  return model_dir + "/int8_calibration.json";
}

} // namespace edgepipe::ops
