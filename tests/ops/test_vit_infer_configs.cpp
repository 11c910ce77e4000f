// `edgepipe infer` end to end on the five reference configurations: the
// program's logits match PyTorch's, whole and as two chained --layers runs
// cut inside a residual block (the skip tensor travels as NAME.skip.npy).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "ops/vit_config.hpp"
#include "vit_test_util.hpp"

using namespace edgepipe;
using namespace edgepipe::ops;
using namespace edgepipe::ops::testing;

namespace {

class infer_vs_pytorch : public ::testing::TestWithParam<std::string> {
protected:
  std::string temp(const std::string& name) const {
    return ::testing::TempDir() + "/vit_infer_" + std::to_string(::getpid()) + "_" + GetParam() +
           "_" + name;
  }
  int infer(const std::string& args) const {
    std::string cmd = std::string("'") + EDGEPIPE_BINARY + "' infer --threads 1 " + args +
                      " >/dev/null 2>'" + temp("stderr") + "'";
    int status = std::system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
};

TEST_P(infer_vs_pytorch, logits_match_whole_and_split) {
  const std::string dir = reference_dir(GetParam());
  const std::string images = dir + "/images.npy", logits = temp("logits.npy");
  ASSERT_EQ(infer("--model " + dir + " --input " + images + " --output " + logits), 0);
  tensor want = load_npy(dir + "/logits.npy");
  EXPECT_LE(max_abs_diff(load_npy(logits), want), 1e-4);

  // Layers 1:3 stop after LayerNorm + fc1 + GELU: main and skip files.
  const std::string mid = temp("mid.npy"), split = temp("split.npy");
  ASSERT_EQ(infer("--model " + dir + " --input " + images + " --output " + mid + " --layers 1:3"),
            0);
  auto skip = read_npy(temp("mid.skip.npy"));
  ASSERT_TRUE(skip) << "no skip tensor written next to " << mid;
  tensor mid_main = load_npy(mid);
  if (std::filesystem::exists(dir + "/boundary_3_main.npy")) {
    EXPECT_LE(max_abs_diff(mid_main, load_npy(dir + "/boundary_3_main.npy")), 1e-4);
    EXPECT_LE(max_abs_diff(*skip, load_npy(dir + "/boundary_3_skip.npy")), 1e-4);
  }
  auto cfg = read_vit_config(dir + "/config.json");
  ASSERT_TRUE(cfg) << cfg.error().message;
  const std::string rest = " --layers 4:" + std::to_string(cfg->planner_layers());
  ASSERT_EQ(infer("--model " + dir + " --input " + mid + " --output " + split + rest), 0)
      << "resuming at layer 4 from " << mid;
  EXPECT_LE(max_abs_diff(load_npy(split), want), 1e-4);
}

INSTANTIATE_TEST_SUITE_P(configs, infer_vs_pytorch, ::testing::ValuesIn(reference_configs()),
                         [](const auto& info) { return info.param; });

} // namespace
