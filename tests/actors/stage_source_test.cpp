// stage_source: a node refuses a stage whose weights exceed its memory
// before loading anything, and knows where each kind of spec's weights come from.
#include <gtest/gtest.h>

#include "actors/stage_source.hpp"
#include "ops/layer_descriptor.hpp"

using namespace edgepipe;
using namespace edgepipe::actors;

namespace {

TEST(StageSource, RefusesAStageAboveTheNodesMemory) {
  stage_spec spec;
  spec.synthetic = "vit-large";
  spec.first = 1;
  spec.last = 0; // to the end: 96
  auto refused = check_stage_fits(spec, 1000);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, errc::infeasible);
  EXPECT_EQ(refused.error().message,
            "stage layers 1..96 needs 1161 MB of f32 weights, node offers 1000 MB");
  spec.last = 48; // half the model fits
  EXPECT_TRUE(check_stage_fits(spec, 1000));
  spec.last = 0;
  spec.dtype = "bf16"; // matmul weights at 2 bytes
  EXPECT_TRUE(check_stage_fits(spec, 1000));
  spec.dtype = "f32";
  EXPECT_TRUE(check_stage_fits(spec, 0)); // 0: no limit
}

TEST(StageSource, SourcesOfEachKindOfSpec) {
  stage_spec dims;
  dims.dims = {32, 8, 3, 64, 4, 2, 128, 10};
  dims.seed = 9;
  auto s = stage_model_source(dims);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_TRUE(s->dir.empty());
  EXPECT_EQ(s->config.hidden_size, 64);
  EXPECT_EQ(s->config.num_hidden_layers, 2);
  EXPECT_EQ(s->seed, 9u);

  stage_spec dir;
  dir.model_dir = std::string(EDGEPIPE_SOURCE_DIR) + "/examples/models/fashion-vit";
  auto d = stage_model_source(dir);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->dir, dir.model_dir);
  EXPECT_EQ(d->config.num_hidden_layers, 6);

  EXPECT_FALSE(stage_model_source(stage_spec{}));
  stage_spec bad;
  bad.synthetic = "vit-gigantic";
  EXPECT_FALSE(check_stage_fits(bad, 100));
}

} // namespace
