// vit_config: the sizes of a Hugging Face ViTForImageClassification, read from
// its config.json. Every size in ops/ comes from here; nothing assumes ViT-Base.
#pragma once

#include <string>
#include <vector>

#include "base/expected.hpp"

namespace edgepipe::ops {

struct vit_config {
  int image_size = 224;
  int patch_size = 16;
  int num_channels = 3;
  int hidden_size = 768;
  int num_attention_heads = 12;
  int num_hidden_layers = 12;
  int intermediate_size = 3072;
  float layer_norm_eps = 1e-12f;
  int num_labels = 1000;
  std::vector<std::string> labels; // id2label, in id order (may be empty)

  int num_patches() const { return (image_size / patch_size) * (image_size / patch_size); }
  int tokens() const { return num_patches() + 1; } // + CLS
  int head_dim() const { return hidden_size / num_attention_heads; }
  int planner_layers() const { return 4 * num_hidden_layers; }
};

// Reads config.json (hidden_act must be "gelu"); errors name the missing or bad key.
expected<vit_config> read_vit_config(const std::string& path);

// The standard configurations, for synthetic models: "vit-base", "vit-large",
// "vit-huge" (patch 16 at 224; huge uses patch 14), 1000 labels.
expected<vit_config> named_vit_config(const std::string& name);

} // namespace edgepipe::ops
