#include "actors/node_actor.hpp"

#include <chrono>
#include <map>
#include <set>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/errors.hpp"
#include "actors/messages.hpp"
#include "actors/stage_actor.hpp"
#include "actors/stage_source.hpp"
#include "ops/layer_profiler.hpp"
#include "ops/vit_model.hpp"

namespace edgepipe::actors {

namespace {

// Loading a large model's layers from disk can take a while.
constexpr auto load_timeout = std::chrono::minutes(10);

struct node_state {
  node_info info;
  std::map<caf::actor_addr, caf::actor> stages;        // live stages
  std::map<caf::actor_addr, caf::actor_addr> owner_of; // stage -> deployer
  std::set<caf::actor_addr> owners;                    // monitored deployers
  static inline const char* name = "edgepipe.node";
};

using node_actor_t = caf::stateful_actor<node_state>;

// Loads a stage on its own thread and answers with the stage (or the error).
caf::behavior loader_actor(caf::event_based_actor* self) {
  return {
      [=](deploy_atom, const stage_spec& spec) -> caf::result<caf::actor> {
        self->quit();
        auto stage = spawn_stage(self->system(), spec);
        if (!stage) return to_caf_error(stage.error());
        return *stage;
      },
  };
}

// Identical transformer blocks after the first few are not timed again
// (ops::profile_layers copies them): ViT-Large is profiled in 5 blocks of 24.
constexpr int profiled_blocks = 4;

// Profiles on its own thread (one block of the model at a time).
caf::behavior profiler_actor(caf::event_based_actor* self) {
  return {
      [=](profile_atom, const stage_spec& spec,
          int32_t microbatch) -> caf::result<std::vector<double>> {
        self->quit();
        auto times = profile_layers(spec, microbatch);
        if (!times) return to_caf_error(times.error());
        return *times;
      },
  };
}

void retire(node_actor_t* self, const caf::actor_addr& addr) {
  auto& st = self->state;
  auto it = st.stages.find(addr);
  if (it == st.stages.end()) return;
  self->send_exit(it->second, caf::exit_reason::user_shutdown);
  st.stages.erase(it);
  st.owner_of.erase(addr);
}

caf::behavior node_actor(node_actor_t* self, node_info info) {
  self->state.info = info;
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    if (st.owners.count(dm.source)) {
      // The deployer is gone: nobody will retire its stages.
      st.owners.erase(dm.source);
      std::vector<caf::actor_addr> orphans;
      for (auto& [stage, owner] : st.owner_of)
        if (owner == dm.source) orphans.push_back(stage);
      for (auto& s : orphans) retire(self, s);
      return;
    }
    st.stages.erase(dm.source);
    st.owner_of.erase(dm.source);
  });
  self->attach_functor([=](const caf::error&) {
    for (auto& [addr, stage] : self->state.stages)
      caf::anon_send_exit(stage, caf::exit_reason::user_shutdown);
  });
  return {
      [=](info_atom) {
        node_info out = self->state.info;
        out.stages = static_cast<int32_t>(self->state.stages.size());
        return out;
      },
      [=](deploy_atom, stage_spec& spec) -> caf::result<caf::actor> {
        auto rp = self->make_response_promise<caf::actor>();
        caf::actor_addr owner = caf::actor_cast<caf::actor_addr>(self->current_sender());
        if (spec.threads < 1) spec.threads = self->state.info.threads;
        if (auto fits = check_stage_fits(spec, self->state.info.memory_mb); !fits) {
          rp.deliver(to_caf_error(fits.error()));
          return rp;
        }
        auto loader = self->spawn<caf::detached>(loader_actor);
        self->request(loader, load_timeout, deploy_atom::value, spec)
            .then(
                [=](caf::actor& stage) mutable {
                  auto& st = self->state;
                  self->monitor(stage);
                  st.stages.emplace(stage.address(), stage);
                  if (owner) {
                    st.owner_of.emplace(stage.address(), owner);
                    if (st.owners.insert(owner).second) self->monitor(owner);
                  }
                  rp.deliver(stage);
                },
                [=](caf::error& err) mutable { rp.deliver(err); });
        return rp;
      },
      [=](profile_atom, stage_spec& spec, int32_t microbatch) -> caf::result<std::vector<double>> {
        auto rp = self->make_response_promise<std::vector<double>>();
        if (spec.threads < 1) spec.threads = self->state.info.threads;
        auto profiler = self->spawn<caf::detached>(profiler_actor);
        self->request(profiler, load_timeout, profile_atom::value, spec, microbatch)
            .then([=](std::vector<double>& times) mutable { rp.deliver(std::move(times)); },
                  [=](caf::error& err) mutable { rp.deliver(err); });
        return rp;
      },
      [=](retire_atom, caf::actor& stage) {
        retire(self, stage.address());
        return caf::ok_atom::value;
      },
      [=](caf::put_atom, std::string& name) { self->state.info.name = std::move(name); },
      [=](shutdown_atom) { self->quit(); },
  };
}

} // namespace

caf::actor spawn_node(caf::actor_system& sys, const node_info& info) {
  return sys.spawn(node_actor, info);
}

expected<std::vector<double>> profile_layers(const stage_spec& spec, int microbatch) {
  auto source = stage_model_source(spec);
  if (!source) return source.error();
  auto dt = ops::parse_dtype(spec.dtype);
  if (!dt) return dt.error();
  ops::profile_options opts;
  opts.microbatch = microbatch < 1 ? 1 : microbatch;
  opts.threads = spec.threads < 1 ? 1 : spec.threads;
  opts.compute = *dt;
  opts.measured_blocks = profiled_blocks;
  auto profile = ops::profile_layers(*source, opts);
  if (!profile) return profile.error();
  return std::move(profile->time_s);
}

} // namespace edgepipe::actors
