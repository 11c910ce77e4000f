// vit_model: the ViT forward pass on oneDNN, as a list of planner layers at
// PipeEdge's granularity. Layers are numbered 1..4L:
//   4k+1  LayerNorm + multi-head self-attention (embeddings too when k = 0)
//   4k+2  attention output projection + residual add
//   4k+3  LayerNorm + fc1 + GELU (erf)
//   4k+4  fc2 + residual add (final LayerNorm + classifier too when k = L-1)
// A model may hold the weights of only a range of layers (a pipeline stage).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "ops/activation.hpp"
#include "ops/dtype.hpp"
#include "ops/int8_calibration.hpp"
#include "ops/safetensors.hpp"
#include "ops/vit_config.hpp"

namespace edgepipe::ops {

struct weight_spec; // ops/vit_weights.hpp

struct model_options {
  dtype compute = dtype::f32;
  int threads = 1;
  int first = 1; // the layer range whose weights are loaded; last = 0: to the end
  int last = 0;
  // int8 only. Not set: load() reads DIR/int8_calibration.json; synthetic()
  // calibrates on two synthetic images; create() fails.
  std::shared_ptr<const int8_calibration> calibration;
};

// One model serves one caller at a time (its buffers are reused between
// calls); any thread may call, the OpenMP thread count is set on each call.
// The first forward at a new batch size creates that size's primitives.
class vit_model {
public:
  // Loads DIR/config.json and DIR/model.safetensors (only the tensors the
  // layer range needs).
  static expected<vit_model> load(const std::string& dir, const model_options& opts = {});
  // Builds from weights already in memory; checks every needed name and shape.
  static expected<vit_model> create(const vit_config& cfg, const weight_map& weights,
                                    const model_options& opts = {});
  // Seeded random weights with no file, for benchmarks and profiles.
  static expected<vit_model> synthetic(const vit_config& cfg, uint64_t seed,
                                       const model_options& opts = {});

  vit_model(vit_model&&) noexcept;
  vit_model& operator=(vit_model&&) noexcept;
  ~vit_model();

  const vit_config& config() const;
  const model_options& options() const;
  int num_layers() const; // 4 * num_hidden_layers
  // Bytes of weights this model holds (its layer range, in oneDNN's layouts):
  // what model_descriptor::weight_bytes predicts, checked by the tests.
  int64_t weight_bytes() const;

  // Runs layers first..last (1-based, inclusive) on src, any batch size.
  // src must be what layer `first` takes (see activation.hpp).
  expected<activation> forward(int first, int last, const activation& src);

  // Convenience: images [B, C, H, W] -> logits [B, labels] over all layers.
  expected<tensor> classify(const tensor& images);

  // f32 models: `observer` sees every int8 site's values during forward
  // (to calibrate an int8 model, int8_calibrate.hpp). Empty: none.
  using site_observer = std::function<void(int block, int8_site site, const float* x, int64_t n)>;
  void set_observer(site_observer observer);

  // The oneDNN implementation of every primitive at this batch size
  // ("qkv: brg:avx512_core", ...), creating them if needed; for benchmarks.
  expected<std::vector<std::string>> implementations(int64_t batch);

private:
  struct impl;
  explicit vit_model(std::unique_ptr<impl> p);
  static expected<vit_model>
  build(const vit_config& cfg, const model_options& opts,
        const std::function<expected<tensor>(const weight_spec&)>& source);
  std::unique_ptr<impl> impl_;
};

} // namespace edgepipe::ops
