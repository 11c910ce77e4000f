// tensor: a dense, row-major float32 host tensor. The currency between the
// model, the codecs and the actors; oneDNN memory stays inside ops/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace edgepipe::ops {

struct tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
  bool empty() const { return data.empty(); }
  static tensor zeros(std::vector<int64_t> shape) {
    tensor t;
    t.shape = std::move(shape);
    t.data.assign(static_cast<size_t>(t.numel()), 0.0f);
    return t;
  }
};

// "[8, 197, 768]", for error messages.
inline std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

} // namespace edgepipe::ops
