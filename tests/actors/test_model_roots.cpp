// A node serves only the model directories inside its --model-root dirs,
// with real `edgepipe node` processes: a deploy naming a directory outside
// them, escaping one through `..` or a symbolic link, or holding a NUL byte
// is refused, with the same message whether the path exists or not (a peer
// learns nothing about the node's disk); inside a root it loads; a node
// without roots serves synthetic models only. `edgepipe run` against such a
// node fails with that message.
#include <gtest/gtest.h>

#include <filesystem>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/control_messages.hpp"
#include "actors/errors.hpp"
#include "actors/pipeline.hpp"
#include "actors/register_types.hpp"
#include "test_support.hpp"

using namespace edgepipe;
namespace fs = std::filesystem;

namespace {

class ModelRootsTest : public ::testing::Test {
protected:
  void SetUp() override {
    root = base.path + "/served";
    outside = base.path + "/private";
    fs::create_directories(root + "/tiny");
    fs::create_directories(outside + "/tiny");
    test::write_tiny_model(root + "/tiny");
    test::write_tiny_model(outside + "/tiny");
    actors::configure_system(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
  }
  void TearDown() override { sys.reset(); }

  actors::node_actor connect(const test::node_process& node) {
    auto c =
        actors::connect_nodes(*sys, {{"n", "127.0.0.1", node.port()}}, std::chrono::seconds(10));
    EXPECT_TRUE(c) << c.error().message;
    return c ? (*c)[0].actor : actors::node_actor{};
  }

  // Deploys layers 1..8 of `spec`'s model: "" on success, else the node's error.
  std::string deploy(const actors::node_actor& node, actors::stage_spec spec) {
    spec.first = 1;
    spec.last = 8;
    spec.threads = 1;
    caf::scoped_actor self{*sys};
    std::string result = "no answer";
    self->request(node, std::chrono::seconds(60), actors::deploy_request{spec, 1, 0})
        .receive(
            [&](actors::stage_actor& stage) {
              result.clear();
              self->request(node, std::chrono::seconds(10), actors::retire_request{stage})
                  .receive([](caf::ok_atom) {}, [](caf::error&) {});
            },
            [&](caf::error& err) { result = actors::describe(err); });
    return result;
  }
  // Profiles `dir`'s model on the node: "" on success, else the node's error.
  std::string profile_dir(const actors::node_actor& node, const std::string& dir) {
    actors::stage_spec spec;
    spec.model_dir = dir;
    spec.threads = 1;
    caf::scoped_actor self{*sys};
    std::string result = "no answer";
    self->request(node, std::chrono::seconds(120), actors::profile_request{spec, 1})
        .receive(
            [&](actors::layer_times& t) {
              result = t.seconds.size() == 8 ? "" : "wrong layer count";
            },
            [&](caf::error& err) { result = actors::describe(err); });
    return result;
  }
  std::string deploy_dir(const actors::node_actor& node, const std::string& dir) {
    actors::stage_spec spec;
    spec.model_dir = dir;
    return deploy(node, spec);
  }

  test::temp_dir base;
  std::string root, outside;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
};

std::string refusal(const std::string& path) {
  return "model '" + path + "' is not served by this node";
}

TEST_F(ModelRootsTest, OnlyDirectoriesInsideARootAreServed) {
  test::node_process node("rooted", 1, {root});
  auto n = connect(node);
  ASSERT_TRUE(n);
  EXPECT_EQ(deploy_dir(n, root + "/tiny"), "");
  EXPECT_EQ(deploy_dir(n, root + "/./tiny/"), ""); // the same directory, spelled otherwise

  // Outside: a valid model all the same.
  EXPECT_EQ(deploy_dir(n, outside + "/tiny"), refusal(outside + "/tiny"));
  // Escaping through `..`.
  const std::string dotdot = root + "/../private/tiny";
  EXPECT_EQ(deploy_dir(n, dotdot), refusal(dotdot));
  // Escaping through a symbolic link inside the root.
  fs::create_directory_symlink(outside + "/tiny", root + "/link");
  EXPECT_EQ(deploy_dir(n, root + "/link"), refusal(root + "/link"));
  // A sibling whose name only starts like the root's.
  fs::create_directories(root + "-more/tiny");
  test::write_tiny_model(root + "-more/tiny");
  EXPECT_EQ(deploy_dir(n, root + "-more/tiny"), refusal(root + "-more/tiny"));
  // A symbolic link pointing into the root is served (the target is).
  fs::create_directory_symlink(root + "/tiny", outside + "/to-served");
  EXPECT_EQ(deploy_dir(n, outside + "/to-served"), "");
  // Profiling reads the weights too: the same rule.
  EXPECT_EQ(profile_dir(n, root + "/tiny"), "");
  EXPECT_EQ(profile_dir(n, dotdot), refusal(dotdot));
}

TEST_F(ModelRootsTest, ARefusalSaysNothingAboutWhetherThePathExists) {
  test::node_process node("rooted", 1, {root});
  auto n = connect(node);
  ASSERT_TRUE(n);
  // An existing directory, a missing one, an existing unreadable-or-not
  // file, and a path with a NUL byte (which would otherwise be cut short and
  // open config.json as the weights): one message, naming only the request.
  for (const std::string& p :
       {std::string("/etc"), std::string("/nonexistent-dir/x"), std::string("/etc/shadow"),
        outside + "/tiny/config.json", root + "/missing"}) {
    EXPECT_EQ(deploy_dir(n, p), refusal(p));
  }
  std::string with_nul = root + "/tiny/config.json";
  with_nul.push_back('\0');
  EXPECT_EQ(deploy_dir(n, with_nul), refusal(root + "/tiny/config.json\\0"));
}

TEST_F(ModelRootsTest, ANodeWithoutRootsServesSyntheticModelsOnly) {
  test::node_process node("bare");
  auto n = connect(node);
  ASSERT_TRUE(n);
  EXPECT_EQ(deploy_dir(n, root + "/tiny"), refusal(root + "/tiny"));
  actors::stage_spec synthetic;
  auto c = test::tiny_config();
  synthetic.dims = {c.image_size,          c.patch_size,        c.num_channels,      c.hidden_size,
                    c.num_attention_heads, c.num_hidden_layers, c.intermediate_size, c.num_labels};
  synthetic.seed = 3;
  EXPECT_EQ(deploy(n, synthetic), "");
}

TEST_F(ModelRootsTest, RunAgainstANodeOutsideItsRootsFailsWithTheRefusal) {
  test::node_process node("rooted", 1, {root});
  auto topology = [&](const std::string& dir) {
    std::string path = base.path + "/topology.yaml";
    test::write_file(path, "name: roots\n"
                           "nodes:\n  - {name: n, address: 127.0.0.1:" +
                               std::to_string(node.port()) +
                               "}\n"
                               "model:\n  dir: " +
                               dir +
                               "\n"
                               "partition: even\n"
                               "workload:\n  synthetic: true\n  count: 8\n  microbatch: 4\n");
    return path;
  };
  auto r = test::run_edgepipe({"run", topology(outside + "/tiny"), "--json"}, 120);
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("is not served by this node"), std::string::npos) << r.out << r.err;

  r = test::run_edgepipe({"run", topology(root + "/tiny"), "--json"}, 120);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(ModelRootsCli, ANodeRefusesARootThatIsNoDirectory) {
  test::temp_dir dir;
  test::write_file(dir.path + "/file", "x");
  for (const std::string& bad : {dir.path + "/missing", dir.path + "/file"}) {
    auto r = test::run_edgepipe({"node", "--listen", "127.0.0.1:0", "--model-root", bad}, 30);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find("model root"), std::string::npos) << r.err;
  }
}

} // namespace
