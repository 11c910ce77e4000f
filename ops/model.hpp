// model: a transformer of any family edgepipe runs (ViT, DeiT, BERT; see
// model_config.hpp), forward only on oneDNN, as a list of planner layers at
// PipeEdge's granularity. Layers are numbered 1..4L, 4 per encoder block:
//   4k+1  self-attention (embeddings first when k = 0)
//   4k+2  attention output projection + residual add
//   4k+3  intermediate (fc1) + GELU (erf)
//   4k+4  output projection (fc2) + residual add (the head too when k = L-1)
// ViT and DeiT normalise before 4k+1 and 4k+3; BERT after the adds of 4k+2
// and 4k+4. What crosses each boundary is in activation.hpp. A model may hold
// the weights of only a range of layers (a pipeline stage); the family is
// taken from config.json, so callers never name it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "ops/activation.hpp"
#include "ops/dtype.hpp"
#include "ops/int8_calibration.hpp"
#include "ops/model_config.hpp"
#include "ops/safetensors.hpp"

namespace edgepipe::ops {

struct weight_spec; // ops/model_weights.hpp

// The form of forward's output main. s8: after layer 4k+1 or 4k+3 of an int8
// model, main comes back as `main_s8` (activation.hpp), the codes the next
// layer's matmul takes; anywhere else (and for f32/bf16 models) as f32.
enum class main_form { f32, s8 };

struct model_options {
  dtype compute = dtype::f32;
  int threads = 1;
  int first = 1; // the layer range whose weights are loaded; last = 0: to the end
  int last = 0;
  // int8 only (ViT/DeiT). Not set: load() reads DIR/int8_calibration.json;
  // synthetic() calibrates on two synthetic images; create() fails.
  std::shared_ptr<const int8_calibration> calibration;
  // The largest batch forward() accepts: a larger one is refused before
  // anything is sized from it (a pipeline stage sets its deployment's
  // microbatch, so a frame cannot make it allocate more).
  int64_t max_batch = 65536;
};

// One model serves one caller at a time (its buffers are reused between
// calls); any thread may call, the OpenMP thread count is set on each call.
// The first forward at a new (batch size, sequence length) creates that
// shape's primitives, after the input's shape is checked; the model keeps
// those of the last max_cached_plans shapes used.
class model {
public:
  static constexpr size_t max_cached_plans = 4;

  // Loads DIR/config.json and DIR/model.safetensors (only the tensors the
  // layer range needs); the family comes from config.json, BERT's tensor
  // prefix ("bert." or none) from the weight file.
  static expected<model> load(const std::string& dir, const model_options& opts = {});
  // Builds from weights already in memory; checks every needed name and shape.
  static expected<model> create(const model_config& cfg, const weight_map& weights,
                                const model_options& opts = {});
  // Seeded random weights with no file, for benchmarks, profiles and plans.
  static expected<model> synthetic(const model_config& cfg, uint64_t seed,
                                   const model_options& opts = {});
  // The same, by name: named_model_config's names (bert-base-uncased, deit-tiny, ...).
  static expected<model> synthetic(const std::string& name, uint64_t seed,
                                   const model_options& opts = {});

  model(model&&) noexcept;
  model& operator=(model&&) noexcept;
  ~model();

  const model_config& config() const;
  const model_options& options() const;
  int num_layers() const; // 4 * num_hidden_layers
  // Bytes of weights this model holds (its layer range, in oneDNN's layouts):
  // what model_descriptor::weight_bytes predicts, checked by the tests.
  int64_t weight_bytes() const;
  // Shapes whose primitives are cached now (at most max_cached_plans).
  size_t cached_plans() const;

  // Runs layers first..last (1-based, inclusive) on src, any batch size (and
  // any sequence length for BERT). src must be what layer `first` takes
  // (activation.hpp); errors name the layer, the tensor and both shapes.
  // src.main_s8 is taken only where s8_main_step(first - 1) has a step, and
  // only with exactly that step; its codes go to the matmul as they are.
  expected<activation> forward(int first, int last, const activation& src,
                               main_form out = main_form::f32);

  // The step of main in s8 form after `layer` (1-based): an int8 model's
  // out_in step of block k after 4k+1, its fc2_in step after 4k+3; nothing
  // for other layers and other dtypes. Known for every block (the
  // calibration covers the model), whatever range is loaded.
  std::optional<float> s8_main_step(int layer) const;

  // Convenience: the input of layer 1 (images, or token ids [B, S] as float
  // with no padding) -> the last layer's output [B, output_size].
  expected<tensor> classify(const tensor& input);

  // f32 models: `observer` sees every int8 site's values during forward
  // (to calibrate an int8 model, int8_calibrate.hpp). Empty: none.
  using site_observer = std::function<void(int block, int8_site site, const float* x, int64_t n)>;
  void set_observer(site_observer observer);

  // The oneDNN implementation of every primitive at this batch size (and the
  // config's sequence_length for BERT), creating them if needed; for benchmarks.
  expected<std::vector<std::string>> implementations(int64_t batch);

private:
  struct impl;
  explicit model(std::unique_ptr<impl> p);
  static expected<model> build(const model_config& cfg, const model_options& opts,
                               const std::function<expected<tensor>(const weight_spec&)>& source);
  std::unique_ptr<impl> impl_;
};

// A valid input for layer 1 of a model of this config, seeded: images with
// N(0, 1) pixels, or token ids uniform over the vocabulary at the config's
// sequence_length with a mask of ones. For profiles and benchmarks.
activation synthetic_input(const model_config& cfg, int64_t batch, uint64_t seed);

} // namespace edgepipe::ops
