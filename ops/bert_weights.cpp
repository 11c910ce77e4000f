// The Hugging Face tensor names of BERT (BertModel, under "bert." inside
// BertForSequenceClassification and the pre-training layouts), per planner
// layer. PipeEdge's split of a post-LN block: 4k+1 self-attention, 4k+2 its
// output projection + residual + LayerNorm, 4k+3 intermediate + GELU, 4k+4
// output projection + residual + LayerNorm.
#include "ops/model_weights.hpp"

namespace edgepipe::ops {

std::vector<weight_spec> bert_layer_weights(const model_config& cfg, int layer) {
  using r = weight_role;
  const int64_t d = cfg.hidden_size, inter = cfg.intermediate_size;
  const int block = (layer - 1) / 4, part = (layer - 1) % 4;
  const std::string& m = cfg.prefix; // "bert." or ""
  const std::string p = m + "encoder.layer." + std::to_string(block) + ".";
  std::vector<weight_spec> w;
  switch (part) {
  case 0:
    if (block == 0) {
      const std::string e = m + "embeddings.";
      w.push_back({e + "word_embeddings.weight", {cfg.vocab_size, d}, r::word_table});
      w.push_back(
          {e + "position_embeddings.weight", {cfg.max_position_embeddings, d}, r::position_table});
      w.push_back(
          {e + "token_type_embeddings.weight", {cfg.type_vocab_size, d}, r::token_type_table});
      w.push_back({e + "LayerNorm.weight", {d}, r::embed_norm_scale});
      w.push_back({e + "LayerNorm.bias", {d}, r::embed_norm_shift});
    }
    w.push_back({p + "attention.self.query.weight", {d, d}, r::query_weight});
    w.push_back({p + "attention.self.query.bias", {d}, r::query_bias});
    w.push_back({p + "attention.self.key.weight", {d, d}, r::key_weight});
    w.push_back({p + "attention.self.key.bias", {d}, r::key_bias});
    w.push_back({p + "attention.self.value.weight", {d, d}, r::value_weight});
    w.push_back({p + "attention.self.value.bias", {d}, r::value_bias});
    break;
  case 1:
    w.push_back({p + "attention.output.dense.weight", {d, d}, r::attn_out_weight});
    w.push_back({p + "attention.output.dense.bias", {d}, r::attn_out_bias});
    w.push_back({p + "attention.output.LayerNorm.weight", {d}, r::norm1_scale});
    w.push_back({p + "attention.output.LayerNorm.bias", {d}, r::norm1_shift});
    break;
  case 2:
    w.push_back({p + "intermediate.dense.weight", {inter, d}, r::fc1_weight});
    w.push_back({p + "intermediate.dense.bias", {inter}, r::fc1_bias});
    break;
  default:
    w.push_back({p + "output.dense.weight", {d, inter}, r::fc2_weight});
    w.push_back({p + "output.dense.bias", {d}, r::fc2_bias});
    w.push_back({p + "output.LayerNorm.weight", {d}, r::norm2_scale});
    w.push_back({p + "output.LayerNorm.bias", {d}, r::norm2_shift});
    if (layer == cfg.planner_layers()) {
      w.push_back({m + "pooler.dense.weight", {d, d}, r::pooler_weight});
      w.push_back({m + "pooler.dense.bias", {d}, r::pooler_bias});
      if (cfg.classifier) {
        w.push_back({"classifier.weight", {cfg.num_labels, d}, r::classifier_weight});
        w.push_back({"classifier.bias", {cfg.num_labels}, r::classifier_bias});
      }
    }
  }
  return w;
}

} // namespace edgepipe::ops
