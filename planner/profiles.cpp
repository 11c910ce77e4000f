#include "planner/profiles.hpp"

#include <cmath>

namespace edgepipe::planner {

expected<cost_model> parse_cost_model(const std::string& name) {
  if (name == "pipeedge") return cost_model::pipeedge;
  if (name == "edgepipe") return cost_model::edgepipe;
  return make_error(errc::invalid_argument,
                    "unknown cost model '" + name + "' (expected pipeedge or edgepipe)");
}

const char* to_string(cost_model m) {
  return m == cost_model::pipeedge ? "pipeedge" : "edgepipe";
}

namespace {

bool bad_number(double v) {
  return !std::isfinite(v) || v < 0;
}

} // namespace

expected<void> validate_model(const std::string& name, const model_spec& m) {
  auto fail = [&](const std::string& what) {
    return make_error(errc::invalid_input, "model '" + name + "': " + what);
  };
  if (m.layers <= 0) return fail("layers must be a positive integer");
  if (m.parameters_in <= 0) return fail("parameters_in must be positive");
  if (m.parameters_out.empty() || m.parameters_out.size() > static_cast<size_t>(m.layers))
    return fail("parameters_out has " + std::to_string(m.parameters_out.size()) +
                " entries, expected 1.." + std::to_string(m.layers) + " (short lists repeat)");
  for (size_t i = 0; i < m.parameters_out.size(); ++i)
    if (m.parameters_out[i] < 0)
      return fail("parameters_out[" + std::to_string(i) + "] is negative");
  if (m.mem_mb.size() != static_cast<size_t>(m.layers))
    return fail("mem_MB has " + std::to_string(m.mem_mb.size()) + " entries, expected " +
                std::to_string(m.layers));
  for (size_t i = 0; i < m.mem_mb.size(); ++i)
    if (bad_number(m.mem_mb[i]))
      return fail("mem_MB[" + std::to_string(i) + "] must be a finite number >= 0");
  return {};
}

expected<instance> make_instance(const profile_set& profiles, const std::string& model,
                                 const std::string& dtype, const cost_options& options,
                                 std::vector<std::string>* warnings) {
  auto mit = profiles.models.find(model);
  if (mit == profiles.models.end())
    return make_error(errc::not_found, "model '" + model + "' is not in the models file");
  const model_spec& m = mit->second;
  if (auto ok = validate_model(model, m); !ok) return ok.error();
  if (options.batch_size <= 0 || options.dtype_bytes <= 0 || options.buffers_in < 0 ||
      options.buffers_out < 0)
    return make_error(errc::invalid_argument, "batch size, dtype size and buffer counts must be "
                                              "positive");

  instance inst;
  inst.layers = m.layers;
  inst.parameters_in = m.parameters_in;
  for (int i = 0; i < m.layers; ++i)
    inst.parameters_out.push_back(m.parameters_out[i % m.parameters_out.size()]);
  inst.mem_mb = m.mem_mb;
  inst.options = options;

  // Device types in name order (std::map), hosts in file order: PipeEdge's order.
  for (const auto& [type_name, type] : profiles.device_types) {
    if (bad_number(type.mem_mb) || bad_number(type.bw_mbps))
      return make_error(errc::invalid_input,
                        "device type '" + type_name + "': mem_MB and bw_Mbps must be >= 0");
    auto pit = type.model_profiles.find(model);
    if (pit == type.model_profiles.end()) {
      if (warnings)
        warnings->push_back("device type " + type_name + " has no profile for " + model +
                            ": type skipped");
      continue;
    }
    const model_profile_entry* match = nullptr;
    for (const auto& p : pit->second) // the last match wins, as in PipeEdge
      if (p.dtype == dtype && p.batch_size == options.batch_size) match = &p;
    if (!match) {
      if (warnings)
        warnings->push_back("device type " + type_name + " has no " + dtype + " profile at batch " +
                            std::to_string(options.batch_size) + ": type skipped");
      continue;
    }
    if (match->time_s.size() != static_cast<size_t>(m.layers))
      return make_error(errc::invalid_input, "device type '" + type_name + "': time_s has " +
                                                 std::to_string(match->time_s.size()) +
                                                 " entries but model '" + model + "' has " +
                                                 std::to_string(m.layers) + " layers");
    for (size_t i = 0; i < match->time_s.size(); ++i)
      if (bad_number(match->time_s[i]))
        return make_error(errc::invalid_input, "device type '" + type_name + "': time_s[" +
                                                   std::to_string(i) + "] must be >= 0");
    auto hosts = profiles.devices.find(type_name);
    if (hosts == profiles.devices.end()) continue;
    for (const auto& host : hosts->second)
      inst.devices.push_back({host, type_name, type.mem_mb, type.bw_mbps, match->time_s});
  }
  if (inst.devices.empty())
    return make_error(errc::infeasible, "no device has a " + dtype + " profile of '" + model +
                                            "' at batch " + std::to_string(options.batch_size));
  for (size_t a = 0; a < inst.devices.size(); ++a)
    for (size_t b = 0; b < a; ++b)
      if (inst.devices[a].host == inst.devices[b].host)
        return make_error(errc::invalid_input, "host '" + inst.devices[a].host +
                                                   "' is listed twice in the devices file");

  if (!profiles.links.empty()) {
    size_t n = inst.devices.size();
    inst.link_mbps.assign(n * n, -1.0);
    inst.link_bits.assign(n * n, options.default_bits);
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < n; ++i) index[inst.devices[i].host] = i;
    for (const auto& [from, tos] : profiles.links) {
      auto f = index.find(from);
      if (f == index.end()) continue; // a host that is not planned for
      for (const auto& [to, link] : tos) {
        auto t = index.find(to);
        if (t == index.end()) continue;
        if (bad_number(link.bw_mbps) || link.bits < 0 || link.bits > 16)
          return make_error(errc::invalid_input,
                            "link " + from + " -> " + to + ": bw_Mbps must be >= 0 and bits 0..16");
        inst.link_mbps[f->second * n + t->second] = link.bw_mbps;
        inst.link_bits[f->second * n + t->second] = link.bits;
      }
    }
  }
  return inst;
}

} // namespace edgepipe::planner
