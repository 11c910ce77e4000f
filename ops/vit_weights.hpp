// The per-layer weight lists of every family are in ops/model_weights.hpp.
#pragma once

#include "ops/model_weights.hpp"
