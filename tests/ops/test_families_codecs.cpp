// Every codec (clipping method x granularity) at every bitwidth 1..16 on a
// stage boundary of every family, as a link carries it (cli/split_forward.cpp
// does the same for ViT): main and skip go through codecs::encode/decode,
// BERT's attention mask crosses raw and must arrive bit for bit.
#include <gtest/gtest.h>

#include <cmath>

#include "codecs/codec.hpp"
#include "family_test_util.hpp"

using namespace edgepipe;
using namespace edgepipe::ops;
using namespace edgepipe::ops::testing;

namespace {

expected<tensor> cross(const tensor& t, const codecs::quant_params& q) {
  auto frame = codecs::encode(t.data, t.shape, q);
  if (!frame) return frame.error();
  auto back = codecs::decode(frame->data(), frame->size());
  if (!back) return back.error();
  return tensor{back->shape, back->data};
}

// main and skip quantized; the mask copied as it is (activation.hpp: never quantized).
expected<activation> cross_link(const activation& a, const codecs::quant_params& q) {
  activation out;
  auto main = cross(a.main, q);
  if (!main) return main.error();
  out.main = std::move(*main);
  if (a.has_skip()) {
    auto skip = cross(a.skip, q);
    if (!skip) return skip.error();
    out.skip = std::move(*skip);
  }
  out.mask = a.mask;
  return out;
}

struct family_case {
  std::string label, dir;
  bool text;
};

class codecs_on_family : public ::testing::TestWithParam<family_case> {};

TEST_P(codecs_on_family, every_method_and_bitwidth_crosses_every_boundary_kind) {
  const family_case& fc = GetParam();
  auto m = model::load(fc.dir, one_thread());
  ASSERT_TRUE(m) << m.error().message;
  const activation src = reference_input(fc.dir, fc.text);
  const tensor want = load_npy(fc.dir + "/logits.npy");
  const int n = m->num_layers();
  const codecs::clip_method methods[] = {
      codecs::clip_method::none,       codecs::clip_method::aciq,
      codecs::clip_method::ds_aciq,    codecs::clip_method::mse,
      codecs::clip_method::aciq_gauss, codecs::clip_method::ds_aciq_laplace};
  // After attention (main + skip), after fc1 (main + skip), after a block (main only).
  for (int cut : {1, 3, 4}) {
    auto mid = m->forward(1, cut, src);
    ASSERT_TRUE(mid) << mid.error().message;
    double worst_16 = 0, worst_8 = 0;
    for (auto method : methods)
      for (auto gran : {codecs::granularity::tensor, codecs::granularity::sample})
        for (int bits = 1; bits <= 16; ++bits) {
          const codecs::quant_params q{bits, method, gran};
          const std::string what = std::string(codecs::to_string(method)) + "/" +
                                   codecs::to_string(gran) + "/" + std::to_string(bits) +
                                   " after layer " + std::to_string(cut);
          auto crossed = cross_link(*mid, q);
          ASSERT_TRUE(crossed) << what << ": " << crossed.error().message;
          EXPECT_EQ(crossed->mask.data, mid->mask.data) << what;
          auto out = m->forward(cut + 1, n, *crossed);
          ASSERT_TRUE(out) << what << ": " << out.error().message;
          const double diff = max_abs_diff(out->main, want);
          ASSERT_TRUE(std::isfinite(diff)) << what;
          if (bits == 16) worst_16 = std::max(worst_16, diff);
          if (bits == 8) worst_8 = std::max(worst_8, diff);
        }
    // 16 bits: a step of range / 65535 per element, far below these logits' spread (2-5).
    EXPECT_LE(worst_16, 5e-3) << "after layer " << cut;
    EXPECT_LE(worst_8, 0.5) << "after layer " << cut;
    std::printf("[ codecs   ] %s cut %d: worst |logits - pytorch| 16 bits %.1e, 8 bits %.1e\n",
                fc.label.c_str(), cut, worst_16, worst_8);
  }
}

INSTANTIATE_TEST_SUITE_P(
    families, codecs_on_family,
    ::testing::Values(family_case{"vit", reference_dir("rgb32_p8_h4"), false},
                      family_case{"deit", deit_dir("rgb32_p8_h4_distilled"), false},
                      family_case{"bert", bert_dir("v97_h4_cls_padded"), true}),
    [](const auto& info) { return info.param.label; });

} // namespace
