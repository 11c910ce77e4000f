// Hostile or broken topology files: one table row per class of input, each
// with the error it must give (file:line:col where the input has a position).
// The loader must refuse them from a scan of the text, before yaml-cpp builds
// a tree: a huge file is refused from its size, an alias bomb from the count
// of values it stands for, binary bytes from the first one.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/topology.hpp"
#include "config/yaml_guard.hpp"

namespace edgepipe::config {
namespace {

// A valid topology of 13 lines; rows append to it or replace it.
const std::string base = "nodes:\n"
                         "  - name: a\n"
                         "    address: h:1\n"
                         "  - name: b\n"
                         "    address: h:2\n"
                         "model:\n"
                         "  synthetic: vit-base\n"
                         "partition:\n"
                         "  - {node: a, layers: [1, 24]}\n"
                         "  - {node: b, layers: [25, 48]}\n"
                         "workload:\n"
                         "  synthetic: true\n"
                         "  count: 8\n";

// Billion laughs: l9 stands for 9^9 (387 million) scalars in 10 short lines;
// l4 for 59,049 (66,430 values with the lists), l3 for 7,381.
std::string alias_bomb(const std::string& indent, int levels) {
  std::string out = indent + "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i <= levels; ++i) {
    std::string prev = "*l" + std::to_string(i - 1);
    out += indent + "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int k = 0; k < 9; ++k) out += (k ? ", " : "") + prev;
    out += "]\n";
  }
  return out;
}

// The base with the first `from` replaced by `to`.
std::string replaced(const std::string& from, const std::string& to) {
  std::string out = base;
  return out.replace(out.find(from), from.size(), to);
}

std::string nested_lists(int depth) {
  return std::string(size_t(depth), '[') + std::string(size_t(depth), ']');
}

std::string nested_maps(int depth) {
  std::string out;
  for (int i = 0; i < depth; ++i) out += "{a: ";
  return out + "1" + std::string(size_t(depth), '}');
}

struct bad_input {
  const char* what;
  std::string text;
  std::string position; // "line:col" after "bad.yaml:", or "" for no position
  std::vector<std::string> fragments;
};

const std::vector<bad_input>& bad_inputs() {
  static const std::vector<bad_input> rows = {
      {"alias bomb under an unknown key",
       base + "bomb:\n" + alias_bomb("  ", 9),
       "20:12",
       {"more than 100000 values", "each alias counts as the values it repeats"}},
      {"aliases expanding past the limit in the node list",
       "defs:\n" + alias_bomb("  ", 4) + "nodes: [*l3, *l3, *l3, *l3, *l3]\n",
       "7:24",
       {"more than 100000 values"}},
      {"an alias to an anchor never defined",
       base + "links: {rate_mbps: *nowhere}\n",
       "14:20",
       {"YAML syntax error", "anchor"}},
      {"lists nested 100 deep",
       base + "x: " + nested_lists(100) + "\n",
       "14:67",
       {"nested more than 64 deep"}},
      {"mappings nested 100 deep",
       base + "x: " + nested_maps(100) + "\n",
       "14:256",
       {"nested more than 64 deep"}},
      {"a NUL byte in a value",
       base.substr(0, base.size() - 1) + std::string(1, '\0') + "9\n",
       "13:11",
       {"byte 0x00 is not text", "binary file"}},
      {"binary garbage (an ELF header)",
       std::string("\x7f"
                   "ELF\x02\x01\x01\0\0\0",
                   10),
       "1:1",
       {"byte 0x7f is not text"}},
      {"a control byte after valid lines", base + "name: x\x1by\n", "14:8", {"byte 0x1b"}},
      {"just over the size limit",
       base + "#" + std::string(topology_limits.max_bytes - base.size(), 'x'),
       "",
       {"the topology is 1048577 bytes; expected at most 1048576 (1 MiB)"}},
      {"a key given twice at the top",
       base + "model: {synthetic: vit-large}\n",
       "14:1",
       {"key 'model' given twice in topology (first at line 6)"}},
      {"a key given twice in a flow mapping",
       base + "links: {rate_mbps: 5, rate_mbps: 6}\n",
       "14:23",
       {"key 'rate_mbps' given twice in links"}},
      {"a node name given twice",
       replaced("  - name: b\n", "  - name: a\n"),
       "4:11",
       {"node 'a' listed twice (first at line 2)"}},
      {"a list as a key", base + "? [a, b]\n: 1\n", "14:3", {"expected a plain key in topology"}},
      {"a number out of int64",
       base + "runtime: {run_timeout_s: 1e999}\n",
       "14:26",
       {"runtime.run_timeout_s", "expected a number"}},
      {"an integer beyond int64",
       base.substr(0, base.size() - 2) + "99999999999999999999\n",
       "13:10",
       {"workload.count: expected an integer"}},
      {"threads above the range",
       replaced("h:2\n", "h:2\n    threads: 2048\n"),
       "6:14",
       {"node.threads: expected an integer 1..1024, got 2048"}},
      {"a mapping where a string belongs",
       base + "name: {a: 1}\n",
       "14:7",
       {"expected a non-empty string", "a mapping"}},
      {"a list where a mapping belongs",
       base + "runtime: [1, 2]\n",
       "14:10",
       {"expected runtime as a mapping", "a list"}},
      {"a scalar where the node list belongs",
       "nodes: many\nmodel: {synthetic: vit-base}\nworkload: {synthetic: true, count: 1}\n",
       "1:8",
       {"nodes: expected a list of nodes", "'many'"}},
      {"a recursive alias", base + "x: &r [*r]\n", "14:1", {"unknown key 'x'"}},
      {"an unterminated flow mapping",
       base + "links: {rate_mbps: 5\n",
       "15:1",
       {"YAML syntax error"}},
      {"a second document does not hide the first's errors",
       base + "x: 1\n---\nfoo: 2\n",
       "14:1",
       {"unknown key 'x'"}},
  };
  return rows;
}

TEST(TopologyHostile, EveryRowGivesItsError) {
  for (const bad_input& row : bad_inputs()) {
    SCOPED_TRACE(row.what);
    expected<topology> topo = parse_topology(row.text, "bad.yaml");
    ASSERT_FALSE(topo) << "parsed but should not have";
    EXPECT_EQ(topo.error().code, errc::invalid_input);
    const std::string& message = topo.error().message;
    std::string prefix = row.position.empty() ? "bad.yaml: " : "bad.yaml:" + row.position + ": ";
    EXPECT_EQ(message.rfind(prefix, 0), 0u) << message;
    for (const auto& f : row.fragments) EXPECT_NE(message.find(f), std::string::npos) << message;
  }
}

TEST(TopologyHostile, TheBaseAndAByteOrderMarkAreFine) {
  ASSERT_TRUE(parse_topology(base, "ok.yaml"));
  expected<topology> bom = parse_topology("\xEF\xBB\xBF" + base, "ok.yaml");
  EXPECT_TRUE(bom) << bom.error().message;
  // An alias within the limits is expanded as YAML says.
  expected<topology> alias = parse_topology(base + "links: {rate_mbps: &r 5, latency_ms: *r}\n");
  ASSERT_TRUE(alias) << alias.error().message;
  EXPECT_EQ(alias->links.default_link.latency_ms, 5);
}

// Files: the size is checked before a byte is read.
class TopologyHostileFiles : public ::testing::Test {
protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          ("edgepipe_hostile_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
           "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir / name, std::ios::binary) << text;
    return (dir / name).string();
  }
  std::filesystem::path dir;
};

TEST_F(TopologyHostileFiles, A50MBFileIsRefusedFromItsSize) {
  std::string path = write("huge.yaml", base + "bogus: 1\n");
  std::filesystem::resize_file(path, 50u << 20); // sparse: no disk space used
  expected<topology> topo = load_topology(path);
  ASSERT_FALSE(topo);
  EXPECT_EQ(topo.error().code, errc::invalid_input);
  EXPECT_EQ(topo.error().message, path + ": the topology file is 52428800 bytes; expected at "
                                         "most 1048576 (1 MiB)");
}

TEST_F(TopologyHostileFiles, AnEndlessDeviceIsRefusedAfterTheLimit) {
  expected<topology> topo = load_topology("/dev/zero");
  ASSERT_FALSE(topo);
  EXPECT_EQ(topo.error().message,
            "/dev/zero: the topology file is more than 1048576 bytes; expected at most "
            "1048576 (1 MiB)");
}

TEST_F(TopologyHostileFiles, AHugeTraceFileIsRefusedAtItsKey) {
  std::string csv = write("trace.csv", "0,10\n");
  std::filesystem::resize_file(csv, 20u << 20);
  std::string path = write("t.yaml", base + "links: {trace_file: trace.csv}\n");
  expected<topology> topo = load_topology(path);
  ASSERT_FALSE(topo);
  EXPECT_EQ(topo.error().message.rfind(path + ":14:21: ", 0), 0u) << topo.error().message;
  EXPECT_NE(topo.error().message.find("the trace file is 20971520 bytes; expected at most "
                                      "16777216 (16 MiB)"),
            std::string::npos)
      << topo.error().message;
}

TEST_F(TopologyHostileFiles, ATraceFileMustBeARegularFile) {
  for (const char* device : {"/dev/zero", "/dev/stdin"}) {
    expected<topology> topo =
        parse_topology(base + "links: {trace_file: " + device + "}\n", "t.yaml");
    ASSERT_FALSE(topo);
    EXPECT_EQ(topo.error().message, std::string("t.yaml:14:21: trace file '") + device +
                                        "' is not a regular file; expected a CSV file");
  }
}

TEST_F(TopologyHostileFiles, AModelConfigGetsTheSameGuard) {
  std::filesystem::create_directories(dir / "m");
  std::string config = write("m/config.json", "{\"num_hidden_layers\": 12}");
  model_spec model;
  model.dir = (dir / "m").string();
  expected<int> layers = model_layer_count(model);
  ASSERT_TRUE(layers) << layers.error().message;
  EXPECT_EQ(*layers, 48);
  std::filesystem::resize_file(config, 50u << 20);
  layers = model_layer_count(model);
  ASSERT_FALSE(layers);
  EXPECT_EQ(layers.error().message, config + ": the model config is 52428800 bytes; expected at "
                                             "most 4194304 (4 MiB)");
  write("m/config.json", "{\"num_hidden_layers\": 12}" + std::string(1, '\0'));
  layers = model_layer_count(model);
  ASSERT_FALSE(layers);
  EXPECT_EQ(layers.error().message.rfind(config + ":1:26: byte 0x00 is not text", 0), 0u)
      << layers.error().message;
}

TEST_F(TopologyHostileFiles, ADirectoryIsNotATopology) {
  expected<topology> topo = load_topology(dir.string());
  ASSERT_FALSE(topo);
  EXPECT_NE(topo.error().message.find(dir.string() + ": cannot read the topology file"),
            std::string::npos)
      << topo.error().message;
}

} // namespace
} // namespace edgepipe::config
