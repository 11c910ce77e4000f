#include "ops/int8_calibration.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/path.hpp"

namespace edgepipe::ops {

const char* to_string(int8_site s) {
  switch (s) {
  case int8_site::qkv_in:
    return "qkv_in";
  case int8_site::out_in:
    return "out_in";
  case int8_site::fc1_in:
    return "fc1_in";
  default:
    return "fc2_in";
  }
}

int8_observer::int8_observer(int blocks)
    : blocks_(blocks), hist_(size_t(blocks) * int8_sites, std::vector<uint64_t>(num_bins, 0)),
      absmax_(size_t(blocks) * int8_sites, 0.0f) {}

void int8_observer::add(int block, int8_site site, const float* x, int64_t n) {
  const size_t k = size_t(block) * int8_sites + static_cast<int>(site);
  std::vector<uint64_t>& h = hist_[k];
  float m = absmax_[k];
  const float tiny = std::ldexp(1.0f, min_exp);
  for (int64_t i = 0; i < n; ++i) {
    float a = std::fabs(x[i]);
    if (!(a >= tiny)) { // also NaN: counted as zero, never as a range
      ++h[0];
      continue;
    }
    m = std::max(m, a);
    int bin = 1 + static_cast<int>((std::log2(a) - min_exp) * bins_per_octave);
    ++h[std::min(bin, num_bins - 1)];
  }
  absmax_[k] = m;
}

int8_calibration int8_observer::result(int64_t images, const std::string& source,
                                       const std::string& method, double percentile) const {
  int8_calibration c;
  c.method = method;
  c.percentile = percentile;
  c.images = images;
  c.source = source;
  c.clip.resize(blocks_);
  c.absmax.resize(blocks_);
  for (int b = 0; b < blocks_; ++b)
    for (int s = 0; s < int8_sites; ++s) {
      const size_t k = size_t(b) * int8_sites + s;
      const float m = absmax_[k] > 0 ? absmax_[k] : 1.0f; // a site never seen: any range works
      c.absmax[b][s] = absmax_[k];
      float clip = m;
      if (method == "percentile") {
        uint64_t total = 0;
        for (uint64_t v : hist_[k]) total += v;
        const double want = total * percentile / 100.0;
        uint64_t seen = 0;
        for (int bin = 0; bin < num_bins; ++bin) {
          seen += hist_[k][bin];
          if (seen >= want && total > 0) {
            // The upper edge of the bin.
            clip = std::min(m, std::exp2(min_exp + float(bin) / bins_per_octave));
            break;
          }
        }
      }
      c.clip[b][s] = clip > 0 ? clip : m;
    }
  return c;
}

namespace {

error bad(const std::string& path, const std::string& what) {
  return make_error(errc::invalid_input, path + ": " + what);
}

} // namespace

expected<int8_calibration> read_int8_calibration(const std::string& path) {
  if (auto ok = check_path(path); !ok) return ok.error();
  std::ifstream in(path);
  if (!in)
    return make_error(errc::not_found, path + ": cannot open (make it with `edgepipe calibrate`)");
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    return bad(path, std::string("not JSON: ") + e.what());
  }
  if (!j.is_object() || j.value("version", 0) != 1)
    return bad(path, "expected an object with \"version\": 1");
  int8_calibration c;
  c.method = j.value("method", std::string("percentile"));
  c.percentile = j.value("percentile", 99.99);
  c.images = j.value("images", int64_t{0});
  c.source = j.value("source", std::string());
  auto blocks = j.find("blocks");
  if (blocks == j.end() || !blocks->is_array() || blocks->empty())
    return bad(path, "\"blocks\" must be a non-empty array");
  for (size_t b = 0; b < blocks->size(); ++b) {
    const auto& o = (*blocks)[b];
    std::array<float, int8_sites> clip{}, absmax{};
    for (int s = 0; s < int8_sites; ++s) {
      const std::string name = to_string(static_cast<int8_site>(s));
      const std::string where = "blocks[" + std::to_string(b) + "]." + name;
      if (!o.is_object() || !o.contains(name) || !o[name].is_object())
        return bad(path, where + " is missing (an object with clip and absmax)");
      const auto& site = o[name];
      if (!site.contains("clip") || !site["clip"].is_number())
        return bad(path, where + ".clip must be a number");
      clip[s] = site["clip"].get<float>();
      absmax[s] = site.value("absmax", clip[s]);
      if (!(clip[s] > 0) || !std::isfinite(clip[s]))
        return bad(path, where + ".clip must be finite and > 0");
    }
    c.clip.push_back(clip);
    c.absmax.push_back(absmax);
  }
  return c;
}

expected<void> write_int8_calibration(const std::string& path, const int8_calibration& c) {
  nlohmann::json j;
  j["version"] = 1;
  j["method"] = c.method;
  j["percentile"] = c.percentile;
  j["images"] = c.images;
  j["source"] = c.source;
  j["blocks"] = nlohmann::json::array();
  for (size_t b = 0; b < c.clip.size(); ++b) {
    nlohmann::json o;
    for (int s = 0; s < int8_sites; ++s)
      o[to_string(static_cast<int8_site>(s))] = {{"clip", c.clip[b][s]},
                                                 {"absmax", c.absmax[b][s]}};
    j["blocks"].push_back(o);
  }
  std::ofstream out(path);
  out << j.dump(1) << "\n";
  if (!out) return make_error(errc::io_error, path + ": cannot write");
  return {};
}

} // namespace edgepipe::ops
