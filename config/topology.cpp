// Public entry points of the topology: load, validate against the model,
// and look up the settings of one link.
#include "config/topology.hpp"

#include <filesystem>

#include "config/text_file.hpp"
#include "config/topology_yaml.hpp"
#include "config/yaml_guard.hpp"

namespace edgepipe::config {

std::string source_pos::str() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

const node_spec* topology::find_node(const std::string& node_name) const {
  for (const node_spec& n : nodes)
    if (n.name == node_name) return &n;
  return nullptr;
}

expected<topology> parse_topology(const std::string& yaml_text, const std::string& file_name,
                                  const std::string& base_dir) {
  topology_yaml::document doc{file_name, base_dir};
  // Size, binary bytes, depth and alias expansion before yaml-cpp builds a tree.
  if (auto guard = check_yaml_text(yaml_text, file_name, "topology", topology_limits); !guard)
    return guard.error();
  try {
    YAML::Node root = YAML::Load(yaml_text);
    topology topo = topology_yaml::read_topology(doc, root);
    if (topo.name.empty()) topo.name = std::filesystem::path(file_name).stem().string();
    return topo;
  } catch (const topology_yaml::topology_error& e) {
    return make_error(errc::invalid_input, e.what());
  } catch (const YAML::Exception& e) {
    // Syntax errors: yaml-cpp's mark is 0-based.
    source_pos at{file_name, e.mark.line + 1, e.mark.column + 1};
    return make_error(errc::invalid_input, at.str() + ": YAML syntax error: " + e.msg);
  }
}

expected<topology> load_topology(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return make_error(errc::not_found, path + ": no such topology file");
  auto text = read_text(path, topology_limits.max_bytes, "topology file");
  if (!text && text.error().code == errc::invalid_input) return text.error(); // too large
  if (!text) return make_error(errc::io_error, path + ": cannot read the topology file");
  std::string base_dir = std::filesystem::path(path).parent_path().string();
  if (base_dir.empty()) base_dir = ".";
  return parse_topology(*text, path, base_dir);
}

expected<void> validate(const topology& topo, int model_layers) {
  if (model_layers <= 0)
    return make_error(errc::invalid_argument,
                      "validate: model_layers must be > 0, got " + std::to_string(model_layers));
  if (topo.partition.automatic) return {};
  if (topo.partition.even) {
    if (int(topo.nodes.size()) > model_layers)
      return make_error(errc::invalid_input, topo.partition.pos.str() +
                                                 ": partition: even needs at most one node per "
                                                 "layer; expected at most " +
                                                 std::to_string(model_layers) + " nodes, got " +
                                                 std::to_string(topo.nodes.size()));
    if (topo.partition.stages.empty()) return {};
  }
  const std::vector<stage_spec>& stages = topo.partition.stages;
  const std::string model_text = "the model's " + std::to_string(model_layers) + " layers";
  for (const stage_spec& stage : stages) {
    if (stage.last > model_layers)
      return make_error(errc::invalid_input,
                        stage.pos.str() + ": layers [" + std::to_string(stage.first) + ", " +
                            std::to_string(stage.last) + "] on node '" + stage.node + "' exceed " +
                            model_text + "; expected layers 1.." + std::to_string(model_layers));
  }
  const stage_spec& last = stages.back();
  if (last.last < model_layers)
    return make_error(errc::invalid_input,
                      last.pos.str() + ": gap: layers " + std::to_string(last.last + 1) + ".." +
                          std::to_string(model_layers) + " of " + model_text +
                          " are on no stage; expected the last stage to end at layer " +
                          std::to_string(model_layers));
  return {};
}

expected<void> resolve_partition(topology& topo, int model_layers) {
  if (!topo.partition.even) return {};
  expected<void> valid = validate(topo, model_layers);
  if (!valid) return valid;
  int nodes = int(topo.nodes.size());
  int first = 1;
  topo.partition.stages.clear();
  for (int i = 0; i < nodes; ++i) {
    int count = model_layers / nodes + (i < model_layers % nodes ? 1 : 0);
    topo.partition.stages.push_back(
        stage_spec{topo.nodes[i].name, first, first + count - 1, topo.partition.pos});
    first += count;
  }
  return {};
}

expected<int> model_layer_count(const model_spec& model) {
  if (model.is_synthetic()) {
    if (model.synthetic == "vit-base") return 4 * 12;
    if (model.synthetic == "vit-large") return 4 * 24;
    if (model.synthetic == "vit-huge") return 4 * 32;
    return make_error(errc::invalid_input,
                      model.pos.str() + ": unknown synthetic model '" + model.synthetic + "'");
  }
  // config.json is JSON, which yaml-cpp reads as YAML: no JSON dependency here.
  std::string path = (std::filesystem::path(model.dir) / "config.json").string();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return make_error(errc::not_found,
                      model.pos.str() + ": model directory '" + model.dir + "' has no config.json");
  // Hugging Face configs are a few KB (ImageNet-21k's label names: ~1 MB).
  auto text = read_text(path, model_config_limits.max_bytes, "model config");
  if (!text) return text.error();
  if (auto guard = check_yaml_text(*text, path, "model config", model_config_limits); !guard)
    return guard.error();
  try {
    YAML::Node config = YAML::Load(*text);
    YAML::Node layers = config["num_hidden_layers"];
    int count = 0;
    if (!layers || !layers.IsScalar() || !YAML::convert<int>::decode(layers, count) || count <= 0)
      return make_error(errc::invalid_input,
                        path + ": expected num_hidden_layers as an integer > 0 (model at " +
                            model.pos.str() + ")");
    return 4 * count;
  } catch (const YAML::Exception& e) {
    return make_error(errc::invalid_input, path + ":" + std::to_string(e.mark.line + 1) + ":" +
                                               std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
}

namespace {

// The IDX files the source will read (gzip'd as Debian ships them, or not).
expected<void> check_dataset(const workload_spec& w) {
  if (w.synthetic) return {};
  if (!w.text.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(w.text, ec))
      return make_error(errc::not_found,
                        w.pos.str() + ": text file '" + w.text + "' does not exist");
    return {};
  }
  std::string prefix = w.split == "train" ? "train" : "t10k";
  for (const char* kind : {"-images-idx3-ubyte", "-labels-idx1-ubyte"}) {
    std::filesystem::path base = std::filesystem::path(w.dataset) / (prefix + kind);
    std::error_code ec;
    if (!std::filesystem::exists(base.string() + ".gz", ec) && !std::filesystem::exists(base, ec))
      return make_error(errc::not_found, w.pos.str() + ": data set '" + w.dataset + "' has no " +
                                             base.filename().string() + "[.gz]");
  }
  return {};
}

} // namespace

expected<topology> load_and_validate(const std::string& path) {
  expected<topology> topo = load_topology(path);
  if (!topo) return topo;
  expected<int> layers = model_layer_count(topo->model);
  if (!layers) return layers.error();
  expected<void> valid = validate(*topo, *layers);
  if (!valid) return valid.error();
  expected<void> resolved = resolve_partition(*topo, *layers);
  if (!resolved) return resolved.error();
  expected<void> data = check_dataset(topo->workload);
  if (!data) return data.error();
  return topo;
}

link_settings settings_for_link(const topology& topo, int after_stage, const std::string& from,
                                const std::string& to) {
  link_settings out{topo.links.default_link, topo.quantization.default_link};
  // Two passes: a stage override first, then a node-pair one wins over it.
  for (bool by_nodes : {false, true}) {
    for (const bandwidth_override& o : topo.links.overrides) {
      if (o.link.by_nodes() != by_nodes) continue;
      if (by_nodes ? (o.link.from == from && o.link.to == to) : o.link.after_stage == after_stage)
        out.bandwidth = o.bandwidth;
    }
    for (const quant_override& o : topo.quantization.overrides) {
      if (o.link.by_nodes() != by_nodes) continue;
      if (by_nodes ? (o.link.from == from && o.link.to == to) : o.link.after_stage == after_stage)
        out.quant = o.quant;
    }
  }
  return out;
}

const char* to_string(quant_mode m) {
  return m == quant_mode::fixed ? "fixed" : "adaptive";
}

const char* to_string(bandwidth_kind k) {
  switch (k) {
  case bandwidth_kind::unlimited:
    return "unlimited";
  case bandwidth_kind::fixed:
    return "fixed";
  case bandwidth_kind::trace:
    return "trace";
  }
  return "unknown";
}

} // namespace edgepipe::config
