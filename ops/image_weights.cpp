// The Hugging Face tensor names of ViTForImageClassification and DeiT's two
// classification layouts, per planner layer. DeiT is ViT with a
// distillation token (position table T = patches + 2, in both layouts) and,
// WithTeacher, a second classifier on that token.
#include "ops/model_weights.hpp"

namespace edgepipe::ops {

std::vector<weight_spec> image_layer_weights(const model_config& cfg, int layer) {
  using r = weight_role;
  const int64_t d = cfg.hidden_size, inter = cfg.intermediate_size, labels = cfg.num_labels;
  const int block = (layer - 1) / 4, part = (layer - 1) % 4;
  const std::string& m = cfg.prefix; // "vit." or "deit."
  const std::string p = m + "encoder.layer." + std::to_string(block) + ".";
  std::vector<weight_spec> w;
  switch (part) {
  case 0:
    if (block == 0) {
      const int64_t c = cfg.num_channels, ps = cfg.patch_size;
      w.push_back({m + "embeddings.cls_token", {1, 1, d}, r::cls_token});
      if (cfg.family == model_family::deit)
        w.push_back({m + "embeddings.distillation_token", {1, 1, d}, r::distillation_token});
      w.push_back({m + "embeddings.position_embeddings", {1, cfg.tokens(), d}, r::position_table});
      w.push_back(
          {m + "embeddings.patch_embeddings.projection.weight", {d, c, ps, ps}, r::patch_weight});
      w.push_back({m + "embeddings.patch_embeddings.projection.bias", {d}, r::patch_bias});
    }
    w.push_back({p + "layernorm_before.weight", {d}, r::norm1_scale});
    w.push_back({p + "layernorm_before.bias", {d}, r::norm1_shift});
    w.push_back({p + "attention.attention.query.weight", {d, d}, r::query_weight});
    w.push_back({p + "attention.attention.query.bias", {d}, r::query_bias});
    w.push_back({p + "attention.attention.key.weight", {d, d}, r::key_weight});
    w.push_back({p + "attention.attention.key.bias", {d}, r::key_bias});
    w.push_back({p + "attention.attention.value.weight", {d, d}, r::value_weight});
    w.push_back({p + "attention.attention.value.bias", {d}, r::value_bias});
    break;
  case 1:
    w.push_back({p + "attention.output.dense.weight", {d, d}, r::attn_out_weight});
    w.push_back({p + "attention.output.dense.bias", {d}, r::attn_out_bias});
    break;
  case 2:
    w.push_back({p + "layernorm_after.weight", {d}, r::norm2_scale});
    w.push_back({p + "layernorm_after.bias", {d}, r::norm2_shift});
    w.push_back({p + "intermediate.dense.weight", {inter, d}, r::fc1_weight});
    w.push_back({p + "intermediate.dense.bias", {inter}, r::fc1_bias});
    break;
  default:
    w.push_back({p + "output.dense.weight", {d, inter}, r::fc2_weight});
    w.push_back({p + "output.dense.bias", {d}, r::fc2_bias});
    if (layer == cfg.planner_layers()) {
      w.push_back({m + "layernorm.weight", {d}, r::final_norm_scale});
      w.push_back({m + "layernorm.bias", {d}, r::final_norm_shift});
      if (cfg.distilled) {
        w.push_back({"cls_classifier.weight", {labels, d}, r::classifier_weight});
        w.push_back({"cls_classifier.bias", {labels}, r::classifier_bias});
        w.push_back({"distillation_classifier.weight", {labels, d}, r::distillation_weight});
        w.push_back({"distillation_classifier.bias", {labels}, r::distillation_bias});
      } else {
        w.push_back({"classifier.weight", {labels, d}, r::classifier_weight});
        w.push_back({"classifier.bias", {labels}, r::classifier_bias});
      }
    }
  }
  return w;
}

} // namespace edgepipe::ops
