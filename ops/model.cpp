// model: the public face of every family on oneDNN. It owns the weights of
// its layer range (vit_params) and one plan per shape seen (vit_plan), and
// moves activations between ops::tensor and the plan's buffers at the ends of
// a forward range only (model_boundary.cpp): inside a range the layers hand
// buffers to each other.
#include "ops/model.hpp"

#include <new>
#include <random>
#include <set>

#include <omp.h>

#include "ops/cpu_support.hpp"
#include "ops/int8_calibrate.hpp"
#include "ops/model_impl.hpp"
#include "ops/model_weights.hpp"

namespace edgepipe::ops {

expected<dtype> parse_dtype(const std::string& name) {
  if (name == "f32") return dtype::f32;
  if (name == "bf16") return dtype::bf16;
  if (name == "int8") return dtype::int8;
  return make_error(errc::invalid_argument,
                    "unknown dtype \"" + name + "\" (expected f32, bf16 or int8)");
}

const char* to_string(dtype dt) {
  return dt == dtype::bf16 ? "bf16" : dt == dtype::int8 ? "int8" : "f32";
}

namespace {

expected<model_options> resolve(const model_config& cfg, model_options opts) {
  const int layers = cfg.planner_layers();
  if (opts.last == 0) opts.last = layers;
  if (opts.first < 1 || opts.first > opts.last || opts.last > layers)
    return make_error(errc::invalid_argument, "layer range " + std::to_string(opts.first) + ":" +
                                                  std::to_string(opts.last) +
                                                  " is outside 1:" + std::to_string(layers));
  if (opts.threads < 0 || opts.threads > 1024)
    return make_error(errc::invalid_argument, "threads must be 0 (all) .. 1024");
  return opts;
}

} // namespace

model::model(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
model::model(model&&) noexcept = default;
model& model::operator=(model&&) noexcept = default;
model::~model() = default;

const model_config& model::config() const {
  return impl_->cfg;
}
const model_options& model::options() const {
  return impl_->opts;
}
int model::num_layers() const {
  return impl_->cfg.planner_layers();
}

namespace {

int64_t bytes_of(const dnnl::memory& m) {
  return m ? static_cast<int64_t>(m.get_desc().get_size()) : 0;
}

int64_t bytes_of(const std::vector<float>& v) {
  return static_cast<int64_t>(v.size() * sizeof(float));
}

} // namespace

int64_t model::weight_bytes() const {
  const vit_params& p = impl_->params;
  int64_t n = 0;
  if (p.embed) {
    const embed_params& e = *p.embed;
    n += bytes_of(e.weight) + bytes_of(e.bias) + bytes_of(e.norm_scale) + bytes_of(e.norm_shift);
    n += bytes_of(e.cls) + bytes_of(e.dist) + bytes_of(e.pos) + bytes_of(e.word) +
         bytes_of(e.token_type);
  }
  for (const block_params& b : p.blocks)
    for (const dnnl::memory* m :
         {&b.ln1_scale, &b.ln1_shift, &b.qkv_w, &b.qkv_b, &b.out_w, &b.out_b, &b.ln2_scale,
          &b.ln2_shift, &b.fc1_w, &b.fc1_b, &b.fc2_w, &b.fc2_b})
      n += bytes_of(*m);
  for (const block_params& b : p.blocks) // int8: the quantized matmuls instead of *_w, *_b
    for (const int8_linear* q : {&b.qkv_q, &b.out_q, &b.fc1_q, &b.fc2_q})
      n += bytes_of(q->weight) + bytes_of(q->bias) +
           static_cast<int64_t>(q->output_scales.size() * sizeof(float));
  if (p.head)
    for (const dnnl::memory* m : {&p.head->ln_scale, &p.head->ln_shift, &p.head->pooler_w,
                                  &p.head->pooler_b, &p.head->weight, &p.head->bias})
      n += bytes_of(*m);
  return n;
}

expected<model> model::create(const model_config& cfg, const weight_map& weights,
                              const model_options& opts) {
  auto source = [&](const weight_spec& spec) -> expected<tensor> {
    auto it = weights.find(spec.name);
    if (it == weights.end()) return make_error(errc::not_found, "missing tensor " + spec.name);
    return it->second;
  };
  return build(cfg, opts, source);
}

expected<model> model::synthetic(const model_config& cfg, uint64_t seed,
                                 const model_options& options) {
  auto source = [&](const weight_spec& spec) -> expected<tensor> {
    return synthetic_weight(spec, seed);
  };
  model_options opts = options;
  if (opts.compute == dtype::int8 && !opts.calibration && !cfg.is_text()) {
    // Calibrated on the f32 model over layers 1..last (a stage needs the
    // activations that reach it): two seeded synthetic images.
    auto range = resolve(cfg, opts);
    if (!range) return range.error();
    model_options f32 = opts;
    f32.compute = dtype::f32;
    f32.first = 1;
    f32.last = range->last;
    auto ref = build(cfg, f32, source);
    if (!ref) return ref.error();
    auto calib = calibrate_int8(*ref, synthetic_images(cfg, 2, seed), 2, "synthetic");
    if (!calib) return calib.error();
    opts.calibration = std::make_shared<const int8_calibration>(std::move(*calib));
  }
  return build(cfg, opts, source);
}

expected<model> model::synthetic(const std::string& name, uint64_t seed,
                                 const model_options& opts) {
  auto cfg = named_model_config(name);
  if (!cfg) return cfg.error();
  return synthetic(*cfg, seed, opts);
}

expected<model> model::load(const std::string& dir, const model_options& opts) {
  auto cfg = read_model_config(dir + "/config.json");
  if (!cfg) return cfg.error();
  auto range = resolve(*cfg, opts);
  if (!range) return range.error();
  std::set<std::string> needed;
  for (const auto& spec : range_weights(*cfg, range->first, range->last)) needed.insert(spec.name);
  // A DeiT config without "architectures": the head's names say the layout.
  const bool deit_layout_unknown = cfg->family == model_family::deit && !cfg->distilled;
  if (deit_layout_unknown) {
    model_config distilled = *cfg;
    distilled.distilled = true;
    for (const auto& spec : range_weights(distilled, range->first, range->last))
      needed.insert(spec.name);
  }
  // A BertModel saved alone has no "bert." prefix: accept both, keep the one found.
  if (cfg->is_text()) {
    model_config bare = *cfg;
    bare.prefix = "";
    for (const auto& spec : range_weights(bare, range->first, range->last))
      needed.insert(spec.name);
  }
  const std::string file = dir + "/model.safetensors";
  auto weights = read_safetensors(file, [&](const std::string& n) { return needed.count(n) > 0; });
  if (!weights) return weights.error();
  if (deit_layout_unknown && weights->count("cls_classifier.weight") &&
      !weights->count("classifier.weight"))
    cfg->distilled = true;
  if (cfg->is_text()) {
    bool prefixed = false;
    for (const auto& [name, t] : *weights) prefixed = prefixed || name.rfind("bert.", 0) == 0;
    cfg->prefix = prefixed ? "bert." : "";
  }
  // Tensors are moved out as they are used, so the host copy shrinks while loading.
  auto source = [&](const weight_spec& spec) -> expected<tensor> {
    auto it = weights->find(spec.name);
    if (it == weights->end())
      return make_error(errc::not_found, file + ": missing tensor " + spec.name);
    tensor t = std::move(it->second);
    weights->erase(it);
    if (t.shape != spec.shape)
      return make_error(errc::invalid_input, file + ": tensor " + spec.name + " has shape " +
                                                 shape_string(t.shape) + ", expected " +
                                                 shape_string(spec.shape) + " (from config.json)");
    return t;
  };
  if (opts.compute == dtype::int8 && !opts.calibration && !cfg->is_text()) {
    auto calib = read_int8_calibration(int8_calibration_path(dir));
    if (!calib) return calib.error();
    if (calib->clip.size() != size_t(cfg->num_hidden_layers))
      return make_error(errc::invalid_input,
                        int8_calibration_path(dir) + ": has " + std::to_string(calib->clip.size()) +
                            " blocks, config.json " + std::to_string(cfg->num_hidden_layers));
    model_options with = opts;
    with.calibration = std::make_shared<const int8_calibration>(std::move(*calib));
    return build(*cfg, with, source);
  }
  return build(*cfg, opts, source);
}

expected<model> model::build(const model_config& cfg, const model_options& options,
                             const weight_source& source) {
  // create() and synthetic() take a config that did not come through read_model_config.
  if (auto ok = validate(cfg); !ok) return ok.error();
  auto opts = resolve(cfg, options);
  if (!opts) return opts.error();
  auto p = std::make_unique<impl>();
  p->cfg = cfg;
  p->opts = *opts;
  p->dnnl.threads = opts->threads > 0 ? opts->threads : omp_get_num_procs();
  if (auto ok = check_dtype_supported(opts->compute); !ok) return ok.error();
  const dnnl_dt compute = opts->compute == dtype::bf16   ? dnnl_dt::bf16
                          : opts->compute == dtype::int8 ? dnnl_dt::s8
                                                         : dnnl_dt::f32;
  if (opts->compute == dtype::int8 && cfg.is_text())
    return make_error(errc::invalid_argument,
                      "dtype int8: int8 is implemented for ViT/DeiT blocks (pre-LN), not for "
                      "BERT's post-LN blocks; use f32 or bf16");
  if (opts->compute == dtype::int8 && !opts->calibration)
    return make_error(errc::invalid_argument,
                      "int8 needs activation ranges: model_options::calibration "
                      "(edgepipe calibrate writes int8_calibration.json)");
  auto params =
      build_params(p->dnnl, cfg, compute, opts->first, opts->last, source, opts->calibration.get());
  if (!params) return params.error();
  p->params = std::move(*params);
  return model(std::move(p));
}

void model::set_observer(site_observer observer) {
  impl_->observer = observer;
  for (auto& [shape, cached] : impl_->plans) cached.plan->observer = observer;
}

size_t model::cached_plans() const {
  return impl_->plans.size();
}

expected<std::vector<std::string>> model::implementations(int64_t batch) {
  if (batch < 1 || batch > impl_->opts.max_batch)
    return make_error(errc::invalid_argument, "batch " + std::to_string(batch) + " is outside 1.." +
                                                  std::to_string(impl_->opts.max_batch));
  try {
    impl_->dnnl.use_threads();
    auto plan = impl_->plan_for(batch, impl_->cfg.tokens());
    if (!plan) return plan.error();
    return (*plan)->implementations();
  } catch (const std::bad_alloc&) {
    return make_error(errc::internal, "batch " + std::to_string(batch) + ": out of memory");
  }
}

std::optional<float> model::s8_main_step(int layer) const {
  return impl_->s8_main_step(layer);
}

expected<activation> model::forward(int first, int last, const activation& src, main_form out) {
  impl& m = *impl_;
  if (first < m.opts.first || last > m.opts.last || first > last)
    return make_error(errc::invalid_argument,
                      "forward " + std::to_string(first) + ":" + std::to_string(last) +
                          " is outside the loaded layers " + std::to_string(m.opts.first) + ":" +
                          std::to_string(m.opts.last));
  if (auto ok = m.check_input(first, src); !ok) return ok.error();
  try {
    m.dnnl.use_threads();
    auto tokens = m.tokens_of(first, src);
    if (!tokens) return tokens.error();
    auto plan = m.plan_for(src.main_shape()[0], *tokens);
    if (!plan) return plan.error();
    vit_plan& p = **plan;
    if (auto ok = m.import(p, first, src); !ok) return ok.error();
    for (int layer = first; layer <= last; ++layer) {
      const int block = (layer - 1) / 4;
      switch ((layer - 1) % 4) {
      case 0:
        if (layer == 1 && m.cfg.is_text())
          p.embed_tokens(src.main.data.data(), src.has_skip() ? src.skip.data.data() : nullptr);
        else if (layer == 1)
          p.embed_images(src.main.data.data());
        p.attention(block);
        break;
      case 1:
        // An s8 context was imported where the quantizing reorder writes it.
        p.attention_output(block, layer == first && src.has_main_s8());
        break;
      case 2:
        p.mlp_in(block);
        break;
      default:
        p.mlp_out(block);
        if (layer == m.cfg.planner_layers()) p.head();
      }
    }
    return m.export_(p, last, src, out == main_form::s8 && s8_main_step(last).has_value());
  } catch (const dnnl::error& e) {
    return dnnl_failure("forward " + std::to_string(first) + ":" + std::to_string(last), e);
  } catch (const std::bad_alloc&) {
    return make_error(errc::internal, "forward " + std::to_string(first) + ":" +
                                          std::to_string(last) + " on input " +
                                          shape_string(src.main_shape()) + ": out of memory");
  }
}

expected<tensor> model::classify(const tensor& input) {
  activation src;
  src.main = input;
  auto out = forward(1, num_layers(), src);
  if (!out) return out.error();
  return std::move(out->main);
}

activation synthetic_input(const model_config& cfg, int64_t batch, uint64_t seed) {
  std::mt19937_64 rng(seed);
  activation a;
  if (cfg.is_text()) {
    const int64_t s = cfg.sequence_length;
    a.main = tensor::zeros({batch, s});
    std::uniform_int_distribution<int> id(0, cfg.vocab_size - 1);
    for (float& v : a.main.data) v = static_cast<float>(id(rng));
    a.mask = tensor::zeros({batch, s});
    a.mask.data.assign(a.mask.data.size(), 1.0f);
    return a;
  }
  a.main = tensor::zeros({batch, cfg.num_channels, cfg.image_size, cfg.image_size});
  std::normal_distribution<float> pixel(0.0f, 1.0f);
  for (float& v : a.main.data) v = pixel(rng);
  return a;
}

} // namespace edgepipe::ops
