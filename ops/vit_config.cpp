// Reads the config.json of a Hugging Face ViT or DeiT; names the key whenever
// something is off.
#include "ops/config_json.hpp"

namespace edgepipe::ops::config_json {

expected<model_config> parse_image_config(const json& j, const std::string& path,
                                          model_family family, const std::string& architecture) {
  model_config c;
  c.family = family;
  if (family == model_family::vit) {
    if (!architecture.empty() && architecture != "ViTForImageClassification")
      return bad_key(path, "architectures",
                     "is \"" + architecture +
                         "\": the supported ViT layout is ViTForImageClassification");
    c.prefix = "vit.";
  } else {
    // No architectures: model::load tells the layouts apart by their head's tensor names.
    if (architecture == "DeiTForImageClassificationWithTeacher")
      c.distilled = true;
    else if (!architecture.empty() && architecture != "DeiTForImageClassification")
      return bad_key(path, "architectures",
                     "is \"" + architecture +
                         "\": the supported DeiT layouts are DeiTForImageClassification and "
                         "DeiTForImageClassificationWithTeacher");
    c.prefix = "deit.";
  }
  // The sizes are required: a Hugging Face config.json always has them, and a
  // silent default would only resurface later as a confusing shape error.
  if (auto ok = read_ints(j, path,
                          {{"image_size", &c.image_size},
                           {"patch_size", &c.patch_size},
                           {"num_channels", &c.num_channels}});
      !ok)
    return ok.error();
  if (auto ok = read_encoder(j, path, c); !ok) return ok.error();
  if (c.patch_size > c.image_size)
    return bad_key(path, "patch_size",
                   "(" + std::to_string(c.patch_size) + ") is larger than image_size (" +
                       std::to_string(c.image_size) + ")");
  if (j.contains("qkv_bias") && j.at("qkv_bias") != true)
    return bad_key(path, "qkv_bias", "must be true: Q/K/V without bias are not supported");
  if (auto ok = read_labels(j, path, c, 0); !ok) return ok.error();
  return c;
}

} // namespace edgepipe::ops::config_json
