// What a model does with inputs it cannot take (the shapes a network peer
// could send a pipeline stage): each gives an error naming the shape before
// anything is sized from it, no shape makes it cache primitives without
// bound, and a batch above the model's limit is refused without allocating.
#include <gtest/gtest.h>

#include "ops/model_input.hpp"
#include "ops/vit_model.hpp"
#include "vit_test_util.hpp"

using namespace edgepipe;
using namespace edgepipe::ops;

namespace {

// 2 blocks (8 planner layers), 37 tokens, hidden 40, intermediate 70.
const std::string model_name = "gray30_p5_h5";

model_options limited(int64_t max_batch) {
  model_options o;
  o.threads = 1;
  o.max_batch = max_batch;
  return o;
}

activation stream(int64_t b, int64_t t, int64_t d) {
  activation a;
  a.main = tensor::zeros({b, t, d});
  return a;
}

TEST(model_input_limits, wrong_shapes_of_ever_new_sizes_cache_nothing_and_name_the_shape) {
  auto m = vit_model::load(ops::testing::reference_dir(model_name), limited(64));
  ASSERT_TRUE(m) << m.error().message;
  // 400 inputs to layer 3 (a residual stream [B, 37, 40]), each of a size
  // never seen: wrong token counts and widths at every batch size.
  for (int i = 0; i < 400; ++i) {
    const int64_t b = 1 + i % 64, t = 38 + i / 64, d = 40;
    auto r = m->forward(3, 8, stream(b, t, d));
    ASSERT_FALSE(r) << "accepted [" << b << ", " << t << ", " << d << "]";
    const std::string got = shape_string({b, t, d});
    EXPECT_NE(r.error().message.find(got), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find(shape_string({b, 37, 40})), std::string::npos)
        << r.error().message;
  }
  EXPECT_EQ(m->cached_plans(), 0u);
}

TEST(model_input_limits, right_shapes_of_many_batch_sizes_keep_a_bounded_cache) {
  auto m = vit_model::load(ops::testing::reference_dir(model_name), limited(64));
  ASSERT_TRUE(m) << m.error().message;
  for (int64_t b = 1; b <= 12; ++b) {
    auto r = m->forward(3, 8, stream(b, 37, 40));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->main.shape, (std::vector<int64_t>{b, 7}));
    EXPECT_LE(m->cached_plans(), vit_model::max_cached_plans);
  }
  EXPECT_EQ(m->cached_plans(), vit_model::max_cached_plans);
  // An evicted size is made again and computes the same as before.
  auto a = stream(1, 37, 40);
  for (size_t i = 0; i < a.main.data.size(); ++i) a.main.data[i] = 0.01f * float(i % 97);
  auto first = m->forward(3, 8, a);
  ASSERT_TRUE(first) << first.error().message;
  for (int64_t b = 20; b < 26; ++b) ASSERT_TRUE(m->forward(3, 8, stream(b, 37, 40)));
  auto again = m->forward(3, 8, a);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(first->main.data, again->main.data);
}

TEST(model_input_limits, a_batch_above_the_limit_is_refused_before_allocating) {
  auto m = vit_model::load(ops::testing::reference_dir(model_name), limited(8));
  ASSERT_TRUE(m) << m.error().message;
  // The shape claims 2^40 samples and holds no data: a check that sized
  // anything from it would need terabytes.
  activation huge;
  huge.main.shape = {int64_t(1) << 40, 37, 40};
  auto r = m->forward(3, 8, huge);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("batch 1099511627776"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("limit 8"), std::string::npos) << r.error().message;
  // Just above the limit, with the data to match: refused all the same.
  r = m->forward(3, 8, stream(9, 37, 40));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("[9, 37, 40]"), std::string::npos) << r.error().message;
  EXPECT_TRUE(m->forward(3, 8, stream(8, 37, 40)));
  EXPECT_EQ(m->cached_plans(), 1u);
  EXPECT_FALSE(m->implementations(9));
}

TEST(model_input_limits, a_shape_that_disagrees_with_its_data_is_refused) {
  auto m = vit_model::load(ops::testing::reference_dir(model_name), limited(8));
  ASSERT_TRUE(m) << m.error().message;
  activation a = stream(2, 37, 40);
  a.main.data.resize(10);
  auto r = m->forward(3, 8, a);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("holds 10 values"), std::string::npos) << r.error().message;
  activation b = stream(2, 37, 40);
  b.skip.data.assign(5, 0.0f); // values without a shape
  EXPECT_FALSE(m->forward(3, 8, b));
}

// The same checks on shapes alone, as a stage applies them to frame headers.
TEST(model_input_limits, shape_check_names_what_each_boundary_takes) {
  auto cfg = read_model_config(ops::testing::reference_dir(model_name) + "/config.json");
  ASSERT_TRUE(cfg) << cfg.error().message;
  struct row {
    int first;
    input_shapes in;
    const char* needle; // nullptr: accepted
  };
  const std::vector<row> rows = {
      {1, {{4, 1, 30, 30}, {}, {}}, nullptr},
      {1, {{4, 3, 30, 30}, {}, {}}, "[4, 1, 30, 30]"},
      {1, {{4, 1, 30, 30}, {4, 37, 40}, {}}, "no skip tensor"},
      {1, {{4, 1, 30, 30}, {}, {4, 37}}, "no attention mask"},
      {2, {{4, 37, 40}, {4, 37, 40}, {}}, nullptr},
      {2, {{4, 37, 40}, {}, {}}, "skip"},
      {2, {{4, 37, 40}, {4, 37, 41}, {}}, "[4, 37, 41]"},
      {4, {{4, 37, 70}, {4, 37, 40}, {}}, nullptr},
      {4, {{4, 37, 40}, {4, 37, 40}, {}}, "fc1 output"},
      {3, {{4, 37, 40}, {}, {}}, nullptr},
      {3, {{9, 37, 40}, {}, {}}, "above the limit 8"},
      {3, {{0, 37, 40}, {}, {}}, "no batch dimension"},
      {3, {{}, {}, {}}, "no batch dimension"},
      {3, {{-1, 37, 40}, {}, {}}, "no batch dimension"},
      {3, {{4, 37, 40}, {4, 37, 40}, {}}, "no skip tensor"},
  };
  for (const auto& r : rows) {
    auto ok = check_input_shapes(*cfg, r.first, 8, r.in);
    if (!r.needle) {
      EXPECT_TRUE(ok) << "layer " << r.first << " " << shape_string(r.in.main) << ": "
                      << ok.error().message;
      continue;
    }
    ASSERT_FALSE(ok) << "layer " << r.first << " accepted " << shape_string(r.in.main);
    EXPECT_NE(ok.error().message.find(r.needle), std::string::npos) << ok.error().message;
  }
}

} // namespace
