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
//
// An int8 model (ViT/DeiT) quantizes main at the two mid-block boundaries
// anyway: after 4k+1 the context becomes s8 with block k's out_in step before
// the output projection, after 4k+3 fc1 writes s8 with its fc2_in step. There
// main may travel in that form instead (`main_s8`, forward's main_form::s8):
// the receiving int8 stage feeds the codes to its matmul as they are, so the
// split model quantizes exactly where the whole one does.
#pragma once

#include <cstdint>
#include <vector>

#include "ops/tensor.hpp"

namespace edgepipe::ops {

// An s8 tensor with one step for all of it: element i is data[i] * step.
struct s8_tensor {
  std::vector<int64_t> shape;
  std::vector<int8_t> data;
  float step = 0;

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
  bool empty() const { return shape.empty(); }
  // The f32 values (element * step, as the int8 model's own dequantization).
  tensor dequantized() const {
    tensor t;
    t.shape = shape;
    t.data.resize(data.size());
    for (size_t i = 0; i < data.size(); ++i) t.data[i] = float(data[i]) * step;
    return t;
  }
};

struct activation {
  tensor main;
  tensor skip; // empty unless the boundary splits a residual block (or: BERT token types)
  tensor mask; // BERT's attention mask [B, S]; empty for ViT and DeiT
  // main as s8 codes (then `main` is empty): only after 4k+1 or 4k+3 of an
  // int8 model, with the step of the site that takes it (out_in, fc2_in).
  s8_tensor main_s8;

  bool has_skip() const { return !skip.empty(); }
  bool has_mask() const { return !mask.empty(); }
  bool has_main_s8() const { return !main_s8.empty(); }
  // The shape of main in whichever form it is.
  const std::vector<int64_t>& main_shape() const {
    return has_main_s8() ? main_s8.shape : main.shape;
  }
};

} // namespace edgepipe::ops
