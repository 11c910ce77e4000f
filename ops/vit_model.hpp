// vit_model: the name the ViT code has always used; the model of every family
// is ops::model (ops/model.hpp).
#pragma once

#include "ops/model.hpp"
#include "ops/vit_config.hpp"

namespace edgepipe::ops {

using vit_model = model;

} // namespace edgepipe::ops
