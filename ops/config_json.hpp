// config_json: what the config.json readers of each family share (inside ops/
// only): errors that name the file and the key, integer keys, id2label.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ops/model_config.hpp"

namespace edgepipe::ops::config_json {

using json = nlohmann::json;

error bad_key(const std::string& path, const std::string& key, const std::string& why);

// A required integer in 1 .. 2^24.
expected<int> positive_int(const json& j, const std::string& path, const std::string& key);

// Reads every key of `keys` into its int; stops at the first bad one.
struct int_key {
  const char* name;
  int* out;
};
expected<void> read_ints(const json& j, const std::string& path, const std::vector<int_key>& keys);

// The encoder's shared keys: sizes, heads dividing hidden_size, layer_norm_eps
// (default 1e-12) and hidden_act (must be "gelu", the exact erf GELU).
expected<void> read_encoder(const json& j, const std::string& path, model_config& c);

// id2label (or else num_labels) into c.labels / c.num_labels; `default_labels`
// > 0 is used when both are absent (BERT's Hugging Face default is 2).
expected<void> read_labels(const json& j, const std::string& path, model_config& c,
                           int default_labels);

// Per family (ops/vit_config.cpp, ops/bert_config.cpp); `architecture` is the
// config's architectures[0] ("" when absent).
expected<model_config> parse_image_config(const json& j, const std::string& path,
                                          model_family family, const std::string& architecture);
expected<model_config> parse_bert_config(const json& j, const std::string& path,
                                         const std::string& architecture);

} // namespace edgepipe::ops::config_json
