// Reads the config.json of a Hugging Face BERT; names the key whenever
// something is off.
#include <algorithm>

#include "ops/config_json.hpp"

namespace edgepipe::ops::config_json {

expected<model_config> parse_bert_config(const json& j, const std::string& path,
                                         const std::string& architecture) {
  model_config c;
  c.family = model_family::bert;
  c.prefix = "bert.";
  if (architecture == "BertForSequenceClassification") {
    c.classifier = true;
  } else if (architecture.empty() || architecture == "BertModel" ||
             architecture == "BertForPreTraining" || architecture == "BertForMaskedLM") {
    c.classifier = false; // their BertModel: the pooled output is what we compute
  } else {
    return bad_key(path, "architectures",
                   "is \"" + architecture +
                       "\": the supported BERT layouts are BertForSequenceClassification and "
                       "BertModel (also read from BertForPreTraining / BertForMaskedLM)");
  }
  if (auto ok = read_ints(
          j, path,
          {{"vocab_size", &c.vocab_size}, {"max_position_embeddings", &c.max_position_embeddings}});
      !ok)
    return ok.error();
  c.type_vocab_size = 2; // Hugging Face's default
  if (j.contains("type_vocab_size")) {
    auto n = positive_int(j, path, "type_vocab_size");
    if (!n) return n.error();
    c.type_vocab_size = *n;
  }
  if (auto ok = read_encoder(j, path, c); !ok) return ok.error();
  if (j.contains("position_embedding_type") && j.at("position_embedding_type") != "absolute")
    return bad_key(path, "position_embedding_type",
                   "must be \"absolute\", got " + j.at("position_embedding_type").dump());
  if (j.contains("is_decoder") && j.at("is_decoder") == true)
    return bad_key(path, "is_decoder", "must be false: only the encoder is supported");
  c.sequence_length = std::min(c.sequence_length, c.max_position_embeddings);
  if (auto ok = read_labels(j, path, c, 2); !ok) return ok.error();
  return c;
}

} // namespace edgepipe::ops::config_json
