// embed_pipeline: a CAF application that runs a two-stage edgepipe pipeline
// from code (no YAML, no node processes): it hosts two edgepipe nodes in its
// own actor system, lets edgepipe's planner deploy and run a few
// Fashion-MNIST test images through them, and prints the predicted classes.
//
//   embed_pipeline --model DIR [--images N] [--data DIR] [--bits B]
//
// What it uses, all public headers of the installed package (see
// docs/embedding.md):
//   actors::register_types       the message types, on the actor system config
//   actors::spawn_node           a node hosted in this process (a real device
//                                would run `edgepipe node`: connect_nodes)
//   actors::pipeline_config      model, plan (stage -> node, layers), links, workload
//   actors::spawn_planner        deploys the plan on the nodes and runs it
//   run_request -> run_outcome   the run's answer; run_progress on the way;
//                                a failure arrives as a caf::error instead
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/control_messages.hpp"
#include "actors/errors.hpp"
#include "actors/node_actor.hpp"
#include "actors/pipeline.hpp"
#include "actors/register_types.hpp"
#include "ops/idx.hpp"
#include "ops/preprocessing.hpp"
#include "ops/vit_config.hpp"

using namespace edgepipe;

int main(int argc, char** argv) {
  std::string model_dir, data_dir = "/usr/share/datasets/fashion-mnist";
  int images = 8, bits = 8;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--model"))
      model_dir = argv[i + 1];
    else if (!std::strcmp(argv[i], "--images"))
      images = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--data"))
      data_dir = argv[i + 1];
    else if (!std::strcmp(argv[i], "--bits"))
      bits = std::atoi(argv[i + 1]);
  }
  if (model_dir.empty()) {
    std::fprintf(stderr,
                 "usage: embed_pipeline --model DIR [--images N] [--data DIR] [--bits B]\n");
    return 2;
  }
  auto cfg = ops::read_vit_config(model_dir + "/config.json");
  auto prep = ops::read_preprocessing(model_dir);
  if (!cfg || !prep) {
    std::fprintf(stderr, "%s\n", (!cfg ? cfg.error() : prep.error()).message.c_str());
    return 1;
  }
  auto data = ops::read_idx_dataset(data_dir, "t10k", *prep, images);
  if (!data) {
    std::fprintf(stderr, "%s\n", data.error().message.c_str());
    return 1;
  }

  // Every actor system that runs edgepipe actors registers its messages
  // first. Everything here stays in one process, so no networking
  // (actors::configure_system would also load CAF's middleman).
  caf::actor_system_config sys_cfg;
  actors::register_types(sys_cfg);
  caf::actor_system sys{sys_cfg};

  // Two nodes in this process. An empty host tells the planner the stages
  // need no network connection to reach each other. Each serves the model
  // directory and nothing else (its model root).
  auto roots = actors::model_roots::create({model_dir});
  if (!roots) {
    std::fprintf(stderr, "embed: %s\n", roots.error().message.c_str());
    return 2;
  }
  std::vector<actors::connected_node> nodes;
  for (const char* name : {"front", "back"}) {
    actors::node_info info;
    info.name = name;
    info.threads = 1;
    nodes.push_back(
        {actors::node_address{name, "", 0}, actors::spawn_node(sys, info, *roots), info});
  }

  // The pipeline: the first half of the planner layers on "front", the rest
  // on "back"; the link between them sends B-bit activations.
  actors::pipeline_config pc;
  pc.nodes = nodes;
  pc.model.model_dir = model_dir; // each node loads only its own layers
  const int layers = cfg->planner_layers();
  pc.plan.stages = {{0, 1, layers / 2}, {1, layers / 2 + 1, layers}};
  pc.links = [bits](size_t /*after_stage*/, size_t /*from*/, size_t /*to*/) {
    actors::link_choice c;
    c.out.bits = bits;
    return c;
  };
  // One image per microbatch; labels let the run report its accuracy.
  const auto& s = data->images.shape;
  const int64_t per_image = s[1] * s[2] * s[3];
  for (int64_t i = 0; i < s[0]; ++i) {
    ops::tensor t;
    t.shape = {1, s[1], s[2], s[3]};
    t.data.assign(data->images.data.begin() + i * per_image,
                  data->images.data.begin() + (i + 1) * per_image);
    pc.work.batches.push_back(std::move(t));
  }
  pc.work.labels = data->labels;
  pc.work.microbatch = 1;
  pc.stall_timeout = std::chrono::seconds(60); // no result this long: the run fails

  // Run: the outcome is the answer to run_request; progress messages come
  // before it (to the actor named in the request). A run that stopped early
  // (no plan fits the alive nodes, stop_run) still answers an outcome, with
  // `failure` set; a caf::error in the "edgepipe" category answers a run
  // that could not start.
  auto planner = actors::spawn_planner(sys, pc);
  caf::scoped_actor self{sys};
  self->send(planner, actors::run_request{caf::actor_cast<caf::actor>(self)});
  std::optional<actors::run_outcome> outcome;
  bool failed = false;
  while (!outcome && !failed)
    self->receive(
        [&](actors::run_progress& p) {
          std::fprintf(stderr, "progress: %llu of %llu answered\n",
                       static_cast<unsigned long long>(p.summary.answered),
                       static_cast<unsigned long long>(p.summary.requests));
        },
        [&](actors::run_outcome& o) { outcome = std::move(o); },
        [&](caf::error& err) {
          std::fprintf(stderr, "run failed: %s\n", actors::describe(err).c_str());
          failed = true;
        });

  // The planner has retired its stages and stopped; the nodes are ours.
  for (const auto& n : nodes) self->send(n.actor, actors::shutdown_request{});
  if (failed) return 1;
  if (!outcome->failure.empty())
    std::fprintf(stderr, "run stopped: %s\n", outcome->failure.c_str());

  auto name = [&](int c) {
    return c >= 0 && static_cast<size_t>(c) < cfg->labels.size() ? cfg->labels[c]
                                                                 : std::to_string(c);
  };
  for (size_t i = 0; i < outcome->predictions.size(); ++i)
    std::printf("image %zu: class %s (label %s)\n", i, name(outcome->predictions[i]).c_str(),
                name(data->labels[i]).c_str());
  const auto& summary = outcome->summary;
  std::printf("answered %llu of %llu, accuracy %.3f, %d-bit link between the stages\n",
              static_cast<unsigned long long>(summary.answered),
              static_cast<unsigned long long>(summary.requests), summary.accuracy, bits);
  return summary.complete() ? 0 : 1;
}
