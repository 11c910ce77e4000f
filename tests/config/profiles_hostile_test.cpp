// Hostile or broken PipeEdge profile files: one table row per class of input,
// each with the error it must give (FILE:LINE:COL where it has a position).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "config/profiles_io.hpp"
#include "config/yaml_guard.hpp"

namespace edgepipe::config {
namespace {

const std::string models = "tiny:\n"                         // 1
                           "  layers: 2\n"                   // 2
                           "  mem_MB: [1.5, 0.25]\n"         // 3
                           "  parameters_in: 300\n"          // 4
                           "  parameters_out: [200, 100]\n"; // 5

const std::string types = "fast:\n"                     // 1
                          "  bw_Mbps: 100\n"            // 2
                          "  mem_MB: 64\n"              // 3
                          "  model_profiles:\n"         // 4
                          "    tiny:\n"                 // 5
                          "    - batch_size: 8\n"       // 6
                          "      dtype: f32\n"          // 7
                          "      time_s: [0.1, 0.2]\n"; // 8

std::string bomb(int levels) {
  std::string out = "l0: &l0 [a, a, a, a, a, a, a, a, a]\n";
  for (int i = 1; i <= levels; ++i) {
    out += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int k = 0; k < 9; ++k) out += (k ? ", *l" : "*l") + std::to_string(i - 1);
    out += "]\n";
  }
  return out;
}

using parser = std::function<expected<void>(const std::string&)>;

expected<void> models_parser(const std::string& text) {
  auto r = parse_models(text, "p.yml");
  if (!r) return r.error();
  return {};
}
expected<void> types_parser(const std::string& text) {
  auto r = parse_device_types(text, "p.yml");
  if (!r) return r.error();
  return {};
}
expected<void> devices_parser(const std::string& text) {
  auto r = parse_devices(text, "p.yml");
  if (!r) return r.error();
  return {};
}
expected<void> links_parser(const std::string& text) {
  auto r = parse_links(text, "p.yml");
  if (!r) return r.error();
  return {};
}

struct bad_profile {
  const char* what;
  parser parse;
  std::string text;
  std::string position; // "line:col" after "p.yml:", or "" for none
  std::vector<std::string> fragments;
};

TEST(ProfilesHostile, EveryRowGivesItsError) {
  const std::vector<bad_profile> rows = {
      {"a model given twice",
       models_parser,
       models + models,
       "6:1",
       {"key 'tiny' given twice (first at line 1); expected each key once"}},
      {"a field given twice",
       models_parser,
       models + "  layers: 3\n",
       "6:3",
       {"key 'layers' given twice (first at line 2)"}},
      {"a device type given twice",
       types_parser,
       types + "fast: {bw_Mbps: 1, mem_MB: 1}\n",
       "9:1",
       {"key 'fast' given twice"}},
      {"a neighbour given twice",
       links_parser,
       "a: {b: {bw_Mbps: 1}, b: {bw_Mbps: 2}}\n",
       "1:22",
       {"key 'b' given twice"}},
      {"a billion laughs", models_parser, bomb(9), "6:40", {"more than 500000 values"}},
      {"lists nested 100 deep",
       devices_parser,
       "x: " + std::string(100, '[') + std::string(100, ']') + "\n",
       "1:67",
       {"nested more than 64 deep"}},
      {"a NUL byte",
       models_parser,
       models + std::string(1, '\0'),
       "6:1",
       {"byte 0x00 is not text"}},
      {"binary garbage", types_parser, std::string("\x89PNG\r\n\x1a\n", 8), "2:1", {"byte 0x1a"}},
      {"just over the size limit",
       models_parser,
       models + "#" + std::string(profile_limits.max_bytes - models.size(), 'x'),
       "",
       {"the profile is 4194305 bytes; expected at most 4194304 (4 MiB)"}},
      {"layers as text",
       models_parser,
       "tiny: {layers: two}\n",
       "1:16",
       {"model 'tiny': layers must be an integer, got 'two'"}},
      {"layers beyond int64",
       models_parser,
       "tiny: {layers: 99999999999999999999}\n",
       "1:16",
       {"must be an integer"}},
      {"mem_MB as a number",
       models_parser,
       "tiny: {layers: 1, parameters_in: 1, parameters_out: [1], mem_MB: 5}\n",
       "1:66",
       {"mem_MB must be a list of numbers"}},
      {"bandwidth as a list",
       types_parser,
       "fast: {bw_Mbps: [1], mem_MB: 1}\n",
       "1:17",
       {"bw_Mbps must be a number"}},
      {"a host as a mapping",
       devices_parser,
       "fast:\n- {a: 1}\n",
       "2:3",
       {"host must be a string"}},
      {"a list at the top", links_parser, "- a\n- b\n", "1:1", {"expected a map of hosts"}},
      {"a syntax error", models_parser, "tiny: {layers: 1\n", "2:1", {"end of map flow not found"}},
  };
  for (const bad_profile& row : rows) {
    SCOPED_TRACE(row.what);
    expected<void> r = row.parse(row.text);
    ASSERT_FALSE(r) << "parsed but should not have";
    EXPECT_EQ(r.error().code, errc::invalid_input);
    std::string prefix = row.position.empty() ? "p.yml: " : "p.yml:" + row.position + ": ";
    EXPECT_EQ(r.error().message.rfind(prefix, 0), 0u) << r.error().message;
    for (const auto& f : row.fragments)
      EXPECT_NE(r.error().message.find(f), std::string::npos) << r.error().message;
  }
}

TEST(ProfilesHostile, TheBaseFilesAreValid) {
  auto m = parse_models(models, "p.yml");
  ASSERT_TRUE(m) << m.error().message;
  auto t = parse_device_types(types, "p.yml");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->at("fast").model_profiles.at("tiny").at(0).time_s.size(), 2u);
}

TEST(ProfilesHostile, A50MBFileIsRefusedFromItsSize) {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("edgepipe_profiles_hostile_" +
                                std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  std::ofstream(path) << models;
  std::filesystem::resize_file(path, 50u << 20); // sparse
  auto r = read_models(path.string());
  std::filesystem::remove(path);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, path.string() + ": the profile file is 52428800 bytes; expected "
                                               "at most 4194304 (4 MiB)");
}

} // namespace
} // namespace edgepipe::config
