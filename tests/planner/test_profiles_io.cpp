// PipeEdge profile files: reading PipeEdge's layout, writing and reading back
// the same numbers, and file:line errors for malformed files.
#include <gtest/gtest.h>

#include <cstdio>

#include "config/profiles_io.hpp"
#include "planner/partition.hpp"

using namespace edgepipe;
using namespace edgepipe::config;

namespace {

// In PipeEdge's own layout (README_Scheduler.md): a dummy entry with no
// layers, parameters_out shorter than layers (repeats), null model_profiles.
const char* pipeedge_models = R"(DummyModel:
  layers: 0
  mem_MB: []
  parameters_in: 0
  parameters_out: []
tiny:
  layers: 4
  mem_MB: [1.5, 0.25, 2.0, 3.125]
  parameters_in: 300
  parameters_out: [200, 100]
)";

const char* pipeedge_types = R"(DummyDeviceType:
  bw_Mbps: 0
  mem_MB: 0
  model_profiles:
fast:
  bw_Mbps: 100
  mem_MB: 64
  model_profiles:
    tiny:
    - batch_size: 8
      dtype: torch.float32
      time_s: [0.1, 0.2, 0.3, 0.4]
slow:
  bw_Mbps: 50.5
  mem_MB: 16
  model_profiles:
    tiny:
    - batch_size: 8
      dtype: torch.float32
      time_s: [0.2, 0.4, 0.6, 0.8]
)";

const char* pipeedge_devices = R"(DummyDeviceType: []
fast:
- f-0
slow:
- s-0
- s-1
)";

std::string error_of_models(const std::string& text) {
  auto r = parse_models(text, "models.yml");
  return r ? std::string("no error") : r.error().message;
}

} // namespace

TEST(ProfilesIO, ReadsPipeEdgeLayout) {
  auto models = parse_models(pipeedge_models, "models.yml");
  ASSERT_TRUE(models.has_value()) << models.error().message;
  EXPECT_EQ(models->at("tiny").layers, 4);
  EXPECT_EQ(models->at("tiny").parameters_out.size(), 2u);
  auto types = parse_device_types(pipeedge_types, "device_types.yml");
  ASSERT_TRUE(types.has_value()) << types.error().message;
  EXPECT_EQ(types->at("slow").bw_mbps, 50.5);
  EXPECT_TRUE(types->at("DummyDeviceType").model_profiles.empty());
  auto devices = parse_devices(pipeedge_devices, "devices.yml");
  ASSERT_TRUE(devices.has_value()) << devices.error().message;
  EXPECT_EQ(devices->at("slow").size(), 2u);

  planner::profile_set ps{*models, *types, *devices, {}};
  planner::cost_options o;
  auto inst = planner::make_instance(ps, "tiny", "torch.float32", o);
  ASSERT_TRUE(inst.has_value()) << inst.error().message;
  EXPECT_EQ(inst->parameters_out, (std::vector<int64_t>{200, 100, 200, 100})); // cyclic
  ASSERT_EQ(inst->num_devices(), 3);
  EXPECT_EQ(inst->devices[0].host, "f-0"); // types in name order, as PipeEdge
  EXPECT_EQ(inst->devices[1].host, "s-0");
}

TEST(ProfilesIO, WriteThenReadGivesTheSameNumbers) {
  models_map models;
  planner::model_spec m;
  m.layers = 3;
  m.parameters_in = 150528;
  m.parameters_out = {302592, 151296, 1000};
  m.mem_mb = {26.808319999999995, 0.1 + 0.2, 1e-9};
  models["google/vit-x"] = m;
  device_types_map types;
  planner::device_type_spec d;
  d.mem_mb = 2048;
  d.bw_mbps = 1000.25;
  d.model_profiles["google/vit-x"] = {{"torch.float32", 8, {0.46270322799682617, 1.0 / 3, 0}}};
  types["Minnowboard"] = d;
  devices_map devices{{"Minnowboard", {"mb-0", "mb-1"}}};
  links_map links{{"mb-0", {{"mb-1", {123.5, 4}}}}, {"mb-1", {{"mb-0", {99, 0}}}}};

  auto m2 = parse_models(emit_models(models), "m");
  ASSERT_TRUE(m2.has_value()) << m2.error().message;
  EXPECT_EQ(m2->at("google/vit-x").mem_mb, m.mem_mb);
  EXPECT_EQ(m2->at("google/vit-x").parameters_out, m.parameters_out);
  EXPECT_EQ(m2->at("google/vit-x").parameters_in, m.parameters_in);
  auto t2 = parse_device_types(emit_device_types(types), "t");
  ASSERT_TRUE(t2.has_value()) << t2.error().message;
  const auto& p2 = t2->at("Minnowboard").model_profiles.at("google/vit-x").at(0);
  EXPECT_EQ(p2.time_s, d.model_profiles["google/vit-x"][0].time_s);
  EXPECT_EQ(p2.batch_size, 8);
  EXPECT_EQ(p2.dtype, "torch.float32");
  EXPECT_EQ(t2->at("Minnowboard").bw_mbps, 1000.25);
  auto d2 = parse_devices(emit_devices(devices), "d");
  ASSERT_TRUE(d2.has_value());
  EXPECT_EQ(*d2, devices);
  auto l2 = parse_links(emit_links(links), "l");
  ASSERT_TRUE(l2.has_value()) << l2.error().message;
  EXPECT_EQ(l2->at("mb-0").at("mb-1").bw_mbps, 123.5);
  EXPECT_EQ(l2->at("mb-0").at("mb-1").bits, 4);
  EXPECT_EQ(l2->at("mb-1").at("mb-0").bits, 0);

  // Through files too.
  std::string path = ::testing::TempDir() + "/edgepipe_models_roundtrip.yml";
  ASSERT_TRUE(write_text(path, emit_models(models)).has_value());
  auto m3 = read_models(path);
  ASSERT_TRUE(m3.has_value()) << m3.error().message;
  EXPECT_EQ(m3->at("google/vit-x").mem_mb, m.mem_mb);
  std::remove(path.c_str());
}

TEST(ProfilesIO, MalformedModelsGiveFileAndLine) {
  // Missing layers: reported at the model's map (line 2).
  EXPECT_EQ(error_of_models("m:\n  mem_MB: [1]\n  parameters_in: 3\n  parameters_out: [2]\n")
                .rfind("models.yml:2:", 0),
            0u)
      << error_of_models("m:\n  mem_MB: [1]\n");
  EXPECT_NE(error_of_models("m:\n  mem_MB: [1]\n  parameters_in: 3\n  parameters_out: [2]\n")
                .find("missing 'layers'"),
            std::string::npos);
  // A negative number on line 3.
  std::string neg = error_of_models(
      "m:\n  layers: 2\n  mem_MB: [1, -2]\n  parameters_in: 3\n  parameters_out: [2]\n");
  EXPECT_EQ(neg.rfind("models.yml:3:", 0), 0u) << neg;
  EXPECT_NE(neg.find("negative"), std::string::npos) << neg;
  // A wrong type on line 4.
  std::string type = error_of_models(
      "m:\n  layers: 2\n  mem_MB: [1, 2]\n  parameters_in: lots\n  parameters_out: [2]\n");
  EXPECT_EQ(type.rfind("models.yml:4:", 0), 0u) << type;
  EXPECT_NE(type.find("integer"), std::string::npos) << type;
  // mem_MB of the wrong length, line 3.
  std::string len = error_of_models(
      "m:\n  layers: 3\n  mem_MB: [1, 2]\n  parameters_in: 3\n  parameters_out: [2]\n");
  EXPECT_EQ(len.rfind("models.yml:3:", 0), 0u) << len;
  // Broken YAML.
  std::string bad = error_of_models("m:\n  layers: [1, 2\n");
  EXPECT_EQ(bad.rfind("models.yml:", 0), 0u) << bad;
}

TEST(ProfilesIO, TimeOfTheWrongLengthGivesFileAndLine) {
  std::string dir = ::testing::TempDir();
  std::string mp = dir + "/ep_models.yml", tp = dir + "/ep_types.yml", dp = dir + "/ep_dev.yml";
  ASSERT_TRUE(write_text(mp, pipeedge_models).has_value());
  ASSERT_TRUE(write_text(tp, "fast:\n  bw_Mbps: 1\n  mem_MB: 4\n  model_profiles:\n    tiny:\n"
                             "    - batch_size: 8\n      dtype: torch.float32\n"
                             "      time_s: [0.1, 0.2, 0.3]\n")
                  .has_value());
  ASSERT_TRUE(write_text(dp, pipeedge_devices).has_value());
  auto r = read_profiles(mp, tp, dp);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message.rfind(tp + ":8:", 0), 0u) << r.error().message;
  EXPECT_NE(r.error().message.find("time_s has 3 entries"), std::string::npos);
  // A negative time and a missing bw_Mbps.
  auto neg = parse_device_types("x:\n  bw_Mbps: 1\n  mem_MB: 4\n  model_profiles:\n    tiny:\n"
                                "    - batch_size: 8\n      dtype: f\n      time_s: [0.1, -1]\n",
                                "t.yml");
  ASSERT_FALSE(neg.has_value());
  EXPECT_EQ(neg.error().message.rfind("t.yml:8:", 0), 0u) << neg.error().message;
  auto miss = parse_device_types("x:\n  mem_MB: 4\n", "t.yml");
  ASSERT_FALSE(miss.has_value());
  EXPECT_EQ(miss.error().message.rfind("t.yml:2:", 0), 0u) << miss.error().message;
  EXPECT_NE(miss.error().message.find("bw_Mbps"), std::string::npos);
  auto links = parse_links("a:\n  b:\n    bw_Mbps: 10\n    bits: 40\n", "links.yml");
  ASSERT_FALSE(links.has_value());
  EXPECT_EQ(links.error().message.rfind("links.yml:4:", 0), 0u) << links.error().message;
  std::remove(mp.c_str());
  std::remove(tp.c_str());
  std::remove(dp.c_str());
}

TEST(ProfilesIO, ShippedExampleProfilesPlan) {
  std::string dir = std::string(EDGEPIPE_SOURCE_DIR) + "/examples/profiles";
  auto ps = read_profiles(dir + "/models.yml", dir + "/device_types.yml", dir + "/devices.yml");
  ASSERT_TRUE(ps.has_value()) << ps.error().message;
  for (const char* model : {"google/vit-base-patch16-224", "google/vit-large-patch16-224",
                            "google/vit-huge-patch14-224-in21k"}) {
    auto inst = planner::make_instance(*ps, model, "torch.float32", {});
    ASSERT_TRUE(inst.has_value()) << inst.error().message;
    EXPECT_EQ(inst->num_devices(), 16);
    auto plan = planner::optimal_partition(*inst);
    ASSERT_TRUE(plan.has_value()) << plan.error().message;
    EXPECT_GT(plan->best.stages.size(), 1u) << model;
  }
}
