// Shared by the DeiT and BERT tests: the committed reference models
// (tools/make_family_test_models.py) and their inputs as activations.
#pragma once

#include <string>
#include <vector>

#include "ops/model.hpp"
#include "vit_test_util.hpp"

namespace edgepipe::ops::testing {

inline const std::vector<std::string>& deit_configs() {
  static const std::vector<std::string> names = {"rgb32_p8_h4_distilled", "gray28_p7_h3",
                                                 "rgb22_p4_h2_distilled_bf16"};
  return names;
}

inline const std::vector<std::string>& bert_configs() {
  static const std::vector<std::string> names = {"v97_h4_cls_padded", "v50_h3_model_f16",
                                                 "v120_h1_cls_bf16"};
  return names;
}

inline std::string deit_dir(const std::string& name) {
  return std::string(EDGEPIPE_SOURCE_DIR) + "/tests/data/deit_configs/" + name;
}

inline std::string bert_dir(const std::string& name) {
  return std::string(EDGEPIPE_SOURCE_DIR) + "/tests/data/bert_configs/" + name;
}

// Layer 1's input: images, or ids + token types (skip) + attention mask.
inline activation reference_input(const std::string& dir, bool text) {
  activation a;
  if (!text) {
    a.main = load_npy(dir + "/images.npy");
    return a;
  }
  a.main = load_npy(dir + "/ids.npy");
  a.skip = load_npy(dir + "/types.npy");
  a.mask = load_npy(dir + "/mask.npy");
  return a;
}

inline model_options one_thread(dtype dt = dtype::f32) {
  model_options o;
  o.compute = dt;
  o.threads = 1;
  return o;
}

} // namespace edgepipe::ops::testing
