// BERT's padding and inputs, checked without PyTorch: a padded sample gives
// what the same sentence gives alone and unpadded (at every split point, with
// the stage boundary inside the padded batch), the mask is required after
// layer 1, and bad ids, types, masks and lengths are refused by name.
#include <gtest/gtest.h>

#include "family_test_util.hpp"
#include "ops/bert_model.hpp"

using namespace edgepipe;
using namespace edgepipe::ops;
using namespace edgepipe::ops::testing;

namespace {

const std::string padded_model = "v97_h4_cls_padded"; // lengths 11, 7, 3 in a batch of S = 11

// Sample i of a [B, S] tensor, cut to its first n tokens: [1, n].
tensor first_tokens(const tensor& t, int64_t i, int64_t n) {
  tensor s;
  s.shape = {1, n};
  const int64_t len = t.shape[1];
  s.data.assign(t.data.begin() + i * len, t.data.begin() + i * len + n);
  return s;
}

int64_t real_tokens(const tensor& mask, int64_t i) {
  int64_t n = 0;
  for (int64_t j = 0; j < mask.shape[1]; ++j) n += mask.data[i * mask.shape[1] + j] != 0.0f;
  return n;
}

TEST(bert_padding, padded_samples_equal_the_unpadded_sentence_at_every_split) {
  const std::string dir = bert_dir(padded_model);
  auto m = model::load(dir, one_thread());
  ASSERT_TRUE(m) << m.error().message;
  const activation batch = reference_input(dir, true);
  const int n = m->num_layers();
  for (int k = 1; k < n; ++k) {
    auto mid = m->forward(1, k, batch); // the stage boundary inside the padded batch
    ASSERT_TRUE(mid) << mid.error().message;
    auto out = m->forward(k + 1, n, *mid);
    ASSERT_TRUE(out) << out.error().message;
    for (int64_t i = 0; i < 3; ++i) {
      const int64_t len = real_tokens(batch.mask, i);
      activation alone; // no padding and no mask: S = len
      alone.main = first_tokens(batch.main, i, len);
      alone.skip = first_tokens(batch.skip, i, len);
      auto want = m->forward(1, n, alone);
      ASSERT_TRUE(want) << want.error().message;
      EXPECT_LE(max_abs_diff(slice_batch(out->main, i, i + 1), want->main), 1e-5)
          << "sample " << i << " (" << len << " tokens), split after layer " << k;
    }
  }
}

TEST(bert_padding, a_padded_key_changes_nothing_and_an_unmasked_one_does) {
  const std::string dir = bert_dir(padded_model);
  auto m = model::load(dir, one_thread());
  ASSERT_TRUE(m) << m.error().message;
  activation a = reference_input(dir, true);
  auto base = m->forward(1, m->num_layers(), a);
  ASSERT_TRUE(base) << base.error().message;
  activation changed = a; // another id at a padded position of sample 2 (3 real tokens)
  changed.main.data[2 * 11 + 5] = 42.0f;
  auto same = m->forward(1, m->num_layers(), changed);
  ASSERT_TRUE(same) << same.error().message;
  EXPECT_LE(max_abs_diff(same->main, base->main), 1e-6);
  changed.mask.data[2 * 11 + 5] = 1.0f; // now the key is real: the output must move
  auto moved = m->forward(1, m->num_layers(), changed);
  ASSERT_TRUE(moved) << moved.error().message;
  EXPECT_GT(max_abs_diff(slice_batch(moved->main, 2, 3), slice_batch(base->main, 2, 3)), 1e-3);
}

void expect_error(const expected<activation>& r, const std::string& needle) {
  ASSERT_FALSE(r.has_value()) << "accepted an input that should have been refused";
  EXPECT_NE(r.error().message.find(needle), std::string::npos)
      << "'" << r.error().message << "' does not mention '" << needle << "'";
}

TEST(bert_inputs, bad_ids_types_masks_and_lengths_are_named) {
  const std::string dir = bert_dir(padded_model); // vocab 97, 2 types, 40 positions
  auto m = model::load(dir, one_thread());
  ASSERT_TRUE(m) << m.error().message;
  const activation good = reference_input(dir, true);
  activation a = good;
  a.main.data[4] = 97.0f;
  expect_error(m->forward(1, 4, a), "token id at flat index 4 is 97");
  a = good;
  a.main.data[0] = 1.5f;
  expect_error(m->forward(1, 4, a), "token id at flat index 0");
  a = good;
  a.skip.data[3] = 2.0f;
  expect_error(m->forward(1, 4, a), "token type id at flat index 3");
  a = good;
  a.mask.data[1] = 0.5f;
  expect_error(m->forward(1, 4, a), "attention mask");
  a = good;
  a.mask = slice_batch(a.mask, 0, 2);
  expect_error(m->forward(1, 4, a), "attention mask of shape [3, 11], got [2, 11]");
  a = good;
  a.main = tensor::zeros({1, 41});
  a.skip = {};
  a.mask = {};
  expect_error(m->forward(1, 4, a), "sequence length 41 is outside 1..40");
  a.main = tensor::zeros({3, 11, 1});
  expect_error(m->forward(1, 4, a), "token ids [B, S]");

  // After layer 1 the mask must come with the hidden states.
  auto mid = m->forward(1, 2, good);
  ASSERT_TRUE(mid) << mid.error().message;
  activation no_mask = *mid;
  no_mask.mask = {};
  expect_error(m->forward(3, 4, no_mask), "layer 3 takes the attention mask");
}

TEST(bert_inputs, no_mask_and_no_types_mean_no_padding_and_segment_zero) {
  const std::string dir = bert_dir("v120_h1_cls_bf16"); // every sample is 16 real tokens, types 0
  auto m = model::load(dir, one_thread());
  ASSERT_TRUE(m) << m.error().message;
  auto out = m->classify(load_npy(dir + "/ids.npy"));
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_LE(max_abs_diff(*out, load_npy(dir + "/logits.npy")), 1e-4);
  activation a;
  a.main = load_npy(dir + "/ids.npy");
  auto mid = m->forward(1, 1, a);
  ASSERT_TRUE(mid) << mid.error().message;
  ASSERT_TRUE(mid->has_mask()) << "layer 1 adds the mask it was not given";
  EXPECT_EQ(mid->mask.shape, (std::vector<int64_t>{3, 16}));
  for (float v : mid->mask.data) EXPECT_EQ(v, 1.0f);
}

TEST(deit_inputs, a_mask_is_refused) {
  auto m = model::load(deit_dir("gray28_p7_h3"), one_thread());
  ASSERT_TRUE(m) << m.error().message;
  activation a = reference_input(deit_dir("gray28_p7_h3"), false);
  a.mask = tensor::zeros({3, 18});
  expect_error(m->forward(1, 4, a), "takes no attention mask");
}

} // namespace

namespace {

TEST(bert_text_input, pads_masks_and_matches_the_reference_batch) {
  const std::string dir = edgepipe::ops::testing::bert_dir(padded_model);
  auto cfg = read_model_config(dir + "/config.json");
  ASSERT_TRUE(cfg) << cfg.error().message;
  const activation ref = reference_input(dir, true);
  std::vector<std::vector<int32_t>> ids, types;
  for (int64_t i = 0; i < 3; ++i) {
    const int64_t len = real_tokens(ref.mask, i);
    ids.emplace_back();
    types.emplace_back();
    for (int64_t j = 0; j < len; ++j) {
      ids.back().push_back(static_cast<int32_t>(ref.main.data[i * 11 + j]));
      types.back().push_back(static_cast<int32_t>(ref.skip.data[i * 11 + j]));
    }
  }
  auto a = text_input(*cfg, ids, 0, types);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->main.shape, ref.main.shape);
  EXPECT_EQ(a->main.data, ref.main.data); // the reference pads with id 0 too
  EXPECT_EQ(a->skip.data, ref.skip.data);
  EXPECT_EQ(a->mask.data, ref.mask.data);
  auto longer = text_input(*cfg, ids, 20);
  ASSERT_TRUE(longer) << longer.error().message;
  EXPECT_EQ(longer->main.shape, (std::vector<int64_t>{3, 20}));
  EXPECT_FALSE(longer->has_skip());
  auto too_short = text_input(*cfg, ids, 5);
  ASSERT_FALSE(too_short);
  EXPECT_NE(too_short.error().message.find("sentence 0 has 11 tokens"), std::string::npos);
  ids[1][2] = 97;
  auto bad = text_input(*cfg, ids);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("token id 97"), std::string::npos);
}

} // namespace
