// Activations in and out of a plan, checked against what the layer takes
// (activation.hpp): the shapes, BERT's token ids and types (whole numbers
// inside their tables) and its attention mask (0 or 1, required after layer 1).
#include <cmath>
#include <cstdio>
#include <cstring>

#include "ops/model_impl.hpp"
#include "ops/model_input.hpp"

namespace edgepipe::ops {
namespace {

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

// An s8 plan buffer's codes as they are (after the stream has finished).
s8_tensor copy_out_s8(const dnnl_context& ctx, const dnnl::memory& src, std::vector<int64_t> shape,
                      float step) {
  ctx.strm.wait();
  s8_tensor t;
  t.shape = std::move(shape);
  t.step = step;
  const auto* codes = static_cast<const int8_t*>(src.get_data_handle());
  t.data.assign(codes, codes + t.numel()); // one pass: no zero fill first
  return t;
}

// A step for an error message, with every digit a float needs.
std::string float_string(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", double(v));
  return buf;
}

// Every value a whole number in [0, limit); names the first that is not.
expected<void> check_indices(int first, const std::string& what, const tensor& t, int64_t limit) {
  for (size_t i = 0; i < t.data.size(); ++i) {
    const float v = t.data[i];
    if (!(v >= 0.0f && v < static_cast<float>(limit) && v == std::floor(v)))
      return make_error(errc::invalid_input,
                        "layer " + std::to_string(first) + ": " + what + " at flat index " +
                            std::to_string(i) + " is " + std::to_string(v) +
                            ", expected a whole number in 0.." + std::to_string(limit - 1));
  }
  return {};
}

} // namespace

expected<vit_plan*> model::impl::plan_for(int64_t batch, int64_t tokens) {
  auto key = std::make_pair(batch, tokens);
  auto it = plans.find(key);
  if (it != plans.end()) {
    it->second.last_used = ++uses;
    return it->second.plan.get();
  }
  // Room first: the least recently used shape's buffers go before new ones are made.
  while (plans.size() >= max_cached_plans) {
    auto oldest = plans.begin();
    for (auto p = plans.begin(); p != plans.end(); ++p)
      if (p->second.last_used < oldest->second.last_used) oldest = p;
    plans.erase(oldest);
  }
  auto plan = vit_plan::create(dnnl, cfg, params, batch, tokens, params.embed.has_value(),
                               params.head.has_value());
  if (!plan) return plan.error();
  vit_plan* p = plan->get();
  p->observer = observer;
  plans[key] = cached_plan{std::move(*plan), ++uses};
  return p;
}

std::optional<float> model::impl::s8_main_step(int layer) const {
  if (params.compute != dnnl_dt::s8 || layer < 1 || layer >= cfg.planner_layers())
    return std::nullopt;
  const block_params& b = params.blocks[static_cast<size_t>((layer - 1) / 4)];
  switch ((layer - 1) % 4) {
  case 0:
    return b.out_in; // the context, quantized before the output projection
  case 2:
    return b.fc2_in; // fc1's output, written as s8 for fc2
  default:
    return std::nullopt;
  }
}

expected<void> model::impl::check_input(int first, const activation& src) const {
  const std::string layer = "layer " + std::to_string(first);
  if (src.has_main_s8()) {
    // The codes go to the matmul unchanged: only the step it was built with will do.
    const auto step = s8_main_step(first - 1);
    if (!step)
      return make_error(errc::invalid_input,
                        layer + " takes main as f32, not s8: " +
                            (params.compute != dnnl_dt::s8
                                 ? "this model computes " + std::string(to_string(opts.compute))
                                 : std::string("s8 crosses only after layers 4k+1 and 4k+3")));
    if (!(src.main_s8.step == *step))
      return make_error(errc::invalid_input,
                        layer + ": s8 main has step " + float_string(src.main_s8.step) +
                            ", but this model's calibrated step there is " + float_string(*step) +
                            " (do both ends read the same calibration?)");
    if (!src.main.empty())
      return make_error(errc::invalid_input, layer + ": main given both as f32 and as s8");
  }
  input_shapes in{src.main_shape(), src.skip.shape, src.mask.shape};
  if (auto ok = check_input_shapes(cfg, first, opts.max_batch, in); !ok) return ok;
  // The shapes are what the layer takes, so their products are small; a
  // tensor with values but no shape holds none it should.
  for (const tensor* x : {&src.main, &src.skip, &src.mask})
    if (static_cast<int64_t>(x->data.size()) != (x->shape.empty() ? 0 : x->numel()))
      return make_error(errc::invalid_input, layer + ": tensor " + shape_string(x->shape) +
                                                 " holds " + std::to_string(x->data.size()) +
                                                 " values");
  if (src.has_main_s8() && static_cast<int64_t>(src.main_s8.data.size()) != src.main_s8.numel())
    return make_error(errc::invalid_input, layer + ": s8 tensor " +
                                               shape_string(src.main_s8.shape) + " holds " +
                                               std::to_string(src.main_s8.data.size()) + " values");
  return {};
}

expected<int64_t> model::impl::tokens_of(int first, const activation& src) const {
  if (!cfg.is_text()) return int64_t{cfg.tokens()};
  // BERT: the sequence length is the input's: [B, S] ids or [B, S, width].
  const auto& shape = src.main.shape;
  const size_t rank = first == 1 ? 2 : 3;
  if (shape.size() != rank)
    return make_error(errc::invalid_input,
                      "layer " + std::to_string(first) + " takes " +
                          (first == 1 ? "token ids [B, S]" : "a tensor [B, S, width]") + ", got " +
                          shape_string(shape));
  if (shape[1] < 1 || shape[1] > cfg.max_position_embeddings)
    return make_error(errc::invalid_input, "sequence length " + std::to_string(shape[1]) +
                                               " is outside 1.." +
                                               std::to_string(cfg.max_position_embeddings) +
                                               " (max_position_embeddings)");
  return shape[1];
}

// The boundary before layer `first` (activation.hpp) into the plan's buffers;
// check_input has checked the shapes, this checks BERT's values.
expected<void> model::impl::import(vit_plan& plan, int first, const activation& src) {
  if (cfg.is_text()) {
    if (src.has_mask())
      if (auto ok = check_indices(first, "attention mask", src.mask, 2); !ok) return ok.error();
    plan.set_mask(src.has_mask() ? src.mask.data.data() : nullptr);
  }
  if (first == 1) {
    if (cfg.is_text()) {
      if (auto ok = check_indices(first, "token id", src.main, cfg.vocab_size); !ok)
        return ok.error();
      if (src.has_skip())
        if (auto ok = check_indices(first, "token type id", src.skip, cfg.type_vocab_size); !ok)
          return ok.error();
      return {}; // embed_tokens() reads ids and types in place
    }
    return {}; // embed_images() reads the images in place
  }
  const int part = (first - 2) % 4; // the part of the block that produced src
  const bool split = part == 0 || part == 2;
  if (split) {
    if (src.has_main_s8()) {
      // check_input checked the step: the codes are what the quantizing
      // reorder (context) or fc1 (h) would have written here.
      const dnnl::memory& dst = part == 0 ? plan.context_s8() : plan.h;
      std::memcpy(dst.get_data_handle(), src.main_s8.data.data(), src.main_s8.data.size());
    } else {
      // int8: h is s8 with the step of fc2's input (the block of layer `first`).
      copy_in(dnnl, src.main, part == 0 ? plan.ctx : plan.h, params.blocks[(first - 1) / 4].fc2_in);
    }
    copy_in(dnnl, src.skip, plan.x);
    return {};
  }
  copy_in(dnnl, src.main, plan.x);
  return {};
}

activation model::impl::export_(vit_plan& plan, int last, const activation& src, bool s8) {
  dnnl.strm.wait();
  const int64_t b = plan.batch(), t = plan.tokens(), d = cfg.hidden_size;
  activation out;
  if (last == cfg.planner_layers()) {
    out.main = copy_out(dnnl, plan.logits, {b, cfg.output_size()});
    return out;
  }
  if (cfg.is_text()) { // the mask travels with the hidden states
    out.mask = src.mask;
    if (!src.has_mask()) {
      out.mask = tensor::zeros({b, t});
      out.mask.data.assign(out.mask.data.size(), 1.0f);
    }
  }
  const int block = (last - 1) / 4;
  switch ((last - 1) % 4) {
  case 0:
    if (s8) { // the reorder the next layer would run, so the codes are its codes
      plan.quantize_context(block);
      out.main_s8 = copy_out_s8(dnnl, plan.context_s8(), {b, t, d}, params.blocks[block].out_in);
    } else {
      out.main = copy_out(dnnl, plan.ctx, {b, t, d});
    }
    out.skip = copy_out(dnnl, plan.x, {b, t, d});
    break;
  case 2:
    if (s8)
      out.main_s8 =
          copy_out_s8(dnnl, plan.h, {b, t, cfg.intermediate_size}, params.blocks[block].fc2_in);
    else
      out.main = copy_out(dnnl, plan.h, {b, t, cfg.intermediate_size}, params.blocks[block].fc2_in);
    out.skip = copy_out(dnnl, plan.x, {b, t, d});
    break;
  default:
    out.main = copy_out(dnnl, plan.x, {b, t, d});
  }
  return out;
}

} // namespace edgepipe::ops
