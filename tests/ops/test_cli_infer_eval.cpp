// `edgepipe infer` and `edgepipe eval` as a user runs them (EDGEPIPE_BINARY):
// outputs against PyTorch's references, split runs through .skip.npy files,
// exit code 2 on bad input, and eval's --json line (including the full 10k
// test-set accuracy of the shipped model).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "ops/npy.hpp"
#include "vit_test_util.hpp"

using namespace edgepipe;
using namespace edgepipe::ops;
using namespace edgepipe::ops::testing;

namespace {

const std::string binary = EDGEPIPE_BINARY;
const std::string model_dir = std::string(EDGEPIPE_SOURCE_DIR) + "/examples/models/fashion-vit";
const std::string ref_dir = std::string(EDGEPIPE_SOURCE_DIR) + "/tests/data/fashion_ref";
const std::string data_dir = "/usr/share/datasets/fashion-mnist";

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "/cli_" + std::to_string(::getpid()) + "_" + name;
}

struct run_result {
  int exit_code = -1;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `edgepipe ARGS`, capturing stdout and stderr.
run_result run(const std::string& arguments) {
  std::string out = temp_path("stdout"), err = temp_path("stderr");
  std::string cmd = "'" + binary + "' " + arguments + " >'" + out + "' 2>'" + err + "'";
  int status = std::system(cmd.c_str());
  run_result r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

std::string last_line(const std::string& text) {
  size_t end = text.find_last_not_of('\n');
  if (end == std::string::npos) return "";
  size_t begin = text.rfind('\n', end);
  return text.substr(begin == std::string::npos ? 0 : begin + 1,
                     end - (begin == std::string::npos ? 0 : begin + 1) + 1);
}

} // namespace

TEST(CliInfer, LogitsMatchPyTorch) {
  std::string out = temp_path("logits.npy");
  auto r = run("infer --model " + model_dir + " --input " + ref_dir + "/images.npy --output " +
               out + " --threads 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LE(max_abs_diff(load_npy(out), load_npy(ref_dir + "/logits.npy")), 1e-4);
}

TEST(CliInfer, LayerRangesChainThroughSkipFiles) {
  // 1:5 ends inside block 2's residual (layer 5 = 4*1+1): writes mid.skip.npy too.
  std::string mid = temp_path("mid.npy"), out = temp_path("rest.npy");
  auto a = run("infer --model " + model_dir + " --input " + ref_dir + "/images.npy --output " +
               mid + " --layers 1:5");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  auto skip = read_npy(temp_path("mid.skip.npy"));
  ASSERT_TRUE(skip.has_value()) << skip.error().message;
  EXPECT_EQ(skip->shape[0], 64);
  auto b =
      run("infer --model " + model_dir + " --input " + mid + " --output " + out + " --layers 6:24");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_LE(max_abs_diff(load_npy(out), load_npy(ref_dir + "/logits.npy")), 1e-4);
  // Without the skip file, layer 6 cannot run: a clear input error.
  std::string lone = temp_path("lone.npy");
  ASSERT_TRUE(write_npy(lone, load_npy(mid)).has_value());
  auto c = run("infer --model " + model_dir + " --input " + lone + " --output " + out +
               " --layers 6:24");
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.err.find("lone.skip.npy"), std::string::npos) << c.err;
}

TEST(CliInfer, BadInputsExitWithCode2) {
  std::string out = temp_path("never.npy");
  std::string garbage = temp_path("garbage.npy");
  std::ofstream(garbage) << "this is not numpy";
  auto r = run("infer --model " + model_dir + " --input " + garbage + " --output " + out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not a .npy file"), std::string::npos) << r.err;

  // Wrong image size and wrong channel count against config.json.
  for (auto shape : std::vector<std::vector<int64_t>>{{2, 1, 27, 28}, {2, 3, 28, 28}, {784}}) {
    std::string bad = temp_path("shape.npy");
    ASSERT_TRUE(write_npy(bad, tensor::zeros(shape)).has_value());
    r = run("infer --model " + model_dir + " --input " + bad + " --output " + out);
    EXPECT_EQ(r.exit_code, 2) << shape_string(shape);
    EXPECT_NE(r.err.find(shape_string(shape)), std::string::npos) << r.err;
  }

  // float64 data: numpy's default dtype, a common mistake.
  std::string f8 = temp_path("f8.npy");
  {
    std::string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }";
    dict.append((64 - (10 + dict.size() + 1) % 64) % 64, ' ');
    dict += '\n';
    std::ofstream f(f8, std::ios::binary);
    f << std::string("\x93NUMPY\x01\x00", 8) << static_cast<char>(dict.size()) << '\0' << dict
      << std::string(8, '\0');
  }
  r = run("infer --model " + model_dir + " --input " + f8 + " --output " + out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("'<f8'"), std::string::npos) << r.err;

  r = run("infer --model " + temp_path("no-such-model") + " --input " + ref_dir +
          "/images.npy --output " + out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("config.json"), std::string::npos) << r.err;

  r = run("infer --model " + model_dir + " --input " + ref_dir + "/images.npy --output " + out +
          " --layers 0:3");
  EXPECT_EQ(r.exit_code, 2);
  r = run("infer --model " + model_dir + " --input " + ref_dir + "/images.npy --output " + out +
          " --dtype f64");
  EXPECT_EQ(r.exit_code, 2);
  r = run("infer --input x.npy --output y.npy");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--model"), std::string::npos) << r.err;
  EXPECT_EQ(access(out.c_str(), F_OK), -1) << "no output may be written on failure";
}

TEST(CliInfer, HelpExitsZero) {
  for (const char* cmd : {"infer --help", "eval --help"}) {
    auto r = run(cmd);
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.out.find("--model"), std::string::npos) << r.out;
  }
}

TEST(CliEval, JsonLineOnALimitedRun) {
  auto r =
      run("eval --threads 1 --model " + model_dir + " --data " + data_dir + " --limit 200 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(last_line(r.out), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["images"].get<int>(), 200);
  double acc = j["accuracy"].get<double>();
  EXPECT_GE(acc, 0.8); // the model is ~90% accurate; 200 images vary by a few points
  EXPECT_LE(acc, 1.0);
  EXPECT_GT(j["images_per_s"].get<double>(), 0.0);
  EXPECT_NE(r.err.find("200/200 images"), std::string::npos) << r.err; // progress line
}

TEST(CliEval, QuantizedBoundariesCostLittleAt8Bits) {
  auto base =
      run("eval --threads 1 --model " + model_dir + " --data " + data_dir + " --limit 400 --json");
  auto q8 = run("eval --threads 1 --model " + model_dir + " --data " + data_dir +
                " --limit 400 --json --split 6 --bits 8 --clip none");
  ASSERT_EQ(base.exit_code, 0) << base.err;
  ASSERT_EQ(q8.exit_code, 0) << q8.err;
  auto jb = nlohmann::json::parse(last_line(base.out));
  auto jq = nlohmann::json::parse(last_line(q8.out));
  EXPECT_EQ(jq["cuts"], nlohmann::json({4, 8, 12, 16, 20}));
  EXPECT_NEAR(jq["accuracy"].get<double>(), jb["accuracy"].get<double>(), 0.02);
  // 8-bit frames are about a quarter of float32.
  EXPECT_LT(jq["wire_bytes_per_image"].get<double>(),
            0.3 * jq["raw_bytes_per_image"].get<double>());
  // Raw float32 frames (bits 0) at every planner boundary lose nothing.
  auto raw = run("eval --threads 1 --model " + model_dir + " --data " + data_dir +
                 " --limit 100 --json --cuts 1,2,3,5,7,9,13,23");
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  auto one =
      run("eval --threads 1 --model " + model_dir + " --data " + data_dir + " --limit 100 --json");
  EXPECT_EQ(nlohmann::json::parse(last_line(raw.out))["correct"],
            nlohmann::json::parse(last_line(one.out))["correct"]);
}

TEST(CliEval, BadArgumentsExitWithCode2) {
  std::string m = " --model " + model_dir + " --data " + data_dir + " --limit 8";
  EXPECT_EQ(run("eval" + m + " --bits 4").exit_code, 2);   // no boundary to quantize
  EXPECT_EQ(run("eval" + m + " --split 7").exit_code, 2);  // 6 blocks
  EXPECT_EQ(run("eval" + m + " --cuts 8,4").exit_code, 2); // not increasing
  EXPECT_EQ(run("eval" + m + " --cuts 24").exit_code, 2);  // nothing after it
  EXPECT_EQ(run("eval" + m + " --split 2 --cuts 8").exit_code, 2);
  EXPECT_EQ(run("eval" + m + " --split 2 --clip best").exit_code, 2);
  EXPECT_EQ(run("eval" + m + " --split 2 --bits 17").exit_code, 2);
  EXPECT_EQ(run("eval" + m + " --microbatch 0").exit_code, 2);
  auto r = run("eval --model " + model_dir + " --data " + temp_path("nowhere"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("nowhere"), std::string::npos) << r.err;
}

TEST(CliEval, ShippedModelReachesTheTargetOnTheFull10kTestSet) {
  auto r = run("eval --model " + model_dir + " --data " + data_dir +
               " --microbatch 64 --threads 1 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(last_line(r.out));
  EXPECT_EQ(j["images"].get<int>(), 10000);
  EXPECT_GE(j["accuracy"].get<double>(), 0.88) << r.out;
}
