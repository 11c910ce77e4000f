// profile_layers: which blocks it times, what it copies, the sizes it
// measures, and that profiling never holds the whole model (peak RSS of a
// real `edgepipe profile` process on synthetic ViT-Large).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ops/layer_descriptor.hpp"
#include "ops/layer_profiler.hpp"
#include "ops/stage_memory.hpp"

using namespace edgepipe;
using namespace edgepipe::ops;

namespace {

// Matmul sizes that oneDNN's f32 layouts do not pad (multiples of 16 and 64),
// so the bytes held equal the descriptor's.
vit_config tiny(int blocks) {
  vit_config c;
  c.image_size = 16;
  c.patch_size = 4;
  c.num_channels = 1;
  c.hidden_size = 64;
  c.num_attention_heads = 2;
  c.num_hidden_layers = blocks;
  c.intermediate_size = 128;
  c.num_labels = 64;
  return c;
}

TEST(LayerProfiler, ProfiledBlocks) {
  EXPECT_EQ(profiled_blocks(6, 0), (std::vector<int>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(profiled_blocks(6, 2), (std::vector<int>{0, 1, 5}));
  EXPECT_EQ(profiled_blocks(6, 1), (std::vector<int>{0, 1, 5})); // block 1 embeds: never a template
  EXPECT_EQ(profiled_blocks(6, 4), (std::vector<int>{0, 1, 2, 3, 5}));
  EXPECT_EQ(profiled_blocks(6, 5), (std::vector<int>{0, 1, 2, 3, 4, 5})); // nothing left to copy
  EXPECT_EQ(profiled_blocks(1, 2), (std::vector<int>{0}));
}

TEST(LayerProfiler, MeasuresEveryLayerAndSizesMatchTheDescriptor) {
  const vit_config cfg = tiny(3);
  profile_options o;
  o.microbatch = 2;
  o.repeats = 3;
  std::vector<int> seen;
  o.progress = [&](int layer, double) { seen.push_back(layer); };
  auto p = profile_layers(model_source::synthetic(cfg, 1), o);
  ASSERT_TRUE(p) << p.error().message;
  const model_descriptor desc = model_descriptor::vit(cfg);
  ASSERT_EQ(p->time_s.size(), 12u);
  for (int k = 1; k <= 12; ++k) {
    EXPECT_GT(p->time_s[k - 1], 0) << k;
    EXPECT_TRUE(p->measured[k - 1]) << k;
    EXPECT_EQ(p->output_elements[k - 1], desc.layer(k).output_elements()) << k;
  }
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
  // One block at a time: the most held is the largest block (the first, with
  // the embeddings, or the last, with the head), never the model.
  const int64_t first = desc.weight_bytes(1, 4, dtype::f32),
                last = desc.weight_bytes(9, 12, dtype::f32);
  EXPECT_EQ(p->largest_weight_bytes, std::max(first, last));
}

TEST(LayerProfiler, ReplicatesMiddleBlocksFromTheLastMeasured) {
  const vit_config cfg = tiny(6);
  profile_options o;
  o.microbatch = 1;
  o.repeats = 1;
  o.measured_blocks = 2;
  auto p = profile_layers(model_source::synthetic(cfg, 1), o);
  ASSERT_TRUE(p) << p.error().message;
  for (int k = 1; k <= 24; ++k) {
    const bool measured = k <= 8 || k >= 21;
    EXPECT_EQ(p->measured[k - 1], measured) << k;
    if (!measured) {
      EXPECT_EQ(p->time_s[k - 1], p->time_s[4 + (k - 1) % 4]) << k; // block 2's layer
      EXPECT_EQ(p->output_elements[k - 1], p->output_elements[4 + (k - 1) % 4]) << k;
    }
  }
}

TEST(LayerProfiler, MissingModelDirectoryIsAnError) {
  auto src = model_source::from_dir("/nonexistent/model");
  ASSERT_FALSE(src);
  EXPECT_NE(src.error().message.find("/nonexistent/model/config.json"), std::string::npos)
      << src.error().message;
}

// `edgepipe profile` on synthetic ViT-Large (1.2 GB of f32 weights) in a
// child process: its peak resident set stays below a quarter of the weights.
TEST(LayerProfiler, ProfilingViTLargeNeverHoldsTheModel) {
  auto cfg = named_vit_config("vit-large");
  ASSERT_TRUE(cfg);
  const int64_t model_bytes =
      model_descriptor::vit(*cfg).weight_bytes(1, cfg->planner_layers(), dtype::f32);
  const std::string out_dir = ::testing::TempDir() + "/profile_" + std::to_string(::getpid());
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const char* argv[] = {EDGEPIPE_BINARY,
                          "profile",
                          "--model",
                          "vit-large",
                          "--microbatch",
                          "1",
                          "--repeats",
                          "1",
                          "--layers-limit",
                          "2",
                          "--device-type",
                          "test",
                          "--memory-mb",
                          "1000",
                          "--bandwidth-mbps",
                          "100",
                          "--out-dir",
                          out_dir.c_str(),
                          nullptr};
    int null = ::open("/dev/null", O_WRONLY);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
    execv(EDGEPIPE_BINARY, const_cast<char* const*>(argv));
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  ASSERT_EQ(wait4(pid, &status, 0, &usage), pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  const int64_t peak = int64_t{usage.ru_maxrss} * 1024; // KiB on Linux
  EXPECT_LT(peak, model_bytes / 4)
      << "peak RSS " << peak / (1 << 20) << " MB, model " << model_bytes / (1 << 20) << " MB";
  std::printf("profile vit-large: peak RSS %lld MB (model weights %lld MB)\n",
              static_cast<long long>(peak >> 20), static_cast<long long>(model_bytes >> 20));
}

} // namespace
