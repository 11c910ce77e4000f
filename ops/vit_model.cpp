// vit_model: the public face of the ViT on oneDNN. It owns the weights of its
// layer range (vit_params) and one plan per batch size seen (vit_plan), and
// moves activations between ops::tensor and the plan's buffers at the ends of
// a forward range only: inside a range the layers hand buffers to each other.
#include "ops/vit_model.hpp"

#include <cstring>
#include <set>

#include <omp.h>

#include "ops/int8_calibrate.hpp"
#include "ops/layer_descriptor.hpp"
#include "ops/vit_plan.hpp"

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

struct vit_model::impl {
  vit_config cfg;
  model_options opts;
  dnnl_context dnnl;
  vit_params params;
  std::map<int64_t, std::unique_ptr<vit_plan>> plans; // by batch size
  site_observer observer;

  expected<vit_plan*> plan_for(int64_t batch);
  expected<void> import(vit_plan& plan, int first, const activation& src);
  activation export_(vit_plan& plan, int last);
};

namespace {

expected<model_options> resolve(const vit_config& cfg, model_options opts) {
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

// A one-off reorder that multiplies by `scale` (quantizing to or from s8).
void scaled_reorder(const dnnl_context& ctx, const dnnl::memory& src, const dnnl::memory& dst,
                    float scale) {
  ctx.use_threads();
  dnnl::primitive_attr attr;
  attr.set_output_scales(0, {scale});
  dnnl::reorder::primitive_desc pd(ctx.eng, src.get_desc(), ctx.eng, dst.get_desc(), attr);
  dnnl::reorder(pd).execute(ctx.strm, const_cast<dnnl::memory&>(src),
                            const_cast<dnnl::memory&>(dst));
  ctx.strm.wait();
}

// Copies a host tensor into a plan buffer (converting to bf16 when it is
// bf16, quantizing with `step` when it is s8).
void copy_in(const dnnl_context& ctx, const tensor& src, const dnnl::memory& dst,
             float step = 1.0f) {
  const auto& md = dst.get_desc();
  if (md.data_type() == dnnl_dt::f32) {
    std::memcpy(dst.get_data_handle(), src.data.data(), src.data.size() * sizeof(float));
    return;
  }
  dnnl::memory user({md.dims(), dnnl_dt::f32, dnnl_tag::ab}, ctx.eng,
                    const_cast<float*>(src.data.data()));
  if (md.data_type() == dnnl_dt::s8)
    scaled_reorder(ctx, user, dst, 1.0f / step);
  else
    reorder_now(ctx, user, dst);
}

tensor copy_out(const dnnl_context& ctx, const dnnl::memory& src, std::vector<int64_t> shape,
                float step = 1.0f) {
  tensor t = tensor::zeros(std::move(shape));
  const auto& md = src.get_desc();
  if (md.data_type() == dnnl_dt::f32) {
    std::memcpy(t.data.data(), src.get_data_handle(), t.data.size() * sizeof(float));
  } else {
    dnnl::memory user({md.dims(), dnnl_dt::f32, dnnl_tag::ab}, ctx.eng, t.data.data());
    if (md.data_type() == dnnl_dt::s8)
      scaled_reorder(ctx, src, user, step);
    else
      reorder_now(ctx, src, user);
  }
  return t;
}

error bad_input(int first, const std::string& what, const std::vector<int64_t>& got,
                const std::vector<int64_t>& want) {
  return make_error(errc::invalid_input, "layer " + std::to_string(first) + " takes " + what +
                                             " of shape " + shape_string(want) + ", got " +
                                             shape_string(got));
}

} // namespace

expected<vit_plan*> vit_model::impl::plan_for(int64_t batch) {
  auto it = plans.find(batch);
  if (it != plans.end()) return it->second.get();
  auto plan =
      vit_plan::create(dnnl, cfg, params, batch, params.embed.has_value(), params.head.has_value());
  if (!plan) return plan.error();
  vit_plan* p = plan->get();
  p->observer = observer;
  plans[batch] = std::move(*plan);
  return p;
}

// The boundary before layer `first` (activation.hpp) into the plan's buffers.
expected<void> vit_model::impl::import(vit_plan& plan, int first, const activation& src) {
  const int64_t b = plan.batch(), t = cfg.tokens(), d = cfg.hidden_size;
  const std::vector<int64_t> stream{b, t, d};
  if (first == 1) {
    const int64_t c = cfg.num_channels, s = cfg.image_size;
    if (src.main.shape != std::vector<int64_t>{b, c, s, s})
      return bad_input(first, "images [B, C, H, W]", src.main.shape, {b, c, s, s});
    return {}; // embed() reads the images in place
  }
  const block_part producer = encoder_position(first - 1).part; // the layer that made src
  const bool attention = producer == block_part::attention;
  if (attention || producer == block_part::mlp_in) {
    const int64_t width = attention ? d : cfg.intermediate_size;
    if (src.main.shape != std::vector<int64_t>{b, t, width})
      return bad_input(first, attention ? "an attention context" : "an fc1 output", src.main.shape,
                       {b, t, width});
    if (src.skip.shape != stream)
      return bad_input(first, "a skip (residual) tensor", src.skip.shape, stream);
    // int8: h is s8 with the step of fc2's input (block of layer `first`).
    copy_in(dnnl, src.main, attention ? plan.ctx : plan.h,
            params.blocks[encoder_position(first).block].fc2_in);
    copy_in(dnnl, src.skip, plan.x);
    return {};
  }
  if (src.main.shape != stream)
    return bad_input(first, "a residual stream", src.main.shape, stream);
  if (src.has_skip())
    return make_error(errc::invalid_input,
                      "layer " + std::to_string(first) + " takes no skip tensor, got one");
  copy_in(dnnl, src.main, plan.x);
  return {};
}

activation vit_model::impl::export_(vit_plan& plan, int last) {
  dnnl.strm.wait();
  const int64_t b = plan.batch(), t = cfg.tokens(), d = cfg.hidden_size;
  activation out;
  if (last == cfg.planner_layers()) {
    out.main = copy_out(dnnl, plan.logits, {b, cfg.num_labels});
    return out;
  }
  switch (encoder_position(last).part) {
  case block_part::attention:
    out.main = copy_out(dnnl, plan.ctx, {b, t, d});
    out.skip = copy_out(dnnl, plan.x, {b, t, d});
    break;
  case block_part::mlp_in:
    out.main = copy_out(dnnl, plan.h, {b, t, cfg.intermediate_size},
                        params.blocks[encoder_position(last).block].fc2_in);
    out.skip = copy_out(dnnl, plan.x, {b, t, d});
    break;
  default:
    out.main = copy_out(dnnl, plan.x, {b, t, d});
  }
  return out;
}

vit_model::vit_model(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
vit_model::vit_model(vit_model&&) noexcept = default;
vit_model& vit_model::operator=(vit_model&&) noexcept = default;
vit_model::~vit_model() = default;

const vit_config& vit_model::config() const {
  return impl_->cfg;
}
const model_options& vit_model::options() const {
  return impl_->opts;
}
int vit_model::num_layers() const {
  return impl_->cfg.planner_layers();
}

namespace {

int64_t bytes_of(const dnnl::memory& m) {
  return m ? static_cast<int64_t>(m.get_desc().get_size()) : 0;
}

} // namespace

int64_t vit_model::weight_bytes() const {
  const vit_params& p = impl_->params;
  int64_t n = 0;
  if (p.embed) {
    n += bytes_of(p.embed->weight) + bytes_of(p.embed->bias);
    n += static_cast<int64_t>((p.embed->cls.size() + p.embed->pos.size()) * sizeof(float));
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
    n += bytes_of(p.head->ln_scale) + bytes_of(p.head->ln_shift) + bytes_of(p.head->weight) +
         bytes_of(p.head->bias);
  return n;
}

expected<vit_model> vit_model::create(const vit_config& cfg, const weight_map& weights,
                                      const model_options& opts) {
  auto source = [&](const weight_spec& spec) -> expected<tensor> {
    auto it = weights.find(spec.name);
    if (it == weights.end()) return make_error(errc::not_found, "missing tensor " + spec.name);
    return it->second;
  };
  return build(cfg, opts, source);
}

expected<vit_model> vit_model::synthetic(const vit_config& cfg, uint64_t seed,
                                         const model_options& options) {
  auto source = [&](const weight_spec& spec) -> expected<tensor> {
    return synthetic_weight(spec, seed);
  };
  model_options opts = options;
  if (opts.compute == dtype::int8 && !opts.calibration) {
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

expected<vit_model> vit_model::load(const std::string& dir, const model_options& opts) {
  auto cfg = read_vit_config(dir + "/config.json");
  if (!cfg) return cfg.error();
  auto range = resolve(*cfg, opts);
  if (!range) return range.error();
  std::set<std::string> needed;
  for (const auto& spec : range_weights(*cfg, range->first, range->last)) needed.insert(spec.name);
  const std::string file = dir + "/model.safetensors";
  auto weights = read_safetensors(file, [&](const std::string& n) { return needed.count(n) > 0; });
  if (!weights) return weights.error();
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
  if (opts.compute == dtype::int8 && !opts.calibration) {
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

expected<vit_model> vit_model::build(const vit_config& cfg, const model_options& options,
                                     const weight_source& source) {
  // create() and synthetic() take a config that did not come through read_vit_config.
  if (cfg.image_size <= 0 || cfg.patch_size <= 0 || cfg.patch_size > cfg.image_size ||
      cfg.num_channels <= 0 || cfg.hidden_size <= 0 || cfg.num_attention_heads <= 0 ||
      cfg.num_hidden_layers <= 0 || cfg.intermediate_size <= 0 || cfg.num_labels <= 0)
    return make_error(errc::invalid_argument, "vit_config has a size that is not positive "
                                              "(or patch_size > image_size)");
  if (cfg.hidden_size % cfg.num_attention_heads != 0)
    return make_error(errc::invalid_argument,
                      "hidden_size must be a multiple of num_attention_heads");
  auto opts = resolve(cfg, options);
  if (!opts) return opts.error();
  auto p = std::make_unique<impl>();
  p->cfg = cfg;
  p->opts = *opts;
  p->dnnl.threads = opts->threads > 0 ? opts->threads : omp_get_num_procs();
  const dnnl_dt compute = opts->compute == dtype::bf16   ? dnnl_dt::bf16
                          : opts->compute == dtype::int8 ? dnnl_dt::s8
                                                         : dnnl_dt::f32;
  if (opts->compute == dtype::int8 && !opts->calibration)
    return make_error(errc::invalid_argument,
                      "int8 needs activation ranges: model_options::calibration "
                      "(edgepipe calibrate writes int8_calibration.json)");
  auto params =
      build_params(p->dnnl, cfg, compute, opts->first, opts->last, source, opts->calibration.get());
  if (!params) return params.error();
  p->params = std::move(*params);
  return vit_model(std::move(p));
}

void vit_model::set_observer(site_observer observer) {
  impl_->observer = observer;
  for (auto& [batch, plan] : impl_->plans) plan->observer = observer;
}

expected<std::vector<std::string>> vit_model::implementations(int64_t batch) {
  impl_->dnnl.use_threads();
  auto plan = impl_->plan_for(batch);
  if (!plan) return plan.error();
  return (*plan)->implementations();
}

expected<activation> vit_model::forward(int first, int last, const activation& src) {
  impl& m = *impl_;
  if (first < m.opts.first || last > m.opts.last || first > last)
    return make_error(errc::invalid_argument,
                      "forward " + std::to_string(first) + ":" + std::to_string(last) +
                          " is outside the loaded layers " + std::to_string(m.opts.first) + ":" +
                          std::to_string(m.opts.last));
  if (src.main.shape.empty() || src.main.shape[0] < 1)
    return make_error(errc::invalid_input, "the input has no batch dimension");
  if (static_cast<int64_t>(src.main.data.size()) != src.main.numel() ||
      static_cast<int64_t>(src.skip.data.size()) != (src.skip.shape.empty() ? 0 : src.skip.numel()))
    return make_error(errc::invalid_input, "tensor data size does not match its shape");
  try {
    m.dnnl.use_threads();
    auto plan = m.plan_for(src.main.shape[0]);
    if (!plan) return plan.error();
    vit_plan& p = **plan;
    if (auto ok = m.import(p, first, src); !ok) return ok.error();
    for (int layer = first; layer <= last; ++layer) {
      const layer_position at = encoder_position(layer);
      const int block = at.block;
      switch (at.part) {
      case block_part::attention:
        if (layer == 1) p.embed(src.main.data.data());
        p.attention(block);
        break;
      case block_part::attention_output:
        p.attention_output(block);
        break;
      case block_part::mlp_in:
        p.mlp_in(block);
        break;
      case block_part::mlp_out:
        p.mlp_out(block);
        if (layer == m.cfg.planner_layers()) p.head();
      }
    }
    return m.export_(p, last);
  } catch (const dnnl::error& e) {
    return dnnl_failure("forward " + std::to_string(first) + ":" + std::to_string(last), e);
  }
}

expected<tensor> vit_model::classify(const tensor& images) {
  activation src;
  src.main = images;
  auto out = forward(1, num_layers(), src);
  if (!out) return out.error();
  return std::move(out->main);
}

} // namespace edgepipe::ops
