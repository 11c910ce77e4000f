// model_config: config.json dispatch on the family, the shared JSON helpers,
// and the published sizes of each family's models.
#include "ops/model_config.hpp"

#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "base/path.hpp"
#include "ops/config_json.hpp"

namespace edgepipe::ops {

const char* to_string(model_family f) {
  switch (f) {
  case model_family::deit:
    return "deit";
  case model_family::bert:
    return "bert";
  default:
    return "vit";
  }
}

namespace config_json {

error bad_key(const std::string& path, const std::string& key, const std::string& why) {
  return make_error(errc::invalid_input, path + ": key \"" + key + "\" " + why);
}

expected<int> positive_int(const json& j, const std::string& path, const std::string& key) {
  if (!j.contains(key)) return bad_key(path, key, "is missing");
  const json& v = j.at(key);
  if (!v.is_number_integer()) return bad_key(path, key, "must be an integer, got " + v.dump());
  int64_t n = v.get<int64_t>();
  if (n <= 0 || n > (1 << 24))
    return bad_key(path, key, "must be a positive integer, got " + v.dump());
  return static_cast<int>(n);
}

expected<void> read_ints(const json& j, const std::string& path, const std::vector<int_key>& keys) {
  for (const auto& k : keys) {
    auto v = positive_int(j, path, k.name);
    if (!v) return v.error();
    *k.out = *v;
  }
  return {};
}

expected<void> read_encoder(const json& j, const std::string& path, model_config& c) {
  if (auto ok = read_ints(j, path,
                          {{"hidden_size", &c.hidden_size},
                           {"num_attention_heads", &c.num_attention_heads},
                           {"num_hidden_layers", &c.num_hidden_layers},
                           {"intermediate_size", &c.intermediate_size}});
      !ok)
    return ok.error();
  if (c.hidden_size % c.num_attention_heads != 0)
    return bad_key(path, "num_attention_heads",
                   "(" + std::to_string(c.num_attention_heads) + ") must divide hidden_size (" +
                       std::to_string(c.hidden_size) + ")");
  c.layer_norm_eps = 1e-12f; // Hugging Face's default for all three families
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
  return {};
}

// id2label {"0": "cat", ...} -> labels in id order; every id 0..n-1 exactly once.
expected<void> read_labels(const json& j, const std::string& path, model_config& c,
                           int default_labels) {
  if (!j.contains("id2label")) {
    if (!j.contains("num_labels") && default_labels > 0) {
      c.num_labels = default_labels;
      return {};
    }
    auto n = positive_int(j, path, "num_labels");
    if (!n) return bad_key(path, "id2label", "is missing (and there is no num_labels)");
    c.num_labels = *n;
    return {};
  }
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
  c.labels.clear();
  for (auto& [id, name] : by_id) c.labels.push_back(name);
  c.num_labels = static_cast<int>(c.labels.size());
  if (j.contains("num_labels") && j.at("num_labels") != c.num_labels)
    return bad_key(path, "num_labels",
                   "disagrees with the size of id2label (" + std::to_string(c.num_labels) + ")");
  return {};
}

} // namespace config_json

namespace {

using config_json::json;

std::string string_key(const json& j, const char* key) {
  return j.contains(key) && j.at(key).is_string() ? j.at(key).get<std::string>() : "";
}

expected<model_config> parse(const json& j, const std::string& path) {
  if (!j.is_object()) return make_error(errc::invalid_input, path + ": not a JSON object");
  std::string arch;
  if (j.contains("architectures")) {
    const json& a = j.at("architectures");
    if (!a.is_array() || a.size() != 1 || !a[0].is_string())
      return config_json::bad_key(path, "architectures",
                                  "must be a list of one class name, got " + a.dump());
    arch = a[0].get<std::string>();
  }
  std::string type = string_key(j, "model_type");
  if (type.empty()) { // older configs: the architecture says the family; none: ViT
    if (arch.rfind("DeiT", 0) == 0)
      type = "deit";
    else if (arch.rfind("Bert", 0) == 0)
      type = "bert";
    else
      type = "vit";
  }
  if (type == "vit") return config_json::parse_image_config(j, path, model_family::vit, arch);
  if (type == "deit") return config_json::parse_image_config(j, path, model_family::deit, arch);
  if (type == "bert") return config_json::parse_bert_config(j, path, arch);
  return config_json::bad_key(path, "model_type",
                              "is \"" + type + "\": supported are vit, deit and bert");
}

// One published model: its PipeEdge name, its short name, its sizes.
struct named_model {
  const char* pipeedge;
  const char* short_name;
  std::function<model_config()> make;
};

model_config encoder(model_family f, int d, int heads, int layers, int inter) {
  model_config c;
  c.family = f;
  c.hidden_size = d;
  c.num_attention_heads = heads;
  c.num_hidden_layers = layers;
  c.intermediate_size = inter;
  c.layer_norm_eps = 1e-12f;
  c.num_labels = 1000;
  c.prefix = to_string(f) + std::string(".");
  return c;
}

model_config deit(int d, int heads) {
  model_config c = encoder(model_family::deit, d, heads, 12, 4 * d);
  c.distilled = true;
  return c;
}

model_config bert(int d, int heads, int layers, bool classifier, int labels) {
  model_config c = encoder(model_family::bert, d, heads, layers, 4 * d);
  c.classifier = classifier;
  c.num_labels = labels;
  return c;
}

const std::vector<named_model>& table() {
  static const std::vector<named_model> models = {
      {"google/vit-base-patch16-224", "vit-base",
       [] { return encoder(model_family::vit, 768, 12, 12, 3072); }},
      {"google/vit-large-patch16-224", "vit-large",
       [] { return encoder(model_family::vit, 1024, 16, 24, 4096); }},
      {"google/vit-huge-patch14-224-in21k", "vit-huge",
       [] {
         model_config c = encoder(model_family::vit, 1280, 16, 32, 5120);
         c.patch_size = 14;
         return c;
       }},
      {"facebook/deit-base-distilled-patch16-224", "deit-base", [] { return deit(768, 12); }},
      {"facebook/deit-small-distilled-patch16-224", "deit-small", [] { return deit(384, 6); }},
      {"facebook/deit-tiny-distilled-patch16-224", "deit-tiny", [] { return deit(192, 3); }},
      {"bert-base-uncased", "bert-base", [] { return bert(768, 12, 12, false, 2); }},
      {"bert-large-uncased", "bert-large", [] { return bert(1024, 16, 24, false, 2); }},
      {"textattack/bert-base-uncased-CoLA", "bert-base-cola",
       [] { return bert(768, 12, 12, true, 2); }},
  };
  return models;
}

} // namespace

expected<model_config> read_model_config(const std::string& path) {
  if (auto ok = check_path(path); !ok) return ok.error();
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

expected<model_config> named_model_config(const std::string& name) {
  for (const auto& m : table())
    if (name == m.pipeedge || name == m.short_name) return m.make();
  std::string known;
  for (const auto& n : known_model_names()) known += (known.empty() ? "" : ", ") + n;
  return make_error(errc::invalid_argument,
                    "unknown model \"" + name + "\" (known: " + known + ")");
}

std::vector<std::string> known_model_names() {
  std::vector<std::string> names;
  for (const auto& m : table()) names.push_back(m.pipeedge);
  for (const auto& m : table()) names.push_back(m.short_name);
  return names;
}

std::string pipeedge_model_name(const std::string& name) {
  for (const auto& m : table())
    if (name == m.pipeedge || name == m.short_name) return m.pipeedge;
  return "";
}

expected<void> validate(const model_config& c) {
  if (c.hidden_size <= 0 || c.num_attention_heads <= 0 || c.num_hidden_layers <= 0 ||
      c.intermediate_size <= 0 || c.num_labels <= 0)
    return make_error(errc::invalid_argument, "model_config has a size that is not positive");
  if (c.hidden_size % c.num_attention_heads != 0)
    return make_error(errc::invalid_argument,
                      "hidden_size must be a multiple of num_attention_heads");
  if (c.is_text()) {
    if (c.vocab_size <= 0 || c.max_position_embeddings <= 0 || c.type_vocab_size <= 0 ||
        c.sequence_length <= 0 || c.sequence_length > c.max_position_embeddings)
      return make_error(errc::invalid_argument,
                        "bert model_config: vocab_size, max_position_embeddings, type_vocab_size "
                        "must be positive and 0 < sequence_length <= max_position_embeddings");
  } else if (c.image_size <= 0 || c.patch_size <= 0 || c.patch_size > c.image_size ||
             c.num_channels <= 0) {
    return make_error(errc::invalid_argument, "model_config has an image size that is not "
                                              "positive (or patch_size > image_size)");
  }
  return {};
}

} // namespace edgepipe::ops
