#include "actors/stage_source.hpp"

#include "ops/layer_descriptor.hpp"
#include "ops/stage_memory.hpp"

namespace edgepipe::actors {

expected<ops::model_source> stage_model_source(const stage_spec& spec) {
  if (!spec.model_dir.empty()) return ops::model_source::from_dir(spec.model_dir);
  ops::vit_config cfg;
  if (!spec.synthetic.empty()) {
    auto named = ops::named_vit_config(spec.synthetic);
    if (!named) return named.error();
    cfg = *named;
  } else if (spec.dims.hidden_size > 0) {
    const vit_dims& d = spec.dims;
    cfg.image_size = d.image_size;
    cfg.patch_size = d.patch_size;
    cfg.num_channels = d.num_channels;
    cfg.hidden_size = d.hidden_size;
    cfg.num_attention_heads = d.num_attention_heads;
    cfg.num_hidden_layers = d.num_hidden_layers;
    cfg.intermediate_size = d.intermediate_size;
    cfg.num_labels = d.num_labels;
  } else {
    return make_error(errc::invalid_argument,
                      "stage_spec names no model (model_dir, synthetic or dims)");
  }
  return ops::model_source::synthetic(cfg, spec.seed);
}

expected<void> check_stage_fits(const stage_spec& spec, int64_t memory_mb) {
  if (memory_mb <= 0) return {};
  auto source = stage_model_source(spec);
  if (!source) return source.error();
  auto dt = ops::parse_dtype(spec.dtype);
  if (!dt) return dt.error();
  const auto model = ops::model_descriptor::vit(source->config);
  const int last = spec.last == 0 ? model.num_layers() : spec.last;
  return ops::check_stage_memory(model, spec.first, last, *dt, memory_mb);
}

} // namespace edgepipe::actors
