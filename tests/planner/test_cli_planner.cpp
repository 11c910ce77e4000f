// `edgepipe plan`, `simulate` and `profile` as a user runs them.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/wait.h>

namespace {

const std::string profiles = std::string(EDGEPIPE_SOURCE_DIR) + "/examples/profiles";

struct run_result {
  int code = -1;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

run_result run(const std::string& args) {
  // Per-test names: ctest may run these tests in parallel.
  std::string dir =
      ::testing::TempDir() + "/" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::string out = dir + ".out.txt", err = dir + ".err.txt";
  std::string cmd = std::string(EDGEPIPE_BINARY) + " " + args + " > " + out + " 2> " + err;
  int status = std::system(cmd.c_str());
  run_result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

std::string files(const std::string& types = profiles + "/device_types.yml") {
  return "--models " + profiles + "/models.yml --device-types " + types + " --devices " + profiles +
         "/devices.yml";
}

void write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

} // namespace

TEST(CliPlan, PrintsThePlanAsJson) {
  auto r = run("plan " + files() + " --model google/vit-large-patch16-224 --microbatch 8 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.contains("period_s"));
  double period = j["period_s"];
  EXPECT_GT(period, 0);
  ASSERT_FALSE(j["stages"].empty());
  int next = 1;
  double worst = 0;
  for (const auto& s : j["stages"]) {
    EXPECT_EQ(s["first"].get<int>(), next); // layers numbered from 1, contiguous
    next = s["last"].get<int>() + 1;
    EXPECT_TRUE(s["host"].is_string());
    EXPECT_GT(s["memory_mb"].get<double>(), 0);
    worst = std::max({worst, s["compute_s"].get<double>(), s["send_s"].get<double>()});
  }
  EXPECT_EQ(next, 97);
  EXPECT_EQ(worst, period);
}

TEST(CliPlan, NothingFitsNamesTheTightestDevice) {
  std::string types = ::testing::TempDir() + "/ep_small_types.yml";
  std::string text = slurp(profiles + "/device_types.yml");
  const char* small[] = {"20", "40"}; // MinnowBoard, then RCC-VE (the roomiest)
  size_t pos = 0;
  for (const char* mb : small) {
    pos = text.find("mem_MB: ", pos + 1);
    ASSERT_NE(pos, std::string::npos);
    text.replace(pos + 8, text.find('\n', pos) - pos - 8, mb);
  }
  write(types, text);
  auto r = run("plan " + files(types) + " --model google/vit-large-patch16-224 --json");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no plan fits"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("rcc-0"), std::string::npos) << r.err; // first of the roomiest type
}

TEST(CliPlan, MalformedFileGivesFileAndLine) {
  std::string models = ::testing::TempDir() + "/ep_bad_models.yml";
  write(models, "m:\n  layers: 2\n  mem_MB: [1, -2]\n  parameters_in: 3\n  parameters_out: [2]\n");
  auto r = run("plan --models " + models + " --device-types " + profiles +
               "/device_types.yml --devices " + profiles + "/devices.yml --model m");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(models + ":3:"), std::string::npos) << r.err;
}

TEST(CliSimulate, WritesSummaryAndTimeline) {
  std::string dir = ::testing::TempDir();
  write(dir + "/ep_trace.csv", "time_s,from,to,mbps\n0,*,*,1000\n50,*,*,20\n");
  auto r = run("simulate " + files() + " --model google/vit-base-patch16-224 --trace " + dir +
               "/ep_trace.csv --microbatches 60 --credits 2 --csv " + dir + "/ep_tl.csv --json " +
               dir + "/ep_tl.json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("steady throughput"), std::string::npos) << r.out;
  auto j = nlohmann::json::parse(slurp(dir + "/ep_tl.json"));
  EXPECT_EQ(j["timeline"].size(), 60u);
  EXPECT_NE(slurp(dir + "/ep_tl.csv").find("time_s,microbatch,latency_s"), std::string::npos);
}

// Two stages given the same 1-core machine (--machines) compute in turn:
// with one stage's time dominating neither, the steady throughput drops to
// 1 / (sum of the stage times) from 1 / (the larger one).
TEST(CliSimulate, StagesOnOneMachineShareItsCores) {
  std::string dir = ::testing::TempDir();
  const std::string base = "simulate " + files() +
                           " --model google/vit-base-patch16-224 --stages mb-0:1-24,mb-1:25-48 "
                           "--stage-compute-s 1,1 --microbatches 40 --credits 2 --json ";
  auto own = run(base + dir + "/ep_own.json");
  ASSERT_EQ(own.code, 0) << own.err;
  auto one = run(base + dir + "/ep_one.json --machines mb-0,mb-1:1");
  ASSERT_EQ(one.code, 0) << one.err;
  auto two = run(base + dir + "/ep_two.json --machines mb-0,mb-1:2");
  ASSERT_EQ(two.code, 0) << two.err;
  auto rate = [&](const std::string& f) {
    return nlohmann::json::parse(slurp(dir + f))["throughput_per_s"].get<double>();
  };
  const double r_own = rate("/ep_own.json"), r_one = rate("/ep_one.json");
  EXPECT_LT(r_own, 1.0 + 1e-9); // the slower link or stage bounds it
  EXPECT_NEAR(r_one, 0.5, 0.02);
  EXPECT_NEAR(rate("/ep_two.json"), r_own, 1e-9); // 2 cores for 2 stages: no sharing
  auto bad = run(base + dir + "/ep_bad.json --machines mb-0,mb-1");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("HOST,HOST,...:CORES"), std::string::npos) << bad.err;
}

TEST(CliProfile, WritesFilesThatPlan) {
  std::string dir = ::testing::TempDir() + "/ep_profile";
  auto r = run("profile --model vit-base --microbatch 1 --device-type here --memory-mb 2048 "
               "--bandwidth-mbps 1000 --repeats 1 --layers-limit 1 --out-dir " +
               dir);
  ASSERT_EQ(r.code, 0) << r.err;
  write(dir + "/devices.yml", "here: [a, b]\n");
  auto p = run("plan --models " + dir + "/models.yml --device-types " + dir +
               "/device_types.yml --devices " + dir +
               "/devices.yml --model google/vit-base-patch16-224 --microbatch 1 --json");
  ASSERT_EQ(p.code, 0) << p.err;
  auto j = nlohmann::json::parse(p.out);
  EXPECT_GT(j["period_s"].get<double>(), 0);
}

// Profiles are kept per dtype: an int8 profile joins the f32 one of the same
// device type (models.yml unchanged: weights at float32 for every dtype), and
// `plan --dtype` plans with the times of that dtype.
TEST(CliProfile, KeepsOneProfilePerDtypeAndPlansForTheOneAsked) {
  const std::string model = std::string(EDGEPIPE_SOURCE_DIR) + "/examples/models/fashion-vit";
  std::string dir = ::testing::TempDir() + "/ep_profile_dtypes";
  std::string common = "profile --model " + model + " --model-name fvit --microbatch 4 " +
                       "--device-type here --memory-mb 64 --bandwidth-mbps 1000 --repeats 1 " +
                       "--out-dir " + dir;
  auto f = run(common + " --dtype f32");
  ASSERT_EQ(f.code, 0) << f.err;
  const std::string models_after_f32 = slurp(dir + "/models.yml");
  auto q = run(common + " --dtype int8");
  ASSERT_EQ(q.code, 0) << q.err;
  EXPECT_EQ(slurp(dir + "/models.yml"), models_after_f32);
  const std::string types = slurp(dir + "/device_types.yml");
  EXPECT_NE(types.find("torch.float32"), std::string::npos) << types;
  EXPECT_NE(types.find("torch.int8"), std::string::npos) << types;
  write(dir + "/devices.yml", "here: [a]\n");
  std::string plan = "plan --models " + dir + "/models.yml --device-types " + dir +
                     "/device_types.yml --devices " + dir +
                     "/devices.yml --model fvit --microbatch 4 --json --dtype ";
  auto p8 = run(plan + "torch.int8");
  ASSERT_EQ(p8.code, 0) << p8.err;
  auto p32 = run(plan + "torch.float32");
  ASSERT_EQ(p32.code, 0) << p32.err;
  // One device: the period is the sum of that dtype's layer times, so the two
  // plans differ exactly where the two profiles do.
  EXPECT_NE(nlohmann::json::parse(p8.out)["period_s"].get<double>(),
            nlohmann::json::parse(p32.out)["period_s"].get<double>());
  auto none = run(plan + "torch.float16");
  EXPECT_NE(none.code, 0);
  EXPECT_NE(none.err.find("no device has a torch.float16 profile"), std::string::npos) << none.err;
}
