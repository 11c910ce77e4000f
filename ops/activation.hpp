// activation: the value that flows between two planner layers, and so between
// two pipeline stages. Most boundaries carry one tensor; a boundary inside a
// residual block (after planner layer 4k+1 or 4k+3) also carries the residual
// input that the next layer adds back: `skip`.
//
//   boundary after layer   main                     skip
//   (input to layer 1)     images [B, C, H, W]      -
//   4k+1 (LN + attention)  attention context [B,T,D]  residual stream [B,T,D]
//   4k+2 (out proj + add)  residual stream [B,T,D]  -
//   4k+3 (LN + fc1 + GELU) fc1 output [B,T,I]       residual stream [B,T,D]
//   4k+4 (fc2 + add)       residual stream [B,T,D]  -
//   4L (last: LN + head)   logits [B, labels]       -
//
// `mask` is for models whose input has padding (BERT): the attention mask
// [B, S] travels beside the hidden states across every boundary, and is never
// quantized on a link. Image models leave it empty.
#pragma once

#include "ops/tensor.hpp"

namespace edgepipe::ops {

struct activation {
  tensor main;
  tensor skip; // empty unless the boundary splits a residual block
  tensor mask; // empty unless the model masks padding (sent raw, never quantized)

  bool has_skip() const { return !skip.empty(); }
};

} // namespace edgepipe::ops
