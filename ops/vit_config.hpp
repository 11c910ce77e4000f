// vit_config: the name the ViT code has always used for a model's sizes; since
// DeiT and BERT arrived it is ops::model_config (ops/model_config.hpp), which
// also reads DeiT and BERT config.json files.
#pragma once

#include "ops/model_config.hpp"

namespace edgepipe::ops {

using vit_config = model_config;

// read_model_config / named_model_config under their old names.
inline expected<vit_config> read_vit_config(const std::string& path) {
  return read_model_config(path);
}
inline expected<vit_config> named_vit_config(const std::string& name) {
  return named_model_config(name);
}

} // namespace edgepipe::ops
