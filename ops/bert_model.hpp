// bert_model: how a BERT is fed. BERT runs as ops::model (model.hpp) like
// every family; this header states its input format, for the tokenizer and
// anyone building BERT inputs by hand, and builds that input from token ids.
//
// The input of planner layer 1 (an ops::activation, activation.hpp):
//   main  token ids [B, S], float32 holding whole numbers 0 .. vocab_size-1
//         (exact in float up to 2^24). Row b is [CLS] ... [SEP] then padding.
//   skip  token type (segment) ids [B, S], whole numbers 0 .. type_vocab_size-1;
//         empty = all 0 (one segment).
//   mask  attention mask [B, S]: 1.0 for a real token, 0.0 for padding
//         (Hugging Face's attention_mask); empty = no padding.
// S is the batch's sequence length, 1 .. max_position_embeddings; the model
// makes primitives per (B, S), so pad every batch to one length. Padded
// positions may hold any valid id (conventionally [PAD] = 0).
//
// Every later boundary carries the mask unchanged beside the hidden states
// (layer 1 adds an all-ones one when it got none); it is never quantized.
// The last layer gives logits [B, num_labels] for BertForSequenceClassification,
// the pooled output [B, hidden_size] (tanh(dense(first token))) for BertModel.
#pragma once

#include <cstdint>
#include <vector>

#include "base/expected.hpp"
#include "ops/activation.hpp"
#include "ops/model_config.hpp"

namespace edgepipe::ops {

// Sentences of token ids (already [CLS] ... [SEP], already truncated) -> the
// input of layer 1, padded with `pad_id` to `length` (0: the longest
// sentence). types: per sentence, per token (empty: all 0). Errors: a sentence
// longer than `length` or empty, types of another length than their sentence,
// an id or type outside cfg's tables, length > max_position_embeddings.
expected<activation> text_input(const model_config& cfg,
                                const std::vector<std::vector<int32_t>>& ids, int64_t length = 0,
                                const std::vector<std::vector<int32_t>>& types = {},
                                int32_t pad_id = 0);

} // namespace edgepipe::ops
