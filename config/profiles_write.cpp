// Writing PipeEdge's profile files: the layout PipeEdge's profiler helpers
// write (block maps, flow lists), with doubles at full precision so a file
// read back gives the same numbers bit for bit.
#include "config/yaml.hpp"

#include <limits>

#include "config/profiles_io.hpp"

namespace edgepipe::config {

namespace {

YAML::Emitter& begin(YAML::Emitter& out) {
  out.SetDoublePrecision(std::numeric_limits<double>::max_digits10);
  return out;
}

template <class T> void flow_list(YAML::Emitter& out, const std::vector<T>& values) {
  out << YAML::Flow << YAML::BeginSeq;
  for (const auto& v : values) out << v;
  out << YAML::EndSeq;
}

std::string finish(const YAML::Emitter& out, bool empty) {
  if (empty) return "{}\n";
  return std::string(out.c_str()) + "\n";
}

} // namespace

std::string emit_models(const models_map& models) {
  YAML::Emitter out;
  begin(out) << YAML::BeginMap;
  for (const auto& [name, m] : models) {
    out << YAML::Key << name << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "layers" << YAML::Value << m.layers;
    out << YAML::Key << "mem_MB" << YAML::Value;
    flow_list(out, m.mem_mb);
    out << YAML::Key << "parameters_in" << YAML::Value << m.parameters_in;
    out << YAML::Key << "parameters_out" << YAML::Value;
    flow_list(out, m.parameters_out);
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  return finish(out, models.empty());
}

std::string emit_device_types(const device_types_map& types) {
  YAML::Emitter out;
  begin(out) << YAML::BeginMap;
  for (const auto& [name, d] : types) {
    out << YAML::Key << name << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "bw_Mbps" << YAML::Value << d.bw_mbps;
    out << YAML::Key << "mem_MB" << YAML::Value << d.mem_mb;
    out << YAML::Key << "model_profiles" << YAML::Value << YAML::BeginMap;
    for (const auto& [model, list] : d.model_profiles) {
      out << YAML::Key << model << YAML::Value << YAML::BeginSeq;
      for (const auto& p : list) {
        out << YAML::BeginMap;
        out << YAML::Key << "batch_size" << YAML::Value << p.batch_size;
        out << YAML::Key << "dtype" << YAML::Value << p.dtype;
        out << YAML::Key << "time_s" << YAML::Value;
        flow_list(out, p.time_s);
        out << YAML::EndMap;
      }
      out << YAML::EndSeq;
    }
    out << YAML::EndMap << YAML::EndMap;
  }
  out << YAML::EndMap;
  return finish(out, types.empty());
}

std::string emit_devices(const devices_map& devices) {
  YAML::Emitter out;
  begin(out) << YAML::BeginMap;
  for (const auto& [type, hosts] : devices) {
    out << YAML::Key << type << YAML::Value << YAML::BeginSeq;
    for (const auto& h : hosts) out << h;
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;
  return finish(out, devices.empty());
}

std::string emit_links(const links_map& links) {
  YAML::Emitter out;
  begin(out) << YAML::BeginMap;
  for (const auto& [from, tos] : links) {
    out << YAML::Key << from << YAML::Value << YAML::BeginMap;
    for (const auto& [to, l] : tos) {
      out << YAML::Key << to << YAML::Value << YAML::BeginMap;
      out << YAML::Key << "bw_Mbps" << YAML::Value << l.bw_mbps;
      if (l.bits != 0) out << YAML::Key << "bits" << YAML::Value << l.bits;
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  return finish(out, links.empty());
}

} // namespace edgepipe::config
