// Valid topologies parse to the structs they describe.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/topology.hpp"

namespace edgepipe::config {
namespace {

const char* full_topology = R"(name: demo
nodes:
  - name: a
    address: 10.0.0.1:7001
    threads: 4
    memory_mb: 2048
  - name: b
    address: "[::1]:7002"
    start_locally: true
  - name: c
    address: 127.0.0.1:0
    start_locally: true
    threads: 2
model:
  synthetic: vit-large
  seed: 7
  dtype: bf16
partition:
  - {node: b, layers: [1, 40]}
  - {node: a, layers: [41, 80]}
  - {node: c, layers: [81, 96]}
quantization:
  bits: 6
  clip: ds-aciq
  overrides:
    - {after_stage: 1, bits: adaptive, min_bits: 3, max_bits: 10, granularity: sample}
    - {from: b, to: a, bits: 0}
links:
  rate_mbps: 100
  latency_ms: 2.5
  overrides:
    - from: b
      to: a
      trace: [[0, 50], [1.5, 0], [2, 25]]
    - after_stage: 1
      trace:
        - {time_s: 0, mbps: 10}
        - {time_s: 4, mbps: 20}
      repeat_every_s: 8
      burst_kb: 64
workload:
  synthetic: true
  seed: 3
  count: 64
  microbatch: 4
  window: 3
  warmup: 2
runtime:
  connect_timeout_s: 5
  request_timeout_s: 12
  heartbeat_interval_s: 0.25
  heartbeat_timeout_s: 2
  run_timeout_s: 600
)";

TEST(TopologyParse, NodesOnOneMachineShareItsName) {
  const char* yaml = R"(nodes:
  - {name: a, address: 10.0.0.1:7001}
  - {name: b, address: 10.0.0.1:7002}
  - {name: c, address: 10.0.0.2:7001, machine: board-1}
  - {name: d, address: 10.0.0.3:7001, machine: board-1}
  - {name: e, address: 127.0.0.1:7001}
  - {name: f, address: localhost:7002}
model: {synthetic: vit-base}
partition: even
workload: {synthetic: true, count: 8}
)";
  expected<topology> topo = parse_topology(yaml, "m.yaml");
  ASSERT_TRUE(topo) << topo.error().message;
  std::vector<std::string> machines;
  for (const auto& n : topo->nodes) machines.push_back(n.machine);
  EXPECT_EQ(machines, (std::vector<std::string>{"10.0.0.1", "10.0.0.1", "board-1", "board-1",
                                                "local", "local"}));
}

TEST(TopologyParse, EveryFieldLandsInItsStruct) {
  expected<topology> topo = parse_topology(full_topology, "full.yaml", "/base");
  ASSERT_TRUE(topo) << topo.error().message;
  EXPECT_EQ(topo->name, "demo");
  EXPECT_EQ(topo->file, "full.yaml");

  ASSERT_EQ(topo->nodes.size(), 3u);
  EXPECT_EQ(topo->nodes[0].name, "a");
  EXPECT_EQ(topo->nodes[0].host, "10.0.0.1");
  EXPECT_EQ(topo->nodes[0].port, 7001);
  EXPECT_FALSE(topo->nodes[0].start_locally);
  EXPECT_EQ(topo->nodes[0].threads, 4);
  EXPECT_EQ(topo->nodes[0].memory_mb, 2048);
  EXPECT_EQ(topo->nodes[0].address(), "10.0.0.1:7001");
  EXPECT_EQ(topo->nodes[0].pos.line, 3);
  EXPECT_EQ(topo->nodes[0].pos.column, 5);
  EXPECT_EQ(topo->nodes[1].host, "::1");
  EXPECT_EQ(topo->nodes[1].port, 7002);
  EXPECT_TRUE(topo->nodes[1].start_locally);
  EXPECT_EQ(topo->nodes[1].threads, 1);   // default
  EXPECT_EQ(topo->nodes[1].memory_mb, 0); // default: unlimited
  EXPECT_EQ(topo->nodes[2].port, 0);
  EXPECT_EQ(topo->find_node("c"), &topo->nodes[2]);
  // Machines: a remote node's is its address's host, local ones share "local".
  EXPECT_EQ(topo->nodes[0].machine, "10.0.0.1");
  EXPECT_EQ(topo->nodes[1].machine, "local");
  EXPECT_EQ(topo->nodes[2].machine, "local");
  EXPECT_EQ(topo->find_node("d"), nullptr);

  EXPECT_TRUE(topo->model.is_synthetic());
  EXPECT_EQ(topo->model.synthetic, "vit-large");
  EXPECT_EQ(topo->model.seed, 7u);
  EXPECT_EQ(topo->model.dtype, "bf16");

  ASSERT_FALSE(topo->partition.automatic);
  ASSERT_EQ(topo->partition.stages.size(), 3u);
  EXPECT_EQ(topo->partition.stages[0].node, "b");
  EXPECT_EQ(topo->partition.stages[0].first, 1);
  EXPECT_EQ(topo->partition.stages[0].last, 40);
  EXPECT_EQ(topo->partition.stages[2].node, "c");
  EXPECT_EQ(topo->partition.stages[2].first, 81);
  EXPECT_EQ(topo->partition.stages[2].last, 96);

  const quant_spec& q = topo->quantization.default_link;
  EXPECT_EQ(q.mode, quant_mode::fixed);
  EXPECT_EQ(q.bits, 6);
  EXPECT_EQ(q.clip, "ds-aciq");
  EXPECT_EQ(q.granularity, "tensor");
  ASSERT_EQ(topo->quantization.overrides.size(), 2u);
  const quant_override& q1 = topo->quantization.overrides[0];
  EXPECT_EQ(q1.link.after_stage, 1);
  EXPECT_FALSE(q1.link.by_nodes());
  EXPECT_EQ(q1.quant.mode, quant_mode::adaptive);
  EXPECT_EQ(q1.quant.min_bits, 3);
  EXPECT_EQ(q1.quant.max_bits, 10);
  EXPECT_EQ(q1.quant.clip, "ds-aciq"); // inherited from the default
  EXPECT_EQ(q1.quant.granularity, "sample");
  const quant_override& q2 = topo->quantization.overrides[1];
  EXPECT_TRUE(q2.link.by_nodes());
  EXPECT_EQ(q2.link.from, "b");
  EXPECT_EQ(q2.link.to, "a");
  EXPECT_EQ(q2.quant.bits, 0);

  const bandwidth_spec& bw = topo->links.default_link;
  EXPECT_EQ(bw.kind, bandwidth_kind::fixed);
  EXPECT_DOUBLE_EQ(bw.mbps, 100);
  EXPECT_DOUBLE_EQ(bw.latency_ms, 2.5);
  ASSERT_EQ(topo->links.overrides.size(), 2u);
  const bandwidth_spec& t1 = topo->links.overrides[0].bandwidth;
  EXPECT_EQ(t1.kind, bandwidth_kind::trace);
  ASSERT_EQ(t1.trace.size(), 3u);
  EXPECT_DOUBLE_EQ(t1.trace[1].time_s, 1.5);
  EXPECT_DOUBLE_EQ(t1.trace[1].mbps, 0);
  EXPECT_DOUBLE_EQ(t1.trace[2].mbps, 25);
  EXPECT_FALSE(t1.repeat);
  EXPECT_DOUBLE_EQ(t1.latency_ms, 2.5); // inherited
  const bandwidth_spec& t2 = topo->links.overrides[1].bandwidth;
  EXPECT_EQ(topo->links.overrides[1].link.after_stage, 1);
  ASSERT_EQ(t2.trace.size(), 2u);
  EXPECT_DOUBLE_EQ(t2.trace[1].time_s, 4);
  EXPECT_TRUE(t2.repeat);
  EXPECT_DOUBLE_EQ(t2.repeat_period_s, 8);
  EXPECT_DOUBLE_EQ(t2.burst_kb, 64);

  EXPECT_TRUE(topo->workload.synthetic);
  EXPECT_EQ(topo->workload.seed, 3u);
  EXPECT_EQ(topo->workload.count, 64);
  EXPECT_EQ(topo->workload.microbatch, 4);
  EXPECT_EQ(topo->workload.window, 3);
  EXPECT_EQ(topo->workload.warmup, 2);

  EXPECT_DOUBLE_EQ(topo->runtime.connect_timeout_s, 5);
  EXPECT_DOUBLE_EQ(topo->runtime.request_timeout_s, 12);
  EXPECT_DOUBLE_EQ(topo->runtime.heartbeat_interval_s, 0.25);
  EXPECT_DOUBLE_EQ(topo->runtime.heartbeat_timeout_s, 2);
  EXPECT_DOUBLE_EQ(topo->runtime.run_timeout_s, 600);

  // vit-large: 24 blocks = 96 planner layers, which the partition covers.
  expected<int> layers = model_layer_count(topo->model);
  ASSERT_TRUE(layers);
  EXPECT_EQ(*layers, 96);
  EXPECT_TRUE(validate(*topo, 96));
}

TEST(TopologyParse, Int8DtypeIsAcceptedAndInt4IsNot) {
  const std::string base = "nodes:\n  - {name: only, address: \"h:9000\"}\n"
                           "workload: {dataset: data}\nmodel: {dir: m, dtype: ";
  expected<topology> topo = parse_topology(base + "int8}\n", "/t/q.yaml", "/t");
  ASSERT_TRUE(topo) << topo.error().message;
  EXPECT_EQ(topo->model.dtype, "int8");
  expected<topology> bad = parse_topology(base + "int4}\n", "/t/q.yaml", "/t");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("expected f32, bf16 or int8, got 'int4'"), std::string::npos)
      << bad.error().message;
}

TEST(TopologyParse, DefaultsOfAMinimalFile) {
  expected<topology> topo = parse_topology(R"(
nodes:
  - {name: only, address: "host.example:9000"}
model: {dir: models/m}
workload: {dataset: data}
)",
                                           "/etc/edge/minimal.yaml", "/etc/edge");
  ASSERT_TRUE(topo) << topo.error().message;
  EXPECT_EQ(topo->name, "minimal"); // the file's stem
  EXPECT_EQ(topo->nodes[0].host, "host.example");
  EXPECT_EQ(topo->model.dir, "/etc/edge/models/m"); // resolved against the file's directory
  EXPECT_EQ(topo->model.dtype, "f32");
  EXPECT_TRUE(topo->partition.automatic);
  EXPECT_EQ(topo->quantization.default_link.mode, quant_mode::fixed);
  EXPECT_EQ(topo->quantization.default_link.bits, 0);
  EXPECT_EQ(topo->quantization.default_link.clip, "none");
  EXPECT_EQ(topo->links.default_link.kind, bandwidth_kind::unlimited);
  EXPECT_EQ(topo->workload.dataset, "/etc/edge/data");
  EXPECT_EQ(topo->workload.split, "test");
  EXPECT_EQ(topo->workload.count, 0);
  EXPECT_EQ(topo->workload.microbatch, 1);
  EXPECT_EQ(topo->workload.window, 2);
  EXPECT_GT(topo->runtime.request_timeout_s, 0);
  EXPECT_TRUE(validate(*topo, 48)); // auto: any layer count
}

TEST(TopologyParse, TextWorkloadIsResolvedAgainstTheFile) {
  expected<topology> topo = parse_topology(R"(
nodes:
  - {name: only, address: "host.example:9000"}
model: {dir: models/bert}
workload: {text: data/test.tsv, count: 100, microbatch: 16}
)",
                                           "/etc/edge/text.yaml", "/etc/edge");
  ASSERT_TRUE(topo) << topo.error().message;
  EXPECT_EQ(topo->workload.text, "/etc/edge/data/test.tsv");
  EXPECT_TRUE(topo->workload.dataset.empty());
  EXPECT_FALSE(topo->workload.synthetic);
  EXPECT_EQ(topo->workload.count, 100);
  EXPECT_EQ(topo->workload.microbatch, 16);
  EXPECT_EQ(topo->workload.pos.line, 5);
}

TEST(TopologyParse, EvenPartitionSplitsLayersInNodeOrder) {
  expected<topology> topo = parse_topology(R"(
nodes:
  - {name: x, address: "h:1"}
  - {name: y, address: "h:2"}
  - {name: z, address: "h:3"}
model: {synthetic: vit-base}
partition: even
links:
  overrides:
    - {from: y, to: z, rate_mbps: 5}
workload: {synthetic: true, count: 8}
)");
  ASSERT_TRUE(topo) << topo.error().message;
  EXPECT_FALSE(topo->partition.automatic);
  EXPECT_TRUE(topo->partition.even);
  ASSERT_TRUE(resolve_partition(*topo, 16));
  ASSERT_EQ(topo->partition.stages.size(), 3u);
  // 16 = 6 + 5 + 5, in the listed order.
  EXPECT_EQ(topo->partition.stages[0].node, "x");
  EXPECT_EQ(topo->partition.stages[0].first, 1);
  EXPECT_EQ(topo->partition.stages[0].last, 6);
  EXPECT_EQ(topo->partition.stages[1].first, 7);
  EXPECT_EQ(topo->partition.stages[1].last, 11);
  EXPECT_EQ(topo->partition.stages[2].node, "z");
  EXPECT_EQ(topo->partition.stages[2].first, 12);
  EXPECT_EQ(topo->partition.stages[2].last, 16);
  EXPECT_TRUE(validate(*topo, 16));
  EXPECT_FALSE(validate(*topo, 20)); // resolved for 16 layers, not 20

  expected<void> too_few = resolve_partition(*topo, 2); // 3 nodes, 2 layers
  ASSERT_FALSE(too_few);
  EXPECT_NE(too_few.error().message.find("at most 2 nodes"), std::string::npos);
}

TEST(TopologyParse, LinkSettingsPreferNodePairThenStageThenDefault) {
  expected<topology> topo = parse_topology(full_topology, "full.yaml");
  ASSERT_TRUE(topo) << topo.error().message;
  // Link b -> a is stage 0's: its node-pair overrides apply.
  link_settings first = settings_for_link(*topo, 0, "b", "a");
  EXPECT_EQ(first.bandwidth.kind, bandwidth_kind::trace);
  EXPECT_EQ(first.bandwidth.trace.size(), 3u);
  EXPECT_EQ(first.quant.bits, 0);
  // Link a -> c is stage 1's: the after_stage overrides.
  link_settings second = settings_for_link(*topo, 1, "a", "c");
  EXPECT_EQ(second.bandwidth.trace.size(), 2u);
  EXPECT_EQ(second.quant.mode, quant_mode::adaptive);
  // A node pair that wins over a stage override: b -> a planned as stage 1.
  link_settings both = settings_for_link(*topo, 1, "b", "a");
  EXPECT_EQ(both.bandwidth.trace.size(), 3u);
  EXPECT_EQ(both.quant.bits, 0);
  // Nothing matches: the defaults.
  link_settings other = settings_for_link(*topo, 5, "c", "b");
  EXPECT_EQ(other.bandwidth.kind, bandwidth_kind::fixed);
  EXPECT_EQ(other.quant.bits, 6);
}

TEST(TopologyParse, TraceFromCsvFile) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "edgepipe_topology_csv";
  std::filesystem::create_directories(dir);
  {
    std::ofstream csv(dir / "trace.csv");
    csv << "# measured on a bus\ntime_s,mbps\n0, 12.5\n\n2.5,0\r\n4,30\n";
    std::ofstream yaml(dir / "t.yaml");
    yaml << "nodes:\n  - {name: a, address: 'h:1'}\n  - {name: b, address: 'h:2'}\n"
            "model: {synthetic: vit-base}\n"
            "links: {trace_file: trace.csv}\n"
            "workload: {synthetic: true, count: 1}\n";
  }
  expected<topology> topo = load_topology((dir / "t.yaml").string());
  ASSERT_TRUE(topo) << topo.error().message;
  const bandwidth_spec& bw = topo->links.default_link;
  EXPECT_EQ(bw.kind, bandwidth_kind::trace);
  EXPECT_EQ(bw.trace_file, (dir / "trace.csv").string());
  ASSERT_EQ(bw.trace.size(), 3u);
  EXPECT_DOUBLE_EQ(bw.trace[0].mbps, 12.5);
  EXPECT_DOUBLE_EQ(bw.trace[1].time_s, 2.5);
  EXPECT_DOUBLE_EQ(bw.trace[1].mbps, 0);
  EXPECT_DOUBLE_EQ(bw.trace[2].mbps, 30);
  std::filesystem::remove_all(dir);
}

TEST(TopologyParse, TlsFilesAreResolvedAgainstTheTopologysFolder) {
  const std::string nodes = "nodes:\n  - {name: a, address: 'h:1'}\n"
                            "model: {synthetic: vit-base}\nworkload: {synthetic: true, count: 1}\n";
  expected<topology> plain = parse_topology(nodes, "t.yaml");
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_FALSE(plain->tls.enabled());
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "edgepipe_topology_tls";
  std::filesystem::create_directories(dir);
  {
    std::ofstream yaml(dir / "t.yaml");
    yaml << nodes << "tls:\n  ca: certs/ca.pem\n  certificate: /etc/run.pem\n  key: run.key\n";
  }
  expected<topology> topo = load_topology((dir / "t.yaml").string());
  ASSERT_TRUE(topo) << topo.error().message; // the files need not exist yet
  EXPECT_TRUE(topo->tls.enabled());
  EXPECT_EQ(topo->tls.ca, (dir / "certs/ca.pem").string());
  EXPECT_EQ(topo->tls.certificate, "/etc/run.pem");
  EXPECT_EQ(topo->tls.key, (dir / "run.key").string());
  EXPECT_EQ(topo->tls.pos.line, 6); // the mapping under "tls:"
  std::filesystem::remove_all(dir);
}

TEST(TopologyParse, MissingFileIsNotFound) {
  expected<topology> topo = load_topology("/nonexistent/edgepipe/topology.yaml");
  ASSERT_FALSE(topo);
  EXPECT_EQ(topo.error().code, errc::not_found);
  EXPECT_NE(topo.error().message.find("/nonexistent/edgepipe/topology.yaml"), std::string::npos);
}

} // namespace
} // namespace edgepipe::config
