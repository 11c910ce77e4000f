// Reads a Hugging Face ViT config.json; names the key whenever something is off.
#include "ops/vit_config.hpp"

#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

namespace edgepipe::ops {
namespace {

using json = nlohmann::json;

error bad_key(const std::string& path, const std::string& key, const std::string& why) {
  return make_error(errc::invalid_input, path + ": key \"" + key + "\" " + why);
}

// A positive integer key; absent keys keep Hugging Face's default when one is given.
expected<int> positive_int(const json& j, const std::string& path, const std::string& key) {
  if (!j.contains(key)) return bad_key(path, key, "is missing");
  const json& v = j.at(key);
  if (!v.is_number_integer()) return bad_key(path, key, "must be an integer, got " + v.dump());
  int64_t n = v.get<int64_t>();
  if (n <= 0 || n > (1 << 24))
    return bad_key(path, key, "must be a positive integer, got " + v.dump());
  return static_cast<int>(n);
}

// id2label {"0": "cat", ...} -> labels in id order; every id 0..n-1 exactly once.
expected<std::vector<std::string>> read_labels(const json& j, const std::string& path) {
  const json& m = j.at("id2label");
  if (!m.is_object() || m.empty())
    return bad_key(path, "id2label", "must be a non-empty object of id -> name");
  std::map<int64_t, std::string> by_id;
  for (auto it = m.begin(); it != m.end(); ++it) {
    int64_t id = -1;
    try {
      size_t used = 0;
      id = std::stoll(it.key(), &used);
      if (used != it.key().size()) id = -1;
    } catch (...) {
      id = -1;
    }
    if (id < 0 || id >= static_cast<int64_t>(m.size()))
      return bad_key(path, "id2label",
                     "has id \"" + it.key() + "\", expected 0.." + std::to_string(m.size() - 1));
    if (!it.value().is_string())
      return bad_key(path, "id2label", "entry \"" + it.key() + "\" must be a string");
    by_id[id] = it.value().get<std::string>();
  }
  std::vector<std::string> labels;
  for (auto& [id, name] : by_id) labels.push_back(name);
  return labels;
}

expected<vit_config> parse(const json& j, const std::string& path) {
  if (!j.is_object()) return make_error(errc::invalid_input, path + ": not a JSON object");
  vit_config c;
  // The sizes are required: a Hugging Face config.json always has them, and a
  // silent default would only resurface later as a confusing shape error.
  struct int_key {
    const char* name;
    int* out;
  };
  const int_key keys[] = {
      {"image_size", &c.image_size},
      {"patch_size", &c.patch_size},
      {"num_channels", &c.num_channels},
      {"hidden_size", &c.hidden_size},
      {"num_attention_heads", &c.num_attention_heads},
      {"num_hidden_layers", &c.num_hidden_layers},
      {"intermediate_size", &c.intermediate_size},
  };
  for (const auto& k : keys) {
    auto v = positive_int(j, path, k.name);
    if (!v) return v.error();
    *k.out = *v;
  }
  if (c.patch_size > c.image_size)
    return bad_key(path, "patch_size",
                   "(" + std::to_string(c.patch_size) + ") is larger than image_size (" +
                       std::to_string(c.image_size) + ")");
  if (c.hidden_size % c.num_attention_heads != 0)
    return bad_key(path, "num_attention_heads",
                   "(" + std::to_string(c.num_attention_heads) + ") must divide hidden_size (" +
                       std::to_string(c.hidden_size) + ")");

  // Optional, with Hugging Face's defaults: layer_norm_eps 1e-12, hidden_act gelu.
  c.layer_norm_eps = 1e-12f;
  if (j.contains("layer_norm_eps")) {
    const json& v = j.at("layer_norm_eps");
    if (!v.is_number() || v.get<double>() < 0)
      return bad_key(path, "layer_norm_eps", "must be a non-negative number, got " + v.dump());
    c.layer_norm_eps = static_cast<float>(v.get<double>());
  }
  if (j.contains("hidden_act")) {
    const json& v = j.at("hidden_act");
    if (!v.is_string() || v.get<std::string>() != "gelu")
      return bad_key(path, "hidden_act", "must be \"gelu\" (exact erf GELU), got " + v.dump());
  }
  if (j.contains("qkv_bias") && j.at("qkv_bias") != true)
    return bad_key(path, "qkv_bias", "must be true: Q/K/V without bias are not supported");

  if (j.contains("id2label")) {
    auto labels = read_labels(j, path);
    if (!labels) return labels.error();
    c.labels = std::move(*labels);
    c.num_labels = static_cast<int>(c.labels.size());
    if (j.contains("num_labels") && j.at("num_labels") != c.num_labels)
      return bad_key(path, "num_labels",
                     "disagrees with the size of id2label (" + std::to_string(c.num_labels) + ")");
  } else {
    auto n = positive_int(j, path, "num_labels");
    if (!n) return bad_key(path, "id2label", "is missing (and there is no num_labels)");
    c.num_labels = *n;
  }
  return c;
}

} // namespace

expected<vit_config> read_vit_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(errc::not_found, path + ": cannot open");
  std::stringstream text;
  text << in.rdbuf();
  json j;
  try {
    j = json::parse(text.str());
  } catch (const json::parse_error& e) {
    return make_error(errc::invalid_input, path + ": not valid JSON at byte " +
                                               std::to_string(e.byte) + ": " + e.what());
  }
  return parse(j, path);
}

expected<vit_config> named_vit_config(const std::string& name) {
  vit_config c; // defaults are ViT-Base/16-224
  c.layer_norm_eps = 1e-12f;
  c.num_labels = 1000;
  if (name == "vit-base") return c;
  if (name == "vit-large") {
    c.hidden_size = 1024;
    c.num_attention_heads = 16;
    c.num_hidden_layers = 24;
    c.intermediate_size = 4096;
    return c;
  }
  if (name == "vit-huge") {
    c.patch_size = 14;
    c.hidden_size = 1280;
    c.num_attention_heads = 16;
    c.num_hidden_layers = 32;
    c.intermediate_size = 5120;
    return c;
  }
  return make_error(errc::invalid_argument,
                    "unknown model \"" + name + "\" (expected vit-base, vit-large or vit-huge)");
}

} // namespace edgepipe::ops
