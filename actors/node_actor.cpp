#include "actors/node_actor.hpp"

#include <chrono>
#include <cstdio>
#include <map>
#include <set>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/control_messages.hpp"
#include "actors/errors.hpp"
#include "actors/stage_actor.hpp"
#include "actors/stage_source.hpp"
#include "base/path.hpp"
#include "config/thread_warnings.hpp"
#include "ops/layer_profiler.hpp"
#include "ops/vit_model.hpp"

namespace edgepipe::actors {

namespace {

// Loading a large model's layers from disk can take a while.
constexpr auto load_timeout = std::chrono::minutes(10);
// Identical transformer blocks after the first few are not timed again
// (ops::profile_layers copies them): ViT-Large is profiled in 5 blocks of 24.
constexpr int profiled_blocks = 4;
// Sustained timing (ops/layer_profiler.hpp): each layer computes back to back
// this long, so load from outside the pipeline is in the node's times.
constexpr double profile_sustain_s = 0.05;

struct node_state {
  node_info info;
  model_roots roots;
  std::map<caf::actor_addr, stage_actor> stages;       // live stages
  std::map<caf::actor_addr, caf::actor_addr> owner_of; // stage -> deployer
  std::set<caf::actor_addr> owners;                    // monitored deployers
  std::set<int> warned_threads; // thread counts already warned about (once each)
  static inline const char* name = "edgepipe.node";
};

using node_ptr = node_actor::stateful_pointer<node_state>;

// The spec with its model directory checked against the node's roots; the
// cause of a refusal stays in this node's log.
expected<stage_spec> check_served(node_ptr self, const stage_spec& spec, const char* what) {
  std::string why;
  auto served = served_spec(self->state.roots, spec, why);
  if (!served)
    std::fprintf(stderr, "edgepipe node %s: refused %s of model '%s': %s\n",
                 self->state.info.name.c_str(), what, printable_path(spec.model_dir).c_str(),
                 why.c_str());
  return served;
}

// A stage with more threads than this machine's cores runs time-sliced:
// allowed, but said once on the node's stderr (the run cannot see our cores).
void warn_threads(node_ptr self, int threads) {
  int cores = config::cores_here();
  if (threads > cores && self->state.warned_threads.insert(threads).second)
    std::fprintf(stderr, "edgepipe node: warning: %s\n",
                 config::thread_warning(self->state.info.name, threads, cores).c_str());
}

// Blocking work (loading weights, profiling) runs on a detached helper, so
// the node keeps answering while it runs.
using loader_actor = caf::typed_actor<caf::replies_to<deploy_request>::with<stage_actor>,
                                      caf::replies_to<profile_request>::with<layer_times>>;

loader_actor::behavior_type loader_impl(loader_actor::pointer self) {
  return {
      [=](deploy_request& req) -> caf::result<stage_actor> {
        self->quit();
        auto stage = spawn_stage(self->system(), req.spec, req.epoch, req.stage);
        if (!stage) return to_caf_error(stage.error());
        return *stage;
      },
      [=](profile_request& req) -> caf::result<layer_times> {
        self->quit();
        auto times = profile_layers(req.spec, req.microbatch);
        if (!times) return to_caf_error(times.error());
        return layer_times{std::move(*times)};
      },
  };
}

void retire(node_ptr self, const caf::actor_addr& addr) {
  auto& st = self->state;
  auto it = st.stages.find(addr);
  if (it == st.stages.end()) return;
  self->send_exit(it->second, caf::exit_reason::user_shutdown);
  st.stages.erase(it);
  st.owner_of.erase(addr);
}

node_actor::behavior_type node_impl(node_ptr self, node_info info, model_roots roots) {
  self->state.info = info;
  self->state.roots = std::move(roots);
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
  // Whatever ends the node ends its stages; the state is still alive here.
  self->set_exit_handler([=](caf::exit_msg& em) {
    for (auto& [addr, stage] : self->state.stages)
      self->send_exit(stage, caf::exit_reason::user_shutdown);
    self->state.stages.clear();
    self->quit(em.reason);
  });
  return {
      [=](get_node_info) {
        node_info out = self->state.info;
        out.stages = static_cast<int32_t>(self->state.stages.size());
        return out;
      },
      [=](deploy_request& req) -> caf::result<stage_actor> {
        auto rp = self->make_response_promise<stage_actor>();
        caf::actor_addr owner = caf::actor_cast<caf::actor_addr>(self->current_sender());
        if (req.spec.threads < 1) req.spec.threads = self->state.info.threads;
        auto served = check_served(self, req.spec, "a deployment");
        if (!served) {
          rp.deliver(to_caf_error(served.error()));
          return rp;
        }
        req.spec = std::move(*served);
        warn_threads(self, req.spec.threads);
        if (auto fits = check_stage_fits(req.spec, self->state.info.memory_mb); !fits) {
          rp.deliver(to_caf_error(fits.error()));
          return rp;
        }
        auto loader = self->spawn<caf::detached>(loader_impl);
        self->request(loader, load_timeout, req)
            .then(
                [=](stage_actor& stage) mutable {
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
      [=](profile_request& req) -> caf::result<layer_times> {
        auto rp = self->make_response_promise<layer_times>();
        if (req.spec.threads < 1) req.spec.threads = self->state.info.threads;
        auto served = check_served(self, req.spec, "a profile");
        if (!served) {
          rp.deliver(to_caf_error(served.error()));
          return rp;
        }
        req.spec = std::move(*served);
        warn_threads(self, req.spec.threads);
        auto loader = self->spawn<caf::detached>(loader_impl);
        self->request(loader, load_timeout, req)
            .then([=](layer_times& times) mutable { rp.deliver(std::move(times)); },
                  [=](caf::error& err) mutable { rp.deliver(err); });
        return rp;
      },
      [=](retire_request& req) {
        retire(self, req.stage.address());
        return caf::ok_atom::value;
      },
      [=](set_node_name& n) { self->state.info.name = std::move(n.name); },
      [=](shutdown_request) {
        for (auto& [addr, stage] : self->state.stages)
          self->send_exit(stage, caf::exit_reason::user_shutdown);
        self->state.stages.clear();
        self->quit();
      },
  };
}

} // namespace

node_actor spawn_node(caf::actor_system& sys, const node_info& info, model_roots roots) {
  return sys.spawn(node_impl, info, std::move(roots));
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
  opts.sustain_s = profile_sustain_s;
  auto profile = ops::profile_layers(*source, opts);
  if (!profile) return profile.error();
  return std::move(profile->time_s);
}

} // namespace edgepipe::actors
