// Reading PipeEdge's profile files with file:line:col errors.
#include "config/yaml.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "config/profiles_io.hpp"
#include "config/yaml_guard.hpp"

namespace edgepipe::config {

namespace {

using planner::device_type_spec;
using planner::link_spec;
using planner::model_profile_entry;
using planner::model_spec;

struct source {
  std::string name;
  error at(const YAML::Node& n, const std::string& what) const {
    YAML::Mark m = n.Mark();
    if (m.is_null()) return make_error(errc::invalid_input, name + ": " + what);
    return make_error(errc::invalid_input, name + ":" + std::to_string(m.line + 1) + ":" +
                                               std::to_string(m.column + 1) + ": " + what);
  }
};

expected<YAML::Node> load(const std::string& text, const source& src) {
  // Size, binary bytes, depth, alias expansion and duplicate keys, before a tree is built.
  if (auto guard = check_yaml_text(text, src.name, "profile", profile_limits); !guard)
    return guard.error();
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    return make_error(errc::invalid_input, src.name + ":" + std::to_string(e.mark.line + 1) + ":" +
                                               std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
}

// A required key of map `parent`; a missing key is reported at the map.
expected<YAML::Node> field(const source& src, const YAML::Node& parent, const std::string& key,
                           const std::string& owner) {
  YAML::Node n = parent[key];
  if (!n || n.IsNull()) return src.at(parent, owner + ": missing '" + key + "'");
  return n;
}

expected<double> number(const source& src, const YAML::Node& n, const std::string& what) {
  if (!n.IsScalar()) return src.at(n, what + " must be a number");
  const std::string& s = n.Scalar();
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(v))
    return src.at(n, what + " must be a number, got '" + s + "'");
  if (v < 0) return src.at(n, what + " must not be negative, got " + s);
  return v;
}

expected<int64_t> integer(const source& src, const YAML::Node& n, const std::string& what) {
  if (!n.IsScalar()) return src.at(n, what + " must be an integer");
  const std::string& s = n.Scalar();
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || errno == ERANGE)
    return src.at(n, what + " must be an integer, got '" + s + "'");
  if (v < 0) return src.at(n, what + " must not be negative, got " + s);
  return static_cast<int64_t>(v);
}

expected<std::vector<double>> numbers(const source& src, const YAML::Node& n,
                                      const std::string& what) {
  if (!n.IsSequence()) return src.at(n, what + " must be a list of numbers");
  std::vector<double> out;
  for (size_t i = 0; i < n.size(); ++i) {
    auto v = number(src, n[i], what + "[" + std::to_string(i) + "]");
    if (!v) return v.error();
    out.push_back(*v);
  }
  return out;
}

expected<std::vector<int64_t>> integers(const source& src, const YAML::Node& n,
                                        const std::string& what) {
  if (!n.IsSequence()) return src.at(n, what + " must be a list of integers");
  std::vector<int64_t> out;
  for (size_t i = 0; i < n.size(); ++i) {
    auto v = integer(src, n[i], what + "[" + std::to_string(i) + "]");
    if (!v) return v.error();
    out.push_back(*v);
  }
  return out;
}

expected<std::string> text_of(const source& src, const YAML::Node& n, const std::string& what) {
  if (!n.IsScalar()) return src.at(n, what + " must be a string");
  return n.Scalar();
}

// The top level: a map, or nothing at all (an empty file).
expected<YAML::Node> top_map(const std::string& text, const source& src, const std::string& what) {
  auto root = load(text, src);
  if (!root) return root.error();
  if (root->IsNull()) return YAML::Node(YAML::NodeType::Map);
  if (!root->IsMap()) return src.at(*root, "expected a map of " + what);
  return root;
}

expected<model_spec> parse_model(const source& src, const YAML::Node& n, const std::string& name) {
  std::string owner = "model '" + name + "'";
  if (!n.IsMap()) return src.at(n, owner + " must be a map");
  model_spec m;
  auto layers = field(src, n, "layers", owner);
  if (!layers) return layers.error();
  auto nl = integer(src, *layers, owner + ": layers");
  if (!nl) return nl.error();
  m.layers = static_cast<int>(*nl);
  auto pin = field(src, n, "parameters_in", owner);
  if (!pin) return pin.error();
  auto vin = integer(src, *pin, owner + ": parameters_in");
  if (!vin) return vin.error();
  m.parameters_in = *vin;
  auto pout = field(src, n, "parameters_out", owner);
  if (!pout) return pout.error();
  auto vout = integers(src, *pout, owner + ": parameters_out");
  if (!vout) return vout.error();
  m.parameters_out = *vout;
  if (m.parameters_out.size() > static_cast<size_t>(m.layers) ||
      (m.parameters_out.empty() && m.layers > 0))
    return src.at(*pout, owner + ": parameters_out has " + std::to_string(m.parameters_out.size()) +
                             " entries for " + std::to_string(m.layers) + " layers (1.." +
                             std::to_string(m.layers) + " allowed; short lists repeat)");
  auto mem = field(src, n, "mem_MB", owner);
  if (!mem) return mem.error();
  auto vmem = numbers(src, *mem, owner + ": mem_MB");
  if (!vmem) return vmem.error();
  m.mem_mb = *vmem;
  if (m.mem_mb.size() != static_cast<size_t>(m.layers))
    return src.at(*mem, owner + ": mem_MB has " + std::to_string(m.mem_mb.size()) +
                            " entries but layers is " + std::to_string(m.layers));
  return m;
}

expected<model_profile_entry> parse_profile(const source& src, const YAML::Node& n,
                                            const std::string& owner, const models_map* models,
                                            const std::string& model) {
  if (!n.IsMap()) return src.at(n, owner + " must be a map with batch_size, dtype, time_s");
  model_profile_entry p;
  auto bs = field(src, n, "batch_size", owner);
  if (!bs) return bs.error();
  auto vbs = integer(src, *bs, owner + ": batch_size");
  if (!vbs) return vbs.error();
  p.batch_size = *vbs;
  auto dt = field(src, n, "dtype", owner);
  if (!dt) return dt.error();
  auto vdt = text_of(src, *dt, owner + ": dtype");
  if (!vdt) return vdt.error();
  p.dtype = *vdt;
  auto ts = field(src, n, "time_s", owner);
  if (!ts) return ts.error();
  auto vts = numbers(src, *ts, owner + ": time_s");
  if (!vts) return vts.error();
  p.time_s = *vts;
  if (models) {
    auto it = models->find(model);
    if (it != models->end() && p.time_s.size() != static_cast<size_t>(it->second.layers))
      return src.at(*ts, owner + ": time_s has " + std::to_string(p.time_s.size()) +
                             " entries but model '" + model + "' has " +
                             std::to_string(it->second.layers) + " layers");
  }
  return p;
}

expected<device_types_map> parse_device_types_with(const std::string& text, const std::string& name,
                                                   const models_map* models) {
  source src{name};
  auto root = top_map(text, src, "device types");
  if (!root) return root.error();
  device_types_map out;
  for (auto it = root->begin(); it != root->end(); ++it) {
    auto type = text_of(src, it->first, "device type name");
    if (!type) return type.error();
    std::string owner = "device type '" + *type + "'";
    const YAML::Node n = it->second; // a copy: `it->` returns a temporary
    if (!n.IsMap()) return src.at(n, owner + " must be a map");
    device_type_spec d;
    auto mem = field(src, n, "mem_MB", owner);
    if (!mem) return mem.error();
    auto vmem = number(src, *mem, owner + ": mem_MB");
    if (!vmem) return vmem.error();
    d.mem_mb = *vmem;
    auto bw = field(src, n, "bw_Mbps", owner);
    if (!bw) return bw.error();
    auto vbw = number(src, *bw, owner + ": bw_Mbps");
    if (!vbw) return vbw.error();
    d.bw_mbps = *vbw;
    YAML::Node profiles = n["model_profiles"];
    if (profiles && !profiles.IsNull()) {
      if (!profiles.IsMap()) return src.at(profiles, owner + ": model_profiles must be a map");
      for (auto p = profiles.begin(); p != profiles.end(); ++p) {
        auto model = text_of(src, p->first, owner + ": model name");
        if (!model) return model.error();
        if (!p->second.IsSequence())
          return src.at(p->second, owner + ": profiles of '" + *model + "' must be a list");
        auto& list = d.model_profiles[*model];
        for (size_t i = 0; i < p->second.size(); ++i) {
          auto entry =
              parse_profile(src, p->second[i],
                            owner + ": " + *model + "[" + std::to_string(i) + "]", models, *model);
          if (!entry) return entry.error();
          list.push_back(*entry);
        }
      }
    }
    out[*type] = d;
  }
  return out;
}

} // namespace

expected<models_map> parse_models(const std::string& text, const std::string& name) {
  source src{name};
  auto root = top_map(text, src, "models");
  if (!root) return root.error();
  models_map out;
  for (auto it = root->begin(); it != root->end(); ++it) {
    auto model = text_of(src, it->first, "model name");
    if (!model) return model.error();
    auto m = parse_model(src, it->second, *model);
    if (!m) return m.error();
    out[*model] = *m;
  }
  return out;
}

expected<device_types_map> parse_device_types(const std::string& text, const std::string& name) {
  return parse_device_types_with(text, name, nullptr);
}

expected<devices_map> parse_devices(const std::string& text, const std::string& name) {
  source src{name};
  auto root = top_map(text, src, "device types to hosts");
  if (!root) return root.error();
  devices_map out;
  for (auto it = root->begin(); it != root->end(); ++it) {
    auto type = text_of(src, it->first, "device type name");
    if (!type) return type.error();
    auto& hosts = out[*type];
    if (it->second.IsNull()) continue;
    if (!it->second.IsSequence())
      return src.at(it->second, "device type '" + *type + "': expected a list of hosts");
    for (size_t i = 0; i < it->second.size(); ++i) {
      auto host = text_of(src, it->second[i], "device type '" + *type + "': host");
      if (!host) return host.error();
      hosts.push_back(*host);
    }
  }
  return out;
}

expected<links_map> parse_links(const std::string& text, const std::string& name) {
  source src{name};
  auto root = top_map(text, src, "hosts to neighbors");
  if (!root) return root.error();
  links_map out;
  for (auto it = root->begin(); it != root->end(); ++it) {
    auto from = text_of(src, it->first, "host name");
    if (!from) return from.error();
    if (!it->second.IsMap())
      return src.at(it->second, "host '" + *from + "': expected a map of neighbors");
    for (auto nb = it->second.begin(); nb != it->second.end(); ++nb) {
      auto to = text_of(src, nb->first, "neighbor name");
      if (!to) return to.error();
      std::string owner = "link " + *from + " -> " + *to;
      if (!nb->second.IsMap()) return src.at(nb->second, owner + ": expected a map with bw_Mbps");
      link_spec l;
      auto bw = field(src, nb->second, "bw_Mbps", owner);
      if (!bw) return bw.error();
      auto vbw = number(src, *bw, owner + ": bw_Mbps");
      if (!vbw) return vbw.error();
      l.bw_mbps = *vbw;
      if (YAML::Node bits = nb->second["bits"]; bits && !bits.IsNull()) {
        auto vb = integer(src, bits, owner + ": bits");
        if (!vb) return vb.error();
        if (*vb > 16) return src.at(bits, owner + ": bits must be 0..16");
        l.bits = static_cast<int>(*vb);
      }
      out[*from][*to] = l;
    }
  }
  return out;
}

expected<models_map> read_models(const std::string& path) {
  auto t = read_text(path, profile_limits.max_bytes, "profile file");
  if (!t) return t.error();
  return parse_models(*t, path);
}

expected<device_types_map> read_device_types(const std::string& path) {
  auto t = read_text(path, profile_limits.max_bytes, "profile file");
  if (!t) return t.error();
  return parse_device_types(*t, path);
}

expected<devices_map> read_devices(const std::string& path) {
  auto t = read_text(path, profile_limits.max_bytes, "profile file");
  if (!t) return t.error();
  return parse_devices(*t, path);
}

expected<links_map> read_links(const std::string& path) {
  auto t = read_text(path, profile_limits.max_bytes, "profile file");
  if (!t) return t.error();
  return parse_links(*t, path);
}

expected<planner::profile_set> read_profiles(const std::string& models_path,
                                             const std::string& device_types_path,
                                             const std::string& devices_path,
                                             const std::string& links_path) {
  planner::profile_set p;
  auto models = read_models(models_path);
  if (!models) return models.error();
  p.models = std::move(*models);
  auto types_text = read_text(device_types_path, profile_limits.max_bytes, "profile file");
  if (!types_text) return types_text.error();
  auto types = parse_device_types_with(*types_text, device_types_path, &p.models);
  if (!types) return types.error();
  p.device_types = std::move(*types);
  auto devices = read_devices(devices_path);
  if (!devices) return devices.error();
  p.devices = std::move(*devices);
  if (!links_path.empty()) {
    auto links = read_links(links_path);
    if (!links) return links.error();
    p.links = std::move(*links);
  }
  return p;
}

} // namespace edgepipe::config
