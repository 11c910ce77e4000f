// Every class of topology mistake is an error naming file:line:col and what
// was expected. Each test breaks one line of a valid file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "config/topology.hpp"

namespace edgepipe::config {
namespace {

// A valid topology; tests replace or append lines (numbered from 1).
const std::vector<std::string> base_lines = {
    "nodes:",                          // 1
    "  - name: a",                     // 2
    "    address: h:1",                // 3
    "  - name: b",                     // 4
    "    address: h:2",                // 5
    "model:",                          // 6
    "  synthetic: vit-base",           // 7
    "partition:",                      // 8
    "  - {node: a, layers: [1, 24]}",  // 9
    "  - {node: b, layers: [25, 48]}", // 10
    "workload:",                       // 11
    "  synthetic: true",               // 12
    "  count: 8",                      // 13
};

std::string text_of(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

std::string with_line(int line, const std::string& replacement) {
  std::vector<std::string> lines = base_lines;
  lines.at(line - 1) = replacement;
  return text_of(lines);
}

std::string with_extra(const std::vector<std::string>& extra) {
  std::vector<std::string> lines = base_lines;
  lines.insert(lines.end(), extra.begin(), extra.end());
  return text_of(lines);
}

// Parses, and checks the error's position and that each fragment is in the message.
void expect_error(const std::string& yaml, const std::string& position,
                  const std::vector<std::string>& fragments) {
  expected<topology> topo = parse_topology(yaml, "bad.yaml");
  ASSERT_FALSE(topo) << "parsed but should not have:\n" << yaml;
  EXPECT_EQ(topo.error().code, errc::invalid_input);
  const std::string& message = topo.error().message;
  EXPECT_EQ(message.rfind("bad.yaml:" + position + ": ", 0), 0u) << message;
  for (const auto& f : fragments) EXPECT_NE(message.find(f), std::string::npos) << message;
}

TEST(TopologyErrors, TheBaseFileIsValid) {
  expected<topology> topo = parse_topology(text_of(base_lines), "bad.yaml");
  ASSERT_TRUE(topo) << topo.error().message;
  EXPECT_TRUE(validate(*topo, 48));
}

TEST(TopologyErrors, UnknownKeyAtEveryLevel) {
  expect_error(with_extra({"nodez: 1"}), "14:1",
               {"unknown key 'nodez' in topology", "did you mean 'nodes'", "expected one of"});
  expect_error(with_line(3, "    adress: h:1"), "3:5",
               {"unknown key 'adress' in node", "did you mean 'address'", "threads"});
  expect_error(with_line(7, "  synthetic: vit-base\n  weights: x"), "8:3",
               {"unknown key 'weights' in model", "expected one of: dir, synthetic"});
  expect_error(with_line(9, "  - {node: a, layers: [1, 24], bits: 4}"), "9:32",
               {"unknown key 'bits' in stage", "expected one of: node, layers"});
  expect_error(with_extra({"links:", "  overrides:", "    - {after_stage: 0, rate: 5}"}), "16:24",
               {"unknown key 'rate' in links override", "did you mean 'rate_mbps'"});
  expect_error(with_extra({"quantization: {bits: 4, clipping: aciq}"}), "14:25",
               {"unknown key 'clipping' in quantization", "clip"});
  expect_error(with_extra({"runtime: {timeout_s: 3}"}), "14:11", {"unknown key 'timeout_s'"});
  expect_error(with_line(13, "  count: 8\n  batch: 4"), "14:3",
               {"unknown key 'batch' in workload", "microbatch"});
}

TEST(TopologyErrors, AMachineNameIsAName) {
  expect_error(with_line(3, "    address: h:1\n    machine: 'my board'"), "4:14",
               {"node.machine", "'my board'"});
}

TEST(TopologyErrors, WrongType) {
  expect_error(with_line(3, "    address: h:1\n    threads: two"), "4:14",
               {"node.threads", "expected an integer", "'two'"});
  expect_error(with_line(13, "  count: [8]"), "13:10", {"workload.count", "expected an integer"});
  expect_error(with_line(12, "  synthetic: maybe"), "12:14", {"expected true or false"});
  expect_error("nodes: {a: 1}\nmodel: {synthetic: vit-base}\n"
               "workload: {synthetic: true, count: 1}\n",
               "1:8", {"nodes: expected a list", "a mapping"});
  std::vector<std::string> model_scalar = base_lines;
  model_scalar[5] = "model: vit-base"; // and drop the line that was its mapping
  model_scalar.erase(model_scalar.begin() + 6);
  expect_error(text_of(model_scalar), "6:8", {"expected model as a mapping", "'vit-base'"});
  expect_error(with_line(3, "    address: h"), "3:14", {"expected host:port", "'h'"});
  expect_error(with_extra({"runtime: {request_timeout_s: soon}"}), "14:30",
               {"runtime.request_timeout_s", "expected a number"});
}

TEST(TopologyErrors, OverlappingLayerRanges) {
  expect_error(with_line(10, "  - {node: b, layers: [20, 48]}"), "10:23",
               {"layers [20, 48] overlap", "ends at layer 24", "start at layer 25"});
}

TEST(TopologyErrors, GapBetweenLayerRanges) {
  expect_error(with_line(10, "  - {node: b, layers: [30, 48]}"), "10:23",
               {"gap: layers 25..29 are on no stage", "start at layer 25"});
  expect_error(with_line(9, "  - {node: a, layers: [2, 24]}"), "9:23",
               {"gap: layers 1..1", "start at layer 1"});
  expect_error(with_line(9, "  - {node: a, layers: [24, 1]}"), "9:23", {"first <= last"});
}

TEST(TopologyErrors, RangesExceedingOrShortOfTheModel) {
  expected<topology> topo =
      parse_topology(with_line(10, "  - {node: b, layers: [25, 60]}"), "bad.yaml");
  ASSERT_TRUE(topo) << topo.error().message; // the layer count is not known yet
  expected<void> valid = validate(*topo, 48);
  ASSERT_FALSE(valid);
  EXPECT_EQ(valid.error().message.rfind("bad.yaml:10:5: ", 0), 0u) << valid.error().message;
  EXPECT_NE(valid.error().message.find("exceed the model's 48 layers"), std::string::npos);
  EXPECT_NE(valid.error().message.find("expected layers 1..48"), std::string::npos);

  expected<void> short_of = validate(*topo, 64);
  ASSERT_FALSE(short_of);
  EXPECT_EQ(short_of.error().message.rfind("bad.yaml:10:5: ", 0), 0u);
  EXPECT_NE(short_of.error().message.find("layers 61..64"), std::string::npos)
      << short_of.error().message;
  EXPECT_TRUE(validate(*topo, 60));
}

TEST(TopologyErrors, UnknownNode) {
  expect_error(with_line(10, "  - {node: q, layers: [25, 48]}"), "10:12",
               {"unknown node 'q'", "expected one of: a, b"});
  expect_error(with_extra({"links:", "  overrides:", "    - {from: a, to: zz, rate_mbps: 3}"}),
               "16:21", {"unknown node 'zz'", "expected one of: a, b"});
}

TEST(TopologyErrors, NodeListedTwice) {
  expect_error(with_line(4, "  - name: a"), "4:11",
               {"node 'a' listed twice", "line 2", "unique node names"});
  expect_error(with_line(10, "  - {node: a, layers: [25, 48]}"), "10:12",
               {"node 'a' already hosts a stage", "line 9"});
  expect_error(with_line(5, "    address: h:1"), "5:14",
               {"node 'a' (line 2) has address h:1 too", "one node per address"});
}

TEST(TopologyErrors, BadBits) {
  expect_error(with_extra({"quantization: {bits: 17}"}), "14:22",
               {"quantization.bits", "expected 0 (raw float32), 1..16 or 'adaptive'", "'17'"});
  expect_error(with_extra({"quantization: {bits: -1}"}), "14:22", {"1..16"});
  expect_error(with_extra({"quantization: {bits: adaptive, min_bits: 8, max_bits: 4}"}), "14:42",
               {"min_bits <= max_bits", "8 > 4"});
  expect_error(with_extra({"quantization: {bits: adaptive, max_bits: 20}"}), "14:42",
               {"max_bits", "1..16"});
  expect_error(with_extra({"quantization: {bits: 4, min_bits: 2}"}), "14:35",
               {"min_bits applies to 'bits: adaptive'"});
  expect_error(with_extra({"quantization: {bits: 4, clip: fancy}"}), "14:31",
               {"expected none, aciq, ds-aciq or mse", "'fancy'"});
}

TEST(TopologyErrors, BadRate) {
  expect_error(with_extra({"links: {rate_mbps: -5}"}), "14:20",
               {"links.rate_mbps", "expected a rate in Mbit/s > 0 or 'unlimited'", "-5"});
  expect_error(with_extra({"links: {rate_mbps: 0}"}), "14:20", {"> 0"});
  expect_error(with_extra({"links: {rate_mbps: fast}"}), "14:20", {"'fast'"});
  expect_error(with_extra({"links: {rate_mbps: 10, latency_ms: -1}"}), "14:36",
               {"links.latency_ms", "expected a number >= 0"});
  expect_error(with_extra({"links: {rate_mbps: 10, trace: [[0, 1]]}"}), "14:8",
               {"one of rate_mbps, trace or trace_file"});
}

TEST(TopologyErrors, BadInlineTrace) {
  expect_error(with_extra({"links:", "  trace: [[0, 10], [5, 20], [3, 30]]"}), "15:30",
               {"trace times must increase", "3 s comes after 5 s"});
  expect_error(with_extra({"links:", "  trace: [[1, 10]]"}), "15:12",
               {"must start at time 0", "got time 1"});
  expect_error(with_extra({"links:", "  trace: [[0, 10], [5, -2]]"}), "15:24",
               {"expected a rate >= 0 Mbit/s", "-2"});
  expect_error(with_extra({"links:", "  trace: [[0, 10], [5, 0]]"}), "15:24",
               {"the last rate of a trace holds forever", "repeat_every_s"});
  expect_error(with_extra({"links:", "  trace: [[0, 10, 3]]"}), "15:11", {"[time_s, mbps]"});
  expect_error(with_extra({"links:", "  trace: [[0, 10]]", "  repeat_every_s: -4"}), "16:19",
               {"expected a period > 0 s, got -4"});
  expect_error(with_extra({"links:", "  trace: [[0, 10], [5, 1]]", "  repeat_every_s: 5"}), "15:10",
               {"repeat_every_s (5) must be after the trace's last time"});
}

TEST(TopologyErrors, BadTraceFile) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "edgepipe_topology_errors";
  std::filesystem::create_directories(dir);
  std::filesystem::path csv = dir / "trace.csv";
  {
    std::ofstream out(csv);
    out << "time_s,mbps\n0,10\n4, lots\n";
  }
  std::string yaml = with_extra({"links: {trace_file: " + csv.string() + "}"});
  expected<topology> topo = parse_topology(yaml, "bad.yaml");
  ASSERT_FALSE(topo);
  // The position is in the CSV file: line 3, column of "lots".
  EXPECT_EQ(topo.error().message.rfind(csv.string() + ":3:4: ", 0), 0u) << topo.error().message;
  EXPECT_NE(topo.error().message.find("expected a number (mbps)"), std::string::npos);

  expect_error(with_extra({"links: {trace_file: /nonexistent/trace.csv}"}), "14:21",
               {"cannot read trace file '/nonexistent/trace.csv'"});
  std::filesystem::remove_all(dir);
}

TEST(TopologyErrors, MissingSectionsAndChoices) {
  std::vector<std::string> no_model = base_lines;
  no_model.erase(no_model.begin() + 5, no_model.begin() + 7);
  expect_error(text_of(no_model), "1:1", {"missing key 'model' in topology"});
  expect_error(with_line(12, "  synthetic: false"), "12:3",
               {"expected one of 'dataset: DIR', 'text: FILE.tsv' or 'synthetic: true'"});
  expect_error(with_line(13, "  count: 8\n  text: t.tsv"), "12:3",
               {"expected one of 'dataset: DIR', 'text: FILE.tsv' or 'synthetic: true'"});
  expect_error(with_line(13, "  microbatch: 2"), "12:3", {"synthetic inputs need 'count'"});
  expect_error(with_line(7, "  synthetic: vit-tiny"), "7:14",
               {"expected vit-base, vit-large or vit-huge", "'vit-tiny'"});
  expect_error(with_line(3, "    address: h:0"), "3:14", {"port 0", "start_locally: true"});
  expect_error(with_extra({"links:", "  overrides:", "    - {after_stage: 1, rate_mbps: 3}"}),
               "16:21", {"after_stage", "0..0"});
}

TEST(TopologyErrors, TlsNeedsAllThreeFiles) {
  expect_error(with_extra({"tls: {ca: ca.pem, certificate: run.pem}"}), "14:6", {"tls", "'key'"});
  expect_error(with_extra({"tls: {ca: ca.pem, certificate: run.pem, key: k, cert: x}"}), "14:49",
               {"unknown key 'cert'"});
}

TEST(TopologyErrors, EmptyFile) {
  expect_error("", "1:1", {"the topology is empty"});
  expect_error("# only a comment\n", "1:1", {"the topology is empty"});
}

TEST(TopologyErrors, YamlSyntaxErrorHasAPosition) {
  expect_error(with_line(9, "  - {node: a, layers: [1, 24}"), "9:29", {"YAML syntax error"});
}

TEST(TopologyErrors, DuplicateKey) {
  expect_error(with_line(13, "  count: 8\n  count: 9"), "14:3", {"key 'count' given twice"});
}

} // namespace
} // namespace edgepipe::config
