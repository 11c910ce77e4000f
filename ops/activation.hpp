// activation: the value that flows between two planner layers, and so between
// two pipeline stages. Most boundaries carry one tensor; a boundary inside a
// residual block (after planner layer 4k+1 or 4k+3) also carries the residual
// input that the next layer adds back: `skip`. BERT's boundaries also carry
// the attention mask: `mask`. T = tokens (ViT: patches + 1, DeiT: patches + 2,
// BERT: the batch's sequence length S); D = hidden size, I = intermediate size.
//
//   boundary after layer   main                        skip                    mask (BERT)
//   (input to layer 1)     ViT/DeiT: images [B,C,H,W]  -                       -
//                          BERT: token ids [B, S]      token type ids [B, S]   [B, S] or empty
//                          (whole numbers as float)    or empty (all 0)        (empty: no padding)
//   4k+1 (attention)       attention context [B,T,D]   residual stream [B,T,D] [B, S]
//   4k+2 (out proj + add)  residual stream [B,T,D]     -                       [B, S]
//   4k+3 (fc1 + GELU)      fc1 output [B,T,I]          residual stream [B,T,D] [B, S]
//   4k+4 (fc2 + add)       residual stream [B,T,D]     -                       [B, S]
//   4L (last: the head)    logits [B, labels]          -                       -
//                          (a BertModel: pooled output [B, D])
//
// mask: 1.0 = a real token, 0.0 = padding (Hugging Face's attention_mask), as
// float. Padded keys get no attention weight; padded positions are still
// computed (as in Hugging Face). Every BERT boundary after layer 1 must carry
// it (a stage refuses an activation without it); it is never quantized on a
// link (it is exact 0/1 and B*S floats, small beside B*S*D). ViT and DeiT
// leave it empty and refuse one.
#pragma once

#include "ops/tensor.hpp"

namespace edgepipe::ops {

struct activation {
  tensor main;
  tensor skip; // empty unless the boundary splits a residual block (or: BERT token types)
  tensor mask; // BERT's attention mask [B, S]; empty for ViT and DeiT

  bool has_skip() const { return !skip.empty(); }
  bool has_mask() const { return !mask.empty(); }
};

} // namespace edgepipe::ops
