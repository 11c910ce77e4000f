// Shared by the ViT tests: the committed reference models and tensor comparison.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "ops/npy.hpp"
#include "ops/tensor.hpp"

namespace edgepipe::ops::testing {

// The model directories made by tools/make_test_models.py (with PyTorch outputs).
inline const std::vector<std::string>& reference_configs() {
  static const std::vector<std::string> names = {"gray30_p5_h5", "rgb32_p8_h4", "rgb28_p6_h3_f16",
                                                 "gray24_p4_h1_bf16", "rgb20_p2_h11"};
  return names;
}

inline std::string reference_dir(const std::string& name) {
  return std::string(EDGEPIPE_SOURCE_DIR) + "/tests/data/vit_configs/" + name;
}

inline tensor load_npy(const std::string& path) {
  auto t = read_npy(path);
  if (!t) ADD_FAILURE() << path << ": " << t.error().message;
  return t ? std::move(*t) : tensor{};
}

// max |a - b|; infinity when the shapes differ (so EXPECT_LE fails loudly).
inline double max_abs_diff(const tensor& a, const tensor& b) {
  if (a.shape != b.shape || a.data.size() != b.data.size()) {
    ADD_FAILURE() << "shape " << shape_string(a.shape) << " vs " << shape_string(b.shape);
    return INFINITY;
  }
  double m = 0;
  for (size_t i = 0; i < a.data.size(); ++i) {
    double d = std::fabs(static_cast<double>(a.data[i]) - b.data[i]);
    if (!(d <= m)) m = d; // NaN propagates as a failure
  }
  return m;
}

// Rows [begin, end) of the first dimension: a smaller batch.
inline tensor slice_batch(const tensor& t, int64_t begin, int64_t end) {
  tensor s;
  s.shape = t.shape;
  s.shape[0] = end - begin;
  const int64_t row = t.numel() / t.shape[0];
  s.data.assign(t.data.begin() + begin * row, t.data.begin() + end * row);
  return s;
}

inline int argmax_row(const tensor& logits, int64_t row) {
  const int64_t n = logits.shape[1];
  auto first = logits.data.begin() + row * n;
  return static_cast<int>(std::max_element(first, first + n) - first);
}

} // namespace edgepipe::ops::testing
