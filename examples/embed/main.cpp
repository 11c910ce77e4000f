// embed_pipeline: a CAF application that builds its own two-stage pipeline of
// edgepipe stage actors in code (no YAML, no node processes), runs a few
// Fashion-MNIST test images through it and prints the predicted classes.
//
//   embed_pipeline --model DIR [--images N] [--data DIR] [--bits B]
//
// The pieces it uses: actors::register_types (message types on the system),
// actors::spawn_stage (a stage for a layer range, weights from DIR),
// the (wire_atom, link_spec, next, monitor) request that connects a stage to
// the next hop through its encoder, and the library's source and sink.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/encoder_actor.hpp"
#include "actors/errors.hpp"
#include "actors/messages.hpp"
#include "actors/register_types.hpp"
#include "actors/sink_actor.hpp"
#include "actors/source_actor.hpp"
#include "actors/stage_actor.hpp"
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

  caf::actor_system_config sys_cfg;
  actors::register_types(sys_cfg); // no networking needed: everything is in this process
  caf::actor_system sys{sys_cfg};

  // Two stages: the first half of the planner layers, then the rest.
  int layers = cfg->planner_layers();
  actors::stage_spec front, back;
  front.model_dir = back.model_dir = model_dir;
  front.first = 1;
  front.last = layers / 2;
  back.first = layers / 2 + 1;
  back.last = layers;
  auto stage0 = actors::spawn_stage(sys, front);
  auto stage1 = actors::spawn_stage(sys, back);
  if (!stage0 || !stage1) {
    std::fprintf(stderr, "%s\n", (!stage0 ? stage0.error() : stage1.error()).message.c_str());
    return 1;
  }

  // One image per microbatch; the sink books logits and predictions.
  std::vector<ops::tensor> batches;
  const auto& s = data->images.shape;
  int64_t per_image = s[1] * s[2] * s[3];
  for (int64_t i = 0; i < s[0]; ++i) {
    ops::tensor t;
    t.shape = {1, s[1], s[2], s[3]};
    t.data.assign(data->images.data.begin() + i * per_image,
                  data->images.data.begin() + (i + 1) * per_image);
    batches.push_back(std::move(t));
  }
  auto record = std::make_shared<actors::run_record>(batches.size(), 1, data->labels, false);
  auto sink = actors::spawn_sink(sys, record);

  // Wire back to front: stage1 -> sink (fp32 logits), stage0 -> stage1 (B-bit activations).
  caf::scoped_actor self{sys};
  bool wired = true;
  auto wire = [&](const caf::actor& stage, const actors::link_spec& link, const caf::actor& next) {
    self->request(stage, std::chrono::seconds(10), actors::wire_atom::value, link, next,
                  caf::actor{})
        .receive([](caf::ok_atom) {},
                 [&](caf::error& err) {
                   std::fprintf(stderr, "wire: %s\n", actors::describe(err).c_str());
                   wired = false;
                 });
  };
  actors::link_spec to_sink, between;
  to_sink.link = 2;
  between.link = 1;
  between.bits = bits;
  wire(*stage1, to_sink, sink);
  wire(*stage0, between, *stage1);
  if (!wired) return 1;
  actors::link_spec first;
  first.link = 0;
  auto encoder = actors::spawn_encoder(sys, first, *stage0, caf::actor{});
  auto source = actors::spawn_source(
      sys, encoder, std::make_shared<const std::vector<ops::tensor>>(batches), record);
  self->send(source, actors::start_atom::value);

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!record->summary().complete() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));

  auto summary = record->summary();
  auto predicted = record->predictions();
  for (size_t i = 0; i < predicted.size(); ++i) {
    auto name = [&](int c) {
      return c >= 0 && static_cast<size_t>(c) < cfg->labels.size() ? cfg->labels[c]
                                                                   : std::to_string(c);
    };
    std::printf("image %zu: class %s (label %s)\n", i, name(predicted[i]).c_str(),
                name(data->labels[i]).c_str());
  }
  std::printf("answered %llu of %llu, accuracy %.3f, %d-bit link between the stages\n",
              static_cast<unsigned long long>(summary.answered),
              static_cast<unsigned long long>(summary.requests), summary.accuracy, bits);
  for (const auto& a : {source, encoder, sink, *stage0, *stage1})
    self->send_exit(a, caf::exit_reason::user_shutdown);
  return summary.complete() ? 0 : 1;
}
