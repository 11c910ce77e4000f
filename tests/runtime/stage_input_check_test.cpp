// What a stage refuses on arrival, before decoding: every malformed frame of
// a microbatch gives an error naming the part and the field, and a frame that
// claims more elements than the stage takes is refused on its header alone.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "codecs/frame.hpp"
#include "runtime/stage_input_check.hpp"

using namespace edgepipe;
using namespace edgepipe::runtime;

namespace {

// The reference ViT of tests/data/vit_configs: 37 tokens, hidden 40, fc1 70.
ops::model_config reference_config() {
  auto c = ops::read_model_config(std::string(EDGEPIPE_SOURCE_DIR) +
                                  "/tests/data/vit_configs/gray30_p5_h5/config.json");
  EXPECT_TRUE(c) << c.error().message;
  return c ? *c : ops::model_config{};
}

std::vector<uint8_t> frame(const std::vector<int64_t>& shape, int bits) {
  codecs::quant_params p;
  p.bits = bits;
  int64_t n = 1;
  for (auto d : shape) n *= d;
  std::vector<float> values(static_cast<size_t>(n));
  for (size_t i = 0; i < values.size(); ++i) values[i] = float(i % 13) - 6.0f;
  auto f = codecs::encode(values, shape, p);
  EXPECT_TRUE(f) << f.error().message;
  return f ? *f : std::vector<uint8_t>{};
}

// Layer 2 takes an attention context and the residual stream, [B, 37, 40] each.
activation_frames good(int bits = 8) {
  return {frame({4, 37, 40}, bits), frame({4, 37, 40}, bits), {}};
}

TEST(StageInputCheck, EveryMalformedFrameIsNamedByPartAndField) {
  const auto cfg = reference_config();
  ASSERT_TRUE(check_stage_frames(good(), cfg, 2, 8));
  ASSERT_TRUE(check_stage_frames(good(0), cfg, 2, 8));

  struct row {
    const char* what;
    activation_frames frames;
    const char* needle;
  };
  std::vector<row> rows;
  auto f = good();
  f.main.resize(f.main.size() / 2);
  rows.push_back({"truncated payload", f, "main frame field 'payload': truncated"});
  f = good();
  f.skip.resize(20);
  rows.push_back({"truncated shape", f, "skip frame field 'shape': truncated"});
  f = good();
  f.main.resize(5);
  rows.push_back({"truncated header", f, "main frame field 'header'"});
  f = good();
  f.main[4] = 9;
  rows.push_back({"wrong version", f, "main frame field 'version': unknown version 9"});
  f = good();
  std::mt19937 rng(3);
  for (auto& b : f.main) b = static_cast<uint8_t>(rng());
  rows.push_back({"random bytes", f, "main frame field 'magic'"});
  f = good();
  f.main.clear();
  rows.push_back({"no main frame", f, "main frame: empty"});
  f = good();
  f.main = frame({4, 40, 37}, 8);
  rows.push_back({"dimensions swapped", f,
                  "frame field 'shape': layer 2 takes an attention "
                  "context of shape [4, 37, 40], got [4, 40, 37]"});
  f = good();
  f.skip = frame({4, 37, 41}, 8);
  rows.push_back({"skip of another width", f, "got [4, 37, 41]"});
  f = good();
  f.skip.clear();
  rows.push_back({"skip missing", f, "a skip (residual) tensor"});
  f = {frame({9, 37, 40}, 8), frame({9, 37, 40}, 8), {}};
  rows.push_back({"batch above the stage's", f, "has batch 9, above the limit 8"});
  f = good();
  f.skip = frame({4, 37, 40}, 2);
  rows.push_back(
      {"skip at other bits", f, "skip frame field 'bits': 2, but the main frame's is 8"});
  f = good();
  f.mask = frame({4, 37}, 4);
  rows.push_back({"quantized mask", f, "mask frame field 'bits': 4"});
  f = good();
  f.mask = frame({4, 37}, 0);
  rows.push_back({"mask to a ViT", f, "no attention mask"});
  f = good();
  f.skip = frame({}, 8);
  rows.push_back({"rank 0 skip", f, "skip frame field 'rank': 0"});

  for (const auto& r : rows) {
    auto ok = check_stage_frames(r.frames, cfg, 2, 8);
    ASSERT_FALSE(ok) << r.what << " was accepted";
    EXPECT_NE(ok.error().message.find(r.needle), std::string::npos)
        << r.what << ": " << ok.error().message;
  }
}

// A 1-bit frame whose header claims 2^40 samples of [37, 40] exceeds the
// frame format's 2^48 elements; one claiming 2^30 samples would need a
// payload of 2^30 * 1480 / 8 bytes, so the header parser refuses it on the
// bytes present; one whose payload matches a claim of 100 x [37, 40] (1-bit:
// 18.5 KB on the wire, 592 KB decoded) is refused on the stage's batch limit.
TEST(StageInputCheck, ClaimsBeyondTheStageAreRefusedOnTheHeader) {
  const auto cfg = reference_config();
  auto f = good(1);
  codecs::store_u64(f.main.data() + codecs::frame_fixed_header, uint64_t(1) << 40);
  auto ok = check_stage_frames(f, cfg, 2, 8);
  ASSERT_FALSE(ok);
  EXPECT_NE(ok.error().message.find("main frame field 'shape': element count overflows"),
            std::string::npos)
      << ok.error().message;
  codecs::store_u64(f.main.data() + codecs::frame_fixed_header, uint64_t(1) << 30);
  ok = check_stage_frames(f, cfg, 2, 8);
  ASSERT_FALSE(ok);
  EXPECT_NE(ok.error().message.find("main frame field 'payload': truncated"), std::string::npos)
      << ok.error().message;
  activation_frames big{frame({100, 37, 40}, 1), frame({100, 37, 40}, 1), {}};
  ok = check_stage_frames(big, cfg, 2, 8);
  ASSERT_FALSE(ok);
  EXPECT_NE(ok.error().message.find("batch 100, above the limit 8"), std::string::npos)
      << ok.error().message;
}

std::vector<uint8_t> s8_frame(const std::vector<int64_t>& shape, float step) {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  std::vector<int8_t> codes(static_cast<size_t>(n));
  for (size_t i = 0; i < codes.size(); ++i) codes[i] = int8_t(int(i % 255) - 127);
  auto f = codecs::encode_s8(codes.data(), shape, step);
  EXPECT_TRUE(f) << f.error().message;
  return f ? *f : std::vector<uint8_t>{};
}

// An s8 main frame reaches the matmul unchanged: only an int8 stage whose
// first layer follows 4k+1 or 4k+3 takes it, with exactly its calibrated step.
TEST(StageInputCheck, AnS8MainIsTakenOnlyByAnInt8StageWithItsStep) {
  const auto cfg = reference_config();
  const float step = 0.05f;
  const s8_main_input int8_in{ops::dtype::int8, step};
  // After 4k+1: the context [B, 37, 40]; after 4k+3: fc1's output [B, 37, 70].
  const activation_frames after_attention{s8_frame({4, 37, 40}, step), frame({4, 37, 40}, 8), {}};
  const activation_frames after_fc1{s8_frame({4, 37, 70}, step), frame({4, 37, 40}, 8), {}};
  ASSERT_TRUE(check_stage_frames(after_attention, cfg, 2, 8, int8_in));
  ASSERT_TRUE(check_stage_frames(after_fc1, cfg, 4, 8, int8_in));

  struct row {
    const char* what;
    activation_frames frames;
    int first;
    s8_main_input s8;
    const char* needle;
  };
  std::vector<row> rows;
  auto f = after_attention;
  f.main.pop_back();
  rows.push_back({"truncated", f, 2, int8_in, "main frame field 'payload': truncated"});
  f = after_attention;
  f.main.resize(codecs::frame_fixed_header + 24 + 3);
  rows.push_back({"truncated step", f, 2, int8_in, "main frame field 'step': truncated"});
  f = after_attention;
  f.main = s8_frame({4, 37, 40}, 0.06f);
  rows.push_back({"wrong step", f, 2, int8_in,
                  "main frame field 'step': 0.0599999987, but layer 2's calibrated step is "
                  "0.0500000007 (both stages must read the same int8_calibration.json)"});
  f = after_attention;
  codecs::store_f32(f.main.data() + codecs::frame_fixed_header + 24, NAN);
  rows.push_back({"NaN step", f, 2, int8_in, "main frame field 'step': must be finite and > 0"});
  f = after_attention;
  f.main = s8_frame({4, 40, 37}, step);
  rows.push_back({"shape mismatch", f, 2, int8_in,
                  "frame field 'shape': layer 2 takes an attention context of shape [4, 37, 40], "
                  "got [4, 40, 37]"});
  f = after_attention;
  f.main = s8_frame({4, 37, 40}, step); // the context where fc1's output belongs
  rows.push_back({"context into fc2", f, 4, int8_in, "got [4, 37, 40]"});
  rows.push_back({"f32 stage",
                  after_attention,
                  2,
                  {ops::dtype::f32, std::nullopt},
                  "main frame field 'element type': 1 (s8), but this stage computes f32: an s8 "
                  "main needs an int8 stage"});
  rows.push_back({"bf16 stage",
                  after_fc1,
                  4,
                  {ops::dtype::bf16, std::nullopt},
                  "but this stage computes bf16"});
  rows.push_back({"block boundary",
                  {s8_frame({4, 37, 40}, step), {}, {}},
                  3,
                  {ops::dtype::int8, std::nullopt},
                  "main frame field 'element type': 1 (s8), but layer 3 takes main as float32"});
  f = after_attention;
  f.skip = s8_frame({4, 37, 40}, step);
  rows.push_back({"s8 skip", f, 2, int8_in, "skip frame field 'element type': 1 (s8)"});
  f = after_attention;
  f.skip = frame({4, 37, 40}, 4);
  rows.push_back({"skip at other bits", f, 2, int8_in,
                  "skip frame field 'bits': 4, but the main frame's is 8"});
  for (const auto& r : rows) {
    auto ok = check_stage_frames(r.frames, cfg, r.first, 8, r.s8);
    ASSERT_FALSE(ok) << r.what << " was accepted";
    EXPECT_NE(ok.error().message.find(r.needle), std::string::npos)
        << r.what << ": " << ok.error().message;
  }
  // The model's output is never s8.
  auto out = check_output_frames({s8_frame({8, 10}, step), {}, {}}, 8, 10);
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().message.find("main frame field 'element type'"), std::string::npos)
      << out.error().message;
}

// The sink's check on the model's output [rows, classes].
TEST(StageInputCheck, TheSinkTakesOnlyTheMicrobatchsRows) {
  ASSERT_TRUE(check_output_frames({frame({8, 10}, 0), {}, {}}, 8, 0));
  ASSERT_TRUE(check_output_frames({frame({8, 10}, 0), {}, {}}, 8, 10));
  struct row {
    const char* what;
    activation_frames frames;
    int64_t classes;
    const char* needle;
  };
  const std::vector<row> rows = {
      {"10x the rows", {frame({80, 1}, 0), {}, {}}, 0, "field 'shape': [80, 1], but the output"},
      {"fewer rows", {frame({7, 10}, 0), {}, {}}, 0, "[7, 10]"},
      {"rank 3", {frame({8, 10, 1}, 0), {}, {}}, 0, "[8, 10, 1]"},
      {"other classes", {frame({8, 9}, 0), {}, {}}, 10, "is [8, 10]"},
      {"a skip too", {frame({8, 10}, 0), frame({8, 10}, 0), {}}, 0, "skip frame: present"},
      {"no main frame", {{}, {}, {}}, 0, "main frame: empty"},
  };
  for (const auto& r : rows) {
    auto ok = check_output_frames(r.frames, 8, r.classes);
    ASSERT_FALSE(ok) << r.what << " was accepted";
    EXPECT_NE(ok.error().message.find(r.needle), std::string::npos)
        << r.what << ": " << ok.error().message;
  }
}

} // namespace
