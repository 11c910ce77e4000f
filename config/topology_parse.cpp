// The topology document, section by section (docs/topology.md is the schema).
// Every check that needs only the file happens here; the model's layer count
// is checked later by validate().
#include <algorithm>
#include <map>

#include "config/topology_yaml.hpp"

namespace edgepipe::config::topology_yaml {
namespace {

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::string node_names(const topology& topo) {
  std::string names;
  for (const node_spec& n : topo.nodes) names += (names.empty() ? "" : ", ") + n.name;
  return names;
}

bool valid_name(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
      return false;
  return true;
}

// "host:port" or "[v6 address]:port".
void read_address(const document& doc, const YAML::Node& value, node_spec& node) {
  std::string text = read_string(doc, value, "node.address");
  size_t colon = text.rfind(':');
  std::string host = colon == std::string::npos ? "" : text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  std::string port = colon == std::string::npos ? "" : text.substr(colon + 1);
  bool port_ok = !port.empty() && port.size() <= 5 &&
                 std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (host.empty() || !port_ok || std::stol(port) > 65535)
    doc.fail(value, "node.address: expected host:port (port 0..65535), got '" + text + "'");
  node.host = host;
  node.port = int(std::stol(port));
}

// Nodes that `edgepipe run` starts, or that listen on a loopback address,
// run on this machine: "local". Any other node: its address's host.
std::string default_machine(const node_spec& node) {
  const std::string& h = node.host;
  const bool loopback = h == "localhost" || h == "::1" || h.rfind("127.", 0) == 0;
  return node.start_locally || loopback ? "local" : h;
}

std::vector<node_spec> read_nodes(const document& doc, const YAML::Node& list) {
  if (!list.IsSequence() || list.size() == 0)
    doc.fail(list, "nodes: expected a list of nodes (name, address, ...), got " + describe(list));
  std::vector<node_spec> nodes;
  for (const YAML::Node& item : list) {
    map_reader map(doc, item, "node",
                   {"name", "address", "start_locally", "threads", "memory_mb", "machine"});
    node_spec node;
    node.pos = doc.pos(item);
    YAML::Node name = map.require("name");
    node.name = read_string(doc, name, "node.name");
    if (!valid_name(node.name))
      doc.fail(name,
               "node.name: expected letters, digits, '-', '_' or '.', got '" + node.name + "'");
    read_address(doc, map.require("address"), node);
    node.start_locally = map.boolean("start_locally", false);
    node.threads = int(map.integer("threads", 1, 1, 1024));
    node.memory_mb = map.integer("memory_mb", 0, 0, INT64_MAX);
    node.machine = default_machine(node);
    if (map.has("machine")) {
      node.machine = map.string("machine");
      if (!valid_name(node.machine))
        map.fail_at("machine", "node.machine: expected letters, digits, '-', '_' or '.', got '" +
                                   node.machine + "'");
    }
    if (node.port == 0 && !node.start_locally)
      map.fail_at("address", "node.address: port 0 (pick a free port) needs start_locally: true; "
                             "a remote node needs its real port");
    for (const node_spec& other : nodes) {
      if (other.name == node.name)
        doc.fail(name, "node '" + node.name + "' listed twice (first at line " +
                           std::to_string(other.pos.line) + "); expected unique node names");
      if (node.port != 0 && other.host == node.host && other.port == node.port)
        map.fail_at("address", "node '" + other.name + "' (line " + std::to_string(other.pos.line) +
                                   ") has address " + node.address() +
                                   " too; expected one node per address");
    }
    nodes.push_back(node);
  }
  return nodes;
}

model_spec read_model(const document& doc, const YAML::Node& node) {
  map_reader map(doc, node, "model", {"dir", "synthetic", "seed", "dtype"});
  model_spec model;
  if (map.has("dir") == map.has("synthetic"))
    doc.fail(node, "model: expected exactly one of 'dir' (a model directory) or 'synthetic' "
                   "(vit-base, vit-large or vit-huge)");
  if (map.has("dir")) {
    model.dir = doc.resolve(map.string("dir"));
    model.pos = doc.pos(map.get("dir"));
    if (map.has("seed")) map.fail_at("seed", "model.seed applies to synthetic models only");
  } else {
    model.synthetic = map.string("synthetic");
    model.pos = doc.pos(map.get("synthetic"));
    if (model.synthetic != "vit-base" && model.synthetic != "vit-large" &&
        model.synthetic != "vit-huge")
      map.fail_at("synthetic", "model.synthetic: expected vit-base, vit-large or vit-huge, got '" +
                                   model.synthetic + "'");
    model.seed = uint64_t(map.integer("seed", 1, 0, INT64_MAX));
  }
  model.dtype = map.string("dtype", "f32");
  if (model.dtype != "f32" && model.dtype != "bf16" && model.dtype != "int8")
    map.fail_at("dtype", "model.dtype: expected f32, bf16 or int8, got '" + model.dtype + "'");
  return model;
}

partition_spec read_partition(const document& doc, const YAML::Node& node, const topology& topo) {
  partition_spec partition;
  partition.pos = doc.pos(node);
  if (node.IsScalar() && node.Scalar() == "auto") return partition;
  if (node.IsScalar() && node.Scalar() == "even") {
    partition.automatic = false;
    partition.even = true;
    return partition;
  }
  if (!node.IsSequence() || node.size() == 0)
    doc.fail(node, "partition: expected 'auto', 'even' or a list of {node: NAME, layers: [first, "
                   "last]}, got " +
                       describe(node));
  partition.automatic = false;
  std::map<std::string, int> line_of_node;
  for (const YAML::Node& item : node) {
    map_reader map(doc, item, "stage", {"node", "layers"});
    stage_spec stage;
    stage.pos = doc.pos(item);
    YAML::Node name = map.require("node");
    stage.node = read_string(doc, name, "stage.node");
    if (!topo.find_node(stage.node)) {
      doc.fail(name, "unknown node '" + stage.node + "'; expected one of: " + node_names(topo));
    }
    if (line_of_node.count(stage.node))
      doc.fail(name, "node '" + stage.node + "' already hosts a stage (line " +
                         std::to_string(line_of_node[stage.node]) +
                         "); expected each node at most once");
    line_of_node[stage.node] = stage.pos.line;

    YAML::Node layers = map.require("layers");
    if (!layers.IsSequence() || layers.size() != 2)
      doc.fail(layers,
               "stage.layers: expected [first, last] (inclusive, from 1), got " + describe(layers));
    stage.first = int(read_integer(doc, layers[0], "stage.layers first", 1, 1 << 20));
    stage.last = int(read_integer(doc, layers[1], "stage.layers last", 1, 1 << 20));
    if (stage.first > stage.last)
      doc.fail(layers, "stage.layers: expected first <= last, got [" + std::to_string(stage.first) +
                           ", " + std::to_string(stage.last) + "]");
    int expected_first = partition.stages.empty() ? 1 : partition.stages.back().last + 1;
    std::string range = "[" + std::to_string(stage.first) + ", " + std::to_string(stage.last) + "]";
    if (stage.first < expected_first)
      doc.fail(layers, "layers " + range + " overlap the previous stage's (which ends at layer " +
                           std::to_string(expected_first - 1) +
                           "); expected this stage to start "
                           "at layer " +
                           std::to_string(expected_first));
    if (stage.first > expected_first)
      doc.fail(layers, "gap: layers " + std::to_string(expected_first) + ".." +
                           std::to_string(stage.first - 1) +
                           " are on no stage; expected this "
                           "stage to start at layer " +
                           std::to_string(expected_first));
    partition.stages.push_back(stage);
  }
  return partition;
}

// after_stage: N, or from: A + to: B; checked against the nodes and partition.
link_selector read_selector(const document& doc, const map_reader& map, const topology& topo) {
  link_selector link;
  bool by_stage = map.has("after_stage");
  bool by_nodes = map.has("from") || map.has("to");
  if (by_stage == by_nodes)
    doc.fail(map.node(),
             "expected the link as 'after_stage: N' or as 'from: NODE, to: NODE' in " + map.what());
  // auto: any node may follow any other; even: the nodes in listed order.
  bool listed = topo.partition.automatic || topo.partition.even;
  int links = listed ? int(topo.nodes.size()) - 1 : int(topo.partition.stages.size()) - 1;
  if (by_stage) {
    if (links <= 0) map.fail_at("after_stage", "after_stage: there is no link with one stage");
    link.after_stage = int(map.integer("after_stage", 0, 0, links - 1));
    return link;
  }
  for (const char* key : {"from", "to"}) {
    YAML::Node name = map.require(key);
    std::string value = read_string(doc, name, map.what() + "." + key);
    if (!topo.find_node(value))
      doc.fail(name, "unknown node '" + value + "' in " + map.what() + "." + key +
                         "; expected one of: " + node_names(topo));
    (std::string(key) == "from" ? link.from : link.to) = value;
  }
  if (link.from == link.to)
    map.fail_at("to", "expected two different nodes in from/to, got '" + link.from + "' twice");
  if (!topo.partition.automatic) {
    std::vector<std::string> order;
    for (const stage_spec& s : topo.partition.stages) order.push_back(s.node);
    if (topo.partition.even)
      for (const node_spec& n : topo.nodes) order.push_back(n.name);
    bool adjacent = false;
    for (size_t i = 0; i + 1 < order.size(); ++i)
      adjacent = adjacent || (order[i] == link.from && order[i + 1] == link.to);
    if (!adjacent)
      map.fail_at("from", "no link " + link.from + " -> " + link.to + " in the " +
                              (topo.partition.even ? "even" : "explicit") +
                              " partition; expected the nodes of consecutive stages");
  }
  return link;
}

template <class Override, class Spec, class Read>
std::vector<Override> read_overrides(const document& doc, const YAML::Node& list,
                                     const std::string& what, const std::vector<std::string>& keys,
                                     const topology& topo, const Spec& fallback, Read read) {
  if (!list.IsSequence())
    doc.fail(list, what + ".overrides: expected a list, got " + describe(list));
  std::vector<Override> out;
  std::map<std::string, int> seen;
  for (const YAML::Node& item : list) {
    map_reader map(doc, item, what + " override", concat(selector_keys, keys));
    Override o;
    o.link = read_selector(doc, map, topo);
    std::string id = o.link.by_nodes() ? o.link.from + " -> " + o.link.to
                                       : "after stage " + std::to_string(o.link.after_stage);
    if (seen.count(id))
      doc.fail(item,
               "link " + id + " overridden twice (first at line " + std::to_string(seen[id]) + ")");
    seen[id] = doc.pos(item).line;
    read(map, fallback, o);
    out.push_back(o);
  }
  return out;
}

workload_spec read_workload(const document& doc, const YAML::Node& node) {
  map_reader map(
      doc, node, "workload",
      {"dataset", "text", "split", "synthetic", "seed", "count", "microbatch", "window", "warmup"});
  workload_spec w;
  w.pos = doc.pos(node);
  w.synthetic = map.boolean("synthetic", false);
  if (int(map.has("dataset")) + int(map.has("text")) + int(w.synthetic) != 1)
    doc.fail(node,
             "workload: expected one of 'dataset: DIR', 'text: FILE.tsv' or 'synthetic: true'");
  if (map.has("text")) {
    w.text = doc.resolve(map.string("text"));
    w.pos = doc.pos(map.get("text"));
    if (map.has("split")) map.fail_at("split", "workload.split applies to a dataset only");
    if (map.has("seed")) map.fail_at("seed", "workload.seed applies to synthetic inputs only");
  } else if (map.has("dataset")) {
    w.dataset = doc.resolve(map.string("dataset"));
    w.pos = doc.pos(map.get("dataset"));
    w.split = map.string("split", "test");
    if (w.split != "test" && w.split != "train")
      map.fail_at("split", "workload.split: expected test or train, got '" + w.split + "'");
    if (map.has("seed")) map.fail_at("seed", "workload.seed applies to synthetic inputs only");
  } else {
    if (map.has("split")) map.fail_at("split", "workload.split applies to a dataset only");
    w.seed = uint64_t(map.integer("seed", 1, 0, INT64_MAX));
    if (!map.has("count")) doc.fail(node, "workload: synthetic inputs need 'count' (images)");
  }
  w.count = int(map.integer("count", 0, w.synthetic ? 1 : 0, 1 << 30));
  w.microbatch = int(map.integer("microbatch", 1, 1, 1 << 16));
  w.window = int(map.integer("window", 2, 1, 1024));
  w.warmup = int(map.integer("warmup", 0, 0, 1 << 20));
  return w;
}

runtime_spec read_runtime(const document& doc, const YAML::Node& node) {
  map_reader map(doc, node, "runtime",
                 {"connect_timeout_s", "request_timeout_s", "heartbeat_interval_s",
                  "heartbeat_timeout_s", "run_timeout_s", "replan_on_rejoin", "rejoin_interval_s"});
  runtime_spec r;
  const char* positive[] = {"connect_timeout_s", "request_timeout_s", "heartbeat_interval_s",
                            "heartbeat_timeout_s"};
  double* fields[] = {&r.connect_timeout_s, &r.request_timeout_s, &r.heartbeat_interval_s,
                      &r.heartbeat_timeout_s};
  for (int i = 0; i < 4; ++i) {
    *fields[i] = map.number(positive[i], *fields[i], 0);
    if (*fields[i] <= 0)
      map.fail_at(positive[i], std::string("runtime.") + positive[i] + ": expected a time > 0 s");
  }
  r.run_timeout_s = map.number("run_timeout_s", 0, 0);
  r.replan_on_rejoin = map.boolean("replan_on_rejoin", r.replan_on_rejoin);
  r.rejoin_interval_s = map.number("rejoin_interval_s", r.rejoin_interval_s, 0.05);
  if (r.heartbeat_timeout_s <= r.heartbeat_interval_s)
    map.fail_at(map.has("heartbeat_timeout_s") ? "heartbeat_timeout_s" : "heartbeat_interval_s",
                "runtime: expected heartbeat_timeout_s > heartbeat_interval_s");
  return r;
}

// Fractions and times of the live re-planner; ranges are what makes sense,
// not what happens to work (a margin of 10 = "only if 11x faster").
planner_spec read_planner(const document& doc, const YAML::Node& node) {
  map_reader map(
      doc, node, "planner",
      {"replan", "margin", "hysteresis", "target_images_per_s", "min_interval_s", "switch_cost_s"});
  planner_spec p;
  p.pos = doc.pos(node);
  p.replan = map.boolean("replan", false);
  p.margin = map.number("margin", p.margin, 0);
  if (p.margin > 10)
    map.fail_at("margin", "planner.margin: expected a fraction 0..10 (0.1 = 10% better), got " +
                              map.get("margin").Scalar());
  p.hysteresis = map.number("hysteresis", p.hysteresis, 0);
  if (p.hysteresis >= 1)
    map.fail_at("hysteresis", "planner.hysteresis: expected a fraction >= 0 and < 1, got " +
                                  map.get("hysteresis").Scalar());
  p.target_images_per_s = map.number("target_images_per_s", 0, 0);
  p.min_interval_s = map.number("min_interval_s", p.min_interval_s, 0);
  p.switch_cost_s = map.number("switch_cost_s", p.switch_cost_s, 0);
  return p;
}

// Three PEM files; `edgepipe run` loads them before it starts anything.
tls_spec read_tls(const document& doc, const YAML::Node& node) {
  map_reader map(doc, node, "tls", {"ca", "certificate", "key"});
  tls_spec t;
  t.pos = doc.pos(node);
  t.ca = doc.resolve(read_string(doc, map.require("ca"), "tls.ca"));
  t.certificate = doc.resolve(read_string(doc, map.require("certificate"), "tls.certificate"));
  t.key = doc.resolve(read_string(doc, map.require("key"), "tls.key"));
  return t;
}

} // namespace

topology read_topology(const document& doc, const YAML::Node& root) {
  if (!root || root.IsNull()) doc.fail(source_pos{doc.file, 1, 1}, "the topology is empty");
  map_reader map(doc, root, "topology",
                 {"name", "nodes", "model", "partition", "quantization", "links", "workload",
                  "runtime", "planner", "tls"});
  topology topo;
  topo.file = doc.file;
  topo.base_dir = doc.base_dir;
  topo.name = map.string("name", "");
  topo.nodes = read_nodes(doc, map.require("nodes"));
  topo.model = read_model(doc, map.require("model"));
  if (map.has("partition")) topo.partition = read_partition(doc, map.get("partition"), topo);

  if (map.has("quantization")) {
    map_reader q(doc, map.get("quantization"), "quantization", concat(quant_keys, {"overrides"}));
    topo.quantization.default_link = read_quant(doc, q, quant_spec{});
    if (q.has("overrides"))
      topo.quantization.overrides = read_overrides<quant_override>(
          doc, q.get("overrides"), "quantization", quant_keys, topo, topo.quantization.default_link,
          [&](const map_reader& m, const quant_spec& base, quant_override& o) {
            o.quant = read_quant(doc, m, base);
          });
  }
  if (map.has("links")) {
    map_reader l(doc, map.get("links"), "links", concat(bandwidth_keys, {"overrides"}));
    topo.links.default_link = read_bandwidth(doc, l, bandwidth_spec{});
    if (l.has("overrides"))
      topo.links.overrides = read_overrides<bandwidth_override>(
          doc, l.get("overrides"), "links", bandwidth_keys, topo, topo.links.default_link,
          [&](const map_reader& m, const bandwidth_spec& base, bandwidth_override& o) {
            o.bandwidth = read_bandwidth(doc, m, base);
          });
  }
  topo.workload = read_workload(doc, map.require("workload"));
  if (map.has("runtime")) topo.runtime = read_runtime(doc, map.get("runtime"));
  if (map.has("planner")) topo.planner = read_planner(doc, map.get("planner"));
  if (map.has("tls")) topo.tls = read_tls(doc, map.get("tls"));
  return topo;
}

} // namespace edgepipe::config::topology_yaml
