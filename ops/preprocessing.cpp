#include "ops/preprocessing.hpp"

#include <sys/stat.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/path.hpp"

namespace edgepipe::ops {
namespace {

error bad_key(const std::string& path, const std::string& key, const std::string& what) {
  return make_error(errc::invalid_input, path + ": \"" + key + "\" " + what);
}

// Reads an optional list of positive (std) or any (mean) finite numbers; a
// single number is accepted as a list of one.
expected<void> read_numbers(const nlohmann::json& j, const std::string& path,
                            const std::string& key, bool positive, std::vector<double>& out) {
  auto it = j.find(key);
  if (it == j.end()) return {};
  nlohmann::json list = it->is_array() ? *it : nlohmann::json::array({*it});
  if (list.empty()) return bad_key(path, key, "must not be empty");
  std::vector<double> values;
  for (const auto& v : list) {
    if (!v.is_number()) return bad_key(path, key, "must be a number or a list of numbers");
    double x = v.get<double>();
    if (!std::isfinite(x) || (positive && x <= 0))
      return bad_key(path, key, positive ? "must hold positive numbers" : "must be finite");
    values.push_back(x);
  }
  out = values;
  return {};
}

expected<void> read_bool(const nlohmann::json& j, const std::string& path, const std::string& key,
                         bool& out) {
  auto it = j.find(key);
  if (it == j.end()) return {};
  if (!it->is_boolean()) return bad_key(path, key, "must be true or false");
  out = it->get<bool>();
  return {};
}

} // namespace

expected<image_preprocessing> read_preprocessing(const std::string& model_dir) {
  image_preprocessing prep;
  std::string path = model_dir + "/preprocessor_config.json";
  if (auto ok = check_path(path); !ok) return ok.error();
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return prep; // absent: Hugging Face's defaults
  std::ifstream in(path);
  if (!in) return make_error(errc::io_error, path + ": cannot open");
  auto j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return make_error(errc::invalid_input, path + ": not a JSON object");
  if (auto r = read_bool(j, path, "do_rescale", prep.do_rescale); !r) return r.error();
  if (auto r = read_bool(j, path, "do_normalize", prep.do_normalize); !r) return r.error();
  if (auto it = j.find("rescale_factor"); it != j.end()) {
    if (!it->is_number() || !std::isfinite(it->get<double>()))
      return bad_key(path, "rescale_factor", "must be a finite number");
    prep.rescale_factor = it->get<double>();
  }
  if (auto r = read_numbers(j, path, "image_mean", false, prep.image_mean); !r) return r.error();
  if (auto r = read_numbers(j, path, "image_std", true, prep.image_std); !r) return r.error();
  if (auto it = j.find("do_resize"); it != j.end() && it->is_boolean() && it->get<bool>())
    return bad_key(path, "do_resize", "is true, but edgepipe does not resize images");
  return prep;
}

expected<tensor> preprocess_images(const std::vector<uint8_t>& pixels,
                                   const std::vector<int64_t>& nchw,
                                   const image_preprocessing& prep) {
  if (nchw.size() != 4)
    return make_error(errc::invalid_argument,
                      "images must be [N, C, H, W], got " + shape_string(nchw));
  tensor t;
  t.shape = nchw;
  if (static_cast<size_t>(t.numel()) != pixels.size())
    return make_error(errc::invalid_argument, "images of shape " + shape_string(nchw) + " need " +
                                                  std::to_string(t.numel()) + " pixels, got " +
                                                  std::to_string(pixels.size()));
  const int64_t channels = nchw[1], plane = nchw[2] * nchw[3];
  for (const auto* v : {&prep.image_mean, &prep.image_std})
    if (prep.do_normalize && v->size() != 1 && static_cast<int64_t>(v->size()) != channels)
      return make_error(errc::invalid_input, "image_mean/image_std have " +
                                                 std::to_string(v->size()) +
                                                 " values but the images have " +
                                                 std::to_string(channels) + " channels");
  t.data.resize(pixels.size());
  const float scale = prep.do_rescale ? static_cast<float>(prep.rescale_factor) : 1.0f;
  for (int64_t n = 0; n < nchw[0]; ++n)
    for (int64_t c = 0; c < channels; ++c) {
      // Same arithmetic order as the training script: rescale, then (x - mean) / std, in float32.
      float mean = 0.0f, std = 1.0f;
      if (prep.do_normalize) {
        mean = static_cast<float>(prep.image_mean[prep.image_mean.size() == 1 ? 0 : c]);
        std = static_cast<float>(prep.image_std[prep.image_std.size() == 1 ? 0 : c]);
      }
      const size_t base = static_cast<size_t>((n * channels + c) * plane);
      for (int64_t i = 0; i < plane; ++i) {
        float x = static_cast<float>(pixels[base + i]) * scale;
        t.data[base + i] = (x - mean) / std;
      }
    }
  return t;
}

} // namespace edgepipe::ops
