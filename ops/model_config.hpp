// model_config: the sizes of a transformer of one of the families edgepipe
// runs, read from a Hugging Face config.json or named after a published model.
// Every size in ops/ comes from here; nothing assumes ViT-Base.
//
//   family  Hugging Face layouts (config.json "architectures")        tensor prefix
//   vit     ViTForImageClassification                                 vit.
//   deit    DeiTForImageClassification, ...WithTeacher (distilled)    deit.
//   bert    BertForSequenceClassification (logits), BertModel,        bert. or none
//           BertForPreTraining / BertForMaskedLM (their BertModel: the pooled output)
#pragma once

#include <string>
#include <vector>

#include "base/expected.hpp"

namespace edgepipe::ops {

enum class model_family { vit, deit, bert };
const char* to_string(model_family f);

struct model_config {
  model_family family = model_family::vit;

  // The encoder, shared by every family.
  int hidden_size = 768;
  int num_attention_heads = 12;
  int num_hidden_layers = 12;
  int intermediate_size = 3072;
  float layer_norm_eps = 1e-12f;
  int num_labels = 1000;
  std::vector<std::string> labels; // id2label, in id order (may be empty)

  // Images (vit, deit).
  int image_size = 224;
  int patch_size = 16;
  int num_channels = 3;
  bool distilled = false; // DeiT with teacher: cls + distillation heads, averaged

  // Text (bert).
  int vocab_size = 30522;
  int max_position_embeddings = 512;
  int type_vocab_size = 2;
  // The sequence length that profiles, plans and synthetic inputs assume;
  // forward takes any length 1..max_position_embeddings. Not in config.json.
  int sequence_length = 128;
  // BertForSequenceClassification: pooler + classifier -> logits [B, labels].
  // false (BertModel and friends): the pooled output [B, D] is the model's output.
  bool classifier = true;
  // Prefix of the encoder's tensor names: "vit.", "deit.", "bert." or "" (a
  // BertModel saved alone). load() takes it from the weight file's names.
  std::string prefix = "vit.";

  bool is_text() const { return family == model_family::bert; }
  int num_patches() const { return (image_size / patch_size) * (image_size / patch_size); }
  // Tokens before the patches: CLS (vit), CLS + distillation (deit, both layouts).
  int extra_tokens() const { return family == model_family::deit ? 2 : 1; }
  // Tokens per sample: patches + extra tokens; for bert the nominal sequence_length.
  int tokens() const { return is_text() ? sequence_length : num_patches() + extra_tokens(); }
  int head_dim() const { return hidden_size / num_attention_heads; }
  int planner_layers() const { return 4 * num_hidden_layers; }
  // Width of the last planner layer's output: labels, or hidden_size for a BertModel.
  int output_size() const { return is_text() && !classifier ? hidden_size : num_labels; }
};

// Reads config.json and dispatches on "model_type" (else "architectures";
// neither: vit, as older edgepipe models). Errors name the file and the key;
// an unsupported architecture is named with the ones that are supported.
expected<model_config> read_model_config(const std::string& path);

// Published sizes, for synthetic models: PipeEdge's names (google/vit-base-
// patch16-224, facebook/deit-small-distilled-patch16-224, bert-base-uncased,
// textattack/bert-base-uncased-CoLA, ...) and short ones (vit-base, deit-tiny,
// bert-large, ...). See known_model_names().
expected<model_config> named_model_config(const std::string& name);

// Every name named_model_config accepts, PipeEdge's first.
std::vector<std::string> known_model_names();

// The PipeEdge name of a short name ("deit-base" -> "facebook/deit-base-
// distilled-patch16-224"); a PipeEdge name maps to itself; "" if unknown.
std::string pipeedge_model_name(const std::string& name);

// Checks the sizes of a config that did not come through read_model_config.
expected<void> validate(const model_config& cfg);

} // namespace edgepipe::ops
