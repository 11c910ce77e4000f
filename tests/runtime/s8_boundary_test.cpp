// The int8 model's mid-block boundaries on a real link. The shipped
// Fashion-MNIST ViT in int8, cut after every 4k+1 (attention context) and
// 4k+3 (fc1 output), each side loading only its own layers: with main sent as
// its s8 codes (encode -> frame bytes -> stage check -> decode -> next range),
// the logits are bit for bit those of the unsplit int8 model, because the
// receiver's matmul takes the very codes the whole model would have made.
// The old way (main as f32 through the 8-bit codec, requantized by the
// receiver) is shown to differ, so the comparison can fail.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "codecs/frame.hpp"
#include "ops/idx.hpp"
#include "ops/preprocessing.hpp"
#include "ops/vit_model.hpp"
#include "runtime/activation_frames.hpp"
#include "runtime/stage_input_check.hpp"

using namespace edgepipe;

namespace {

const std::string model_dir = std::string(EDGEPIPE_SOURCE_DIR) + "/examples/models/fashion-vit";
const std::string data_dir = "/usr/share/datasets/fashion-mnist";
constexpr int64_t batch = 32;

// The first test images; without the data set (Debian package fashion-mnist),
// seeded images of the same shape: exactness does not depend on the pixels.
ops::tensor test_images(const ops::model_config& cfg) {
  auto prep = ops::read_preprocessing(model_dir);
  if (prep)
    if (auto data = ops::read_idx_dataset(data_dir, "t10k", *prep, batch))
      return std::move(data->images);
  return ops::synthetic_input(cfg, batch, 5).main;
}

expected<ops::model> int8_model(int first, int last) {
  ops::model_options o;
  o.compute = ops::dtype::int8;
  o.first = first;
  o.last = last;
  return ops::model::load(model_dir, o);
}

bool bit_identical(const ops::tensor& a, const ops::tensor& b) {
  return a.shape == b.shape && a.data.size() == b.data.size() &&
         std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(float)) == 0;
}

double max_abs_diff(const ops::tensor& a, const ops::tensor& b) {
  double m = 0;
  for (size_t i = 0; i < a.data.size() && i < b.data.size(); ++i)
    m = std::max(m, double(std::fabs(a.data[i] - b.data[i])));
  return m;
}

// The raw float32 frame of a tensor: lossless, so only main's crossing counts.
std::vector<uint8_t> raw_frame(const ops::tensor& t) {
  return *codecs::encode(t.data, t.shape, codecs::quant_params{});
}

} // namespace

TEST(S8Boundary, FashionVitSplitMidBlockIsBitIdenticalToTheWholeInt8Model) {
  auto whole = int8_model(1, 0);
  ASSERT_TRUE(whole) << whole.error().message;
  const ops::model_config cfg = whole->config();
  const int layers = whole->num_layers();
  ops::activation in;
  in.main = test_images(cfg);
  auto want = whole->forward(1, layers, in);
  ASSERT_TRUE(want) << want.error().message;
  const codecs::quant_params q8{8, codecs::clip_method::none, codecs::granularity::tensor};

  int cuts = 0;
  for (int cut = 1; cut < layers; ++cut) {
    const int part = (cut - 1) % 4;
    if (part != 0 && part != 2) {
      EXPECT_FALSE(whole->s8_main_step(cut)) << "layer " << cut;
      continue;
    }
    SCOPED_TRACE("cut after layer " + std::to_string(cut));
    ++cuts;
    auto sender = int8_model(1, cut);
    auto receiver = int8_model(cut + 1, layers);
    ASSERT_TRUE(sender && receiver);
    const auto step = receiver->s8_main_step(cut);
    ASSERT_TRUE(step);
    EXPECT_EQ(sender->s8_main_step(cut), step);

    auto mid = sender->forward(1, cut, in, ops::main_form::s8);
    ASSERT_TRUE(mid) << mid.error().message;
    ASSERT_TRUE(mid->has_main_s8());
    EXPECT_TRUE(mid->main.empty());
    EXPECT_EQ(mid->main_s8.step, *step);
    auto mid_f32 = sender->forward(1, cut, in); // today's f32 boundary
    ASSERT_TRUE(mid_f32) << mid_f32.error().message;
    if (part == 2) { // fc1's s8 output: the f32 form is exactly code * step
      EXPECT_TRUE(bit_identical(mid->main_s8.dequantized(), mid_f32->main));
    }

    // 1. main as its s8 frame (skip raw): the unsplit model's logits, bit for bit.
    auto direct = runtime::encode_activation(*mid, q8);
    ASSERT_TRUE(direct) << direct.error().message;
    EXPECT_EQ(direct->main[5], codecs::element_s8);
    direct->skip = raw_frame(mid->skip);
    auto direct_in = runtime::decode_activation(*direct);
    ASSERT_TRUE(direct_in) << direct_in.error().message;
    ASSERT_TRUE(direct_in->has_main_s8());
    EXPECT_EQ(direct_in->main_s8.data, mid->main_s8.data);
    auto got = receiver->forward(cut + 1, layers, *direct_in);
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_TRUE(bit_identical(got->main, want->main))
        << "max |diff| " << max_abs_diff(got->main, want->main);

    // 2. The old way: main as f32 through the 8-bit codec, requantized on
    // arrival (skip raw as above): two more roundings. After 4k+1 they change
    // the logits with any clipping. After 4k+3 the f32 values are already
    // code * step; with min/max ranges (clip none) the codec's 255 levels over
    // fewer than 255 used codes are finer than the step, so the receiver
    // rounds back to the same codes (exact, but four passes over the tensor);
    // a clipping method (ds-aciq) cuts the range and changes them.
    for (auto clip : {codecs::clip_method::none, codecs::clip_method::ds_aciq}) {
      const codecs::quant_params q{8, clip, codecs::granularity::tensor};
      auto old = runtime::encode_activation(*mid_f32, q);
      ASSERT_TRUE(old) << old.error().message;
      EXPECT_EQ(old->main[5], codecs::element_float32);
      old->skip = raw_frame(mid_f32->skip);
      auto old_out = receiver->forward(cut + 1, layers, *runtime::decode_activation(*old));
      ASSERT_TRUE(old_out) << old_out.error().message;
      const bool same = bit_identical(old_out->main, want->main);
      if (part == 0 || clip != codecs::clip_method::none) {
        EXPECT_FALSE(same) << to_string(clip);
      }
      std::printf("cut after %2d: direct s8 max |diff| %g; 8-bit codec, clip %-7s max |diff| %g\n",
                  cut, max_abs_diff(got->main, want->main), to_string(clip),
                  max_abs_diff(old_out->main, want->main));
    }

    // 3. The link as a stage runs it: main and skip at 8 bits (the skip
    // through the codec, as always). The receiving stage's check passes, the
    // size is the predicted one, and main's crossing loses nothing: the
    // logits equal those of a lossless f32 main with the same 8-bit skip.
    auto link = runtime::encode_activation(*mid, q8);
    ASSERT_TRUE(link);
    EXPECT_EQ(link->bytes(),
              runtime::encoded_bytes(mid->main_shape(), mid->skip.shape, {}, q8, true));
    auto ok = runtime::check_stage_frames(*link, cfg, cut + 1, batch,
                                          {ops::dtype::int8, receiver->s8_main_step(cut)});
    ASSERT_TRUE(ok) << ok.error().message;
    auto link_in = runtime::decode_activation(*link);
    ASSERT_TRUE(link_in);
    auto link_out = receiver->forward(cut + 1, layers, *link_in);
    ASSERT_TRUE(link_out) << link_out.error().message;
    ops::activation lossless_main = *link_in;
    lossless_main.main_s8 = {};
    lossless_main.main = mid_f32->main;
    auto ref = receiver->forward(cut + 1, layers, lossless_main);
    ASSERT_TRUE(ref) << ref.error().message;
    EXPECT_TRUE(bit_identical(link_out->main, ref->main));
  }
  EXPECT_EQ(cuts, 2 * cfg.num_hidden_layers) << "every 4k+1 and 4k+3 of the model";
}

// forward refuses an s8 main where its codes cannot go to a matmul as they
// are: another step, a block boundary, a model that does not compute int8.
TEST(S8Boundary, ForwardTakesAnS8MainOnlyWithItsOwnStep) {
  auto sender = int8_model(1, 5);
  ASSERT_TRUE(sender) << sender.error().message;
  const ops::model_config cfg = sender->config();
  ops::activation in;
  in.main = ops::synthetic_input(cfg, 2, 3).main;
  auto mid = sender->forward(1, 5, in, ops::main_form::s8);
  ASSERT_TRUE(mid) << mid.error().message;
  ASSERT_TRUE(mid->has_main_s8());
  // At a block boundary s8 is not a form: main stays f32.
  auto block_end = sender->forward(1, 4, in, ops::main_form::s8);
  ASSERT_TRUE(block_end);
  EXPECT_FALSE(block_end->has_main_s8());

  auto receiver = int8_model(6, 0);
  ASSERT_TRUE(receiver);
  ASSERT_TRUE(receiver->forward(6, receiver->num_layers(), *mid));
  auto other_step = *mid;
  other_step.main_s8.step *= 1.0001f;
  auto r = receiver->forward(6, receiver->num_layers(), other_step);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("layer 6: s8 main has step"), std::string::npos)
      << r.error().message;

  ops::model_options f32;
  f32.first = 6;
  auto f32_receiver = ops::model::load(model_dir, f32);
  ASSERT_TRUE(f32_receiver);
  r = f32_receiver->forward(6, f32_receiver->num_layers(), *mid);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("layer 6 takes main as f32, not s8: this model computes f32"),
            std::string::npos)
      << r.error().message;

  auto after_block = int8_model(7, 0);
  ASSERT_TRUE(after_block);
  ops::activation wrong;
  wrong.main_s8 = mid->main_s8;
  r = after_block->forward(7, after_block->num_layers(), wrong);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("s8 crosses only after layers 4k+1 and 4k+3"), std::string::npos)
      << r.error().message;
}
