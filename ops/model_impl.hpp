// model::impl: what a model owns (inside ops/ only): the weights of its layer
// range and one plan per (batch size, token count) recently used (the least
// recently used goes first: a stage fed many sizes keeps its memory bounded).
// model.cpp builds and runs it; model_boundary.cpp moves activations in and
// out of a plan.
#pragma once

#include <map>
#include <memory>
#include <utility>

#include "ops/model.hpp"
#include "ops/vit_plan.hpp"

namespace edgepipe::ops {

struct model::impl {
  model_config cfg;
  model_options opts;
  dnnl_context dnnl;
  vit_params params;
  struct cached_plan {
    std::unique_ptr<vit_plan> plan;
    uint64_t last_used = 0;
  };
  std::map<std::pair<int64_t, int64_t>, cached_plan> plans; // by (B, T)
  uint64_t uses = 0;
  site_observer observer;

  expected<vit_plan*> plan_for(int64_t batch, int64_t tokens);
  std::optional<float> s8_main_step(int layer) const; // model::s8_main_step
  // Checks src's shapes against what layer `first` takes, for any batch up
  // to opts.max_batch, before any plan is made for them.
  expected<void> check_input(int first, const activation& src) const;
  // The token count of `src`, the input of layer `first` (checked in import).
  expected<int64_t> tokens_of(int first, const activation& src) const;
  // Checks src against what layer `first` takes and copies it into the plan.
  expected<void> import(vit_plan& plan, int first, const activation& src);
  // The boundary after `last`; s8: main as the s8 codes (model::s8_main_step).
  activation export_(vit_plan& plan, int last, const activation& src, bool s8 = false);
};

} // namespace edgepipe::ops
