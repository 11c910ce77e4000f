// model_descriptor::of for DeiT and BERT against the real thing: the shapes
// forward returns at every layer (BERT's mask included), the tensors of the
// reference safetensors files, and the bytes a model holds for layer ranges.
#include <gtest/gtest.h>

#include "family_test_util.hpp"
#include "ops/cpu_support.hpp"
#include "ops/layer_descriptor.hpp"
#include "ops/model_weights.hpp"

using namespace edgepipe;
using namespace edgepipe::ops;
using namespace edgepipe::ops::testing;

namespace {

std::vector<int64_t> with_batch(int64_t b, const std::vector<int64_t>& per_sample) {
  std::vector<int64_t> s{b};
  s.insert(s.end(), per_sample.begin(), per_sample.end());
  return s;
}

// Every matmul size a multiple of 64, so oneDNN's layouts need no padding.
model_config aligned(model_family family) {
  model_config c;
  c.family = family;
  c.prefix = to_string(family) + std::string(".");
  c.image_size = 32;
  c.patch_size = 16;
  c.hidden_size = 128;
  c.num_attention_heads = 2;
  c.num_hidden_layers = 3;
  c.intermediate_size = 256;
  c.num_labels = 64;
  c.distilled = family == model_family::deit;
  c.vocab_size = 128;
  c.max_position_embeddings = 64;
  c.sequence_length = 24;
  return c;
}

void expect_shapes_match(model& m, const model_descriptor& desc, const activation& input) {
  const int64_t batch = input.main.shape[0];
  ASSERT_EQ(desc.num_layers(), m.num_layers());
  EXPECT_EQ(input.main.shape, with_batch(batch, desc.input_shape()));
  activation cur = input;
  for (int k = 1; k <= desc.num_layers(); ++k) {
    auto out = m.forward(k, k, cur);
    ASSERT_TRUE(out) << out.error().message;
    const layer_info& l = desc.layer(k);
    EXPECT_EQ(out->main.shape, with_batch(batch, l.output_shape)) << l.name;
    EXPECT_EQ(out->skip.shape,
              l.has_skip() ? with_batch(batch, l.skip_shape) : std::vector<int64_t>{})
        << l.name;
    EXPECT_EQ(out->mask.shape,
              l.mask_shape.empty() ? std::vector<int64_t>{} : with_batch(batch, l.mask_shape))
        << l.name;
    const int64_t elements = out->main.numel() + out->skip.numel() * out->has_skip() +
                             out->mask.numel() * out->has_mask();
    EXPECT_EQ(elements, batch * l.output_elements()) << l.name;
    cur = std::move(*out);
  }
}

TEST(FamilyDescriptor, OutputShapesMatchForwardOnTheReferences) {
  for (const auto& name : deit_configs()) {
    auto m = model::load(deit_dir(name), one_thread());
    ASSERT_TRUE(m) << m.error().message;
    expect_shapes_match(*m, model_descriptor::of(m->config()),
                        reference_input(deit_dir(name), false));
  }
  for (const auto& name : bert_configs()) {
    auto m = model::load(bert_dir(name), one_thread());
    ASSERT_TRUE(m) << m.error().message;
    model_config c = m->config();
    activation in = reference_input(bert_dir(name), true);
    c.sequence_length = static_cast<int>(in.main.shape[1]); // the descriptor's S is the config's
    expect_shapes_match(*m, model_descriptor::of(c), in);
  }
}

TEST(FamilyDescriptor, ParametersMatchTheReferenceFiles) {
  std::vector<std::string> dirs;
  for (const auto& n : deit_configs()) dirs.push_back(deit_dir(n));
  for (const auto& n : bert_configs()) dirs.push_back(bert_dir(n));
  for (const auto& dir : dirs) {
    auto m = model::load(dir, one_thread());
    ASSERT_TRUE(m) << m.error().message;
    auto file = read_safetensors(dir + "/model.safetensors");
    ASSERT_TRUE(file) << file.error().message;
    int64_t in_file = 0;
    for (const auto& [name, t] : *file) in_file += t.numel();
    const model_descriptor desc = model_descriptor::of(m->config());
    EXPECT_EQ(desc.parameters(1, desc.num_layers()), in_file) << dir;
    for (int k = 1; k <= desc.num_layers(); ++k) {
      int64_t listed = 0;
      for (const auto& spec : layer_weights(m->config(), k)) {
        ASSERT_TRUE(file->count(spec.name)) << spec.name;
        listed += file->at(spec.name).numel();
      }
      EXPECT_EQ(desc.layer(k).parameters(), listed) << dir << " layer " << k;
    }
  }
}

TEST(FamilyDescriptor, WeightBytesEqualWhatTheModelLoadsForRanges) {
  for (model_family f : {model_family::deit, model_family::bert}) {
    const model_config cfg = aligned(f);
    const model_descriptor desc = model_descriptor::of(cfg);
    const int L = desc.num_layers();
    for (dtype dt : {dtype::f32, dtype::bf16})
      for (auto [first, last] : std::vector<std::pair<int, int>>{{1, L}, {1, 1}, {2, 7}, {L, L}}) {
        if (!check_dtype_supported(dt)) continue; // bf16 on a CPU without it (cpu_support.hpp)
        model_options o = one_thread(dt);
        o.first = first;
        o.last = last;
        auto m = model::synthetic(cfg, 3, o);
        ASSERT_TRUE(m) << m.error().message;
        // A distilled DeiT holds its two classifiers stacked with one (averaged)
        // bias: one bias of `labels` floats fewer than the file's parameters.
        const int64_t merged_bias = cfg.distilled && last == L ? 4 * cfg.num_labels : 0;
        EXPECT_EQ(m->weight_bytes(), desc.weight_bytes(first, last, dt) - merged_bias)
            << to_string(f) << " " << to_string(dt) << " layers " << first << ".." << last;
      }
    auto m = model::synthetic(cfg, 3, one_thread());
    ASSERT_TRUE(m) << m.error().message;
    expect_shapes_match(*m, desc, synthetic_input(cfg, 2, 1));
  }
}

TEST(FamilyDescriptor, BertCountsItsMaskAndPublishedSizesAdd) {
  const model_descriptor bert = model_descriptor::of(*named_model_config("bert-base-uncased"));
  EXPECT_EQ(bert.family(), "bert");
  EXPECT_EQ(bert.input_elements(), 2 * 128); // ids + mask
  EXPECT_EQ(bert.layer(1).output_elements(), 2 * 128 * 768 + 128);
  EXPECT_EQ(bert.layer(48).output_elements(), 768); // the pooled output, no mask
  EXPECT_NEAR(bert.parameters(1, 48) / 1e6, 109.48, 0.01);
  EXPECT_NE(bert.layer(2).name.find("+ LN"), std::string::npos) << bert.layer(2).name;
  const model_descriptor deit =
      model_descriptor::of(*named_model_config("facebook/deit-base-distilled-patch16-224"));
  EXPECT_EQ(deit.family(), "deit");
  EXPECT_EQ(deit.layer(1).output_elements(), 2 * 198 * 768);
  EXPECT_NEAR(deit.parameters(1, 48) / 1e6, 87.34, 0.01);
}

} // namespace
