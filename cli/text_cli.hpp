// text_cli: the text side of `edgepipe infer` and `edgepipe eval` for a BERT
// model directory: tokenize with the directory's vocab.txt, run the model in
// microbatches (optionally split at cuts, the hidden states crossing each
// link through the wire codec and the attention mask beside them, exact).
#pragma once

#include <cstdint>
#include <string>

#include "cli/args.hpp"
#include "cli/split_forward.hpp"
#include "ops/model.hpp"
#include "ops/text_data.hpp"
#include "ops/wordpiece.hpp"

namespace edgepipe::cli {

// The sequence length texts are padded and truncated to: `requested` if > 0,
// else tokenizer_config.json's model_max_length, else config.json's
// max_position_embeddings. Error: longer than max_position_embeddings.
expected<int> text_sequence_length(const ops::wordpiece_tokenizer& tok,
                                   const ops::model_config& cfg, int64_t requested);

// Layers 1..L of a BERT on one encoded batch, crossing a link after each cut
// (main and skip tensors quantized as `params` says; the mask never is, and
// counts in `traffic` as float32).
expected<ops::tensor> forward_text_with_cuts(ops::model& model, const ops::text_batch& batch,
                                             const cut_list& cuts,
                                             const codecs::quant_params& params,
                                             link_traffic* traffic = nullptr);

// `edgepipe infer --model DIR --text FILE`: one line per text on stdout,
// "<label>\t<probability>", and the logits [N, labels] as .npy when
// --output is given.
int infer_text(const args& a, const ops::model_options& opts);

// `edgepipe eval --model DIR --data FILE.tsv`: top-1 accuracy on text<TAB>label
// lines, in microbatches, split at `cuts` with the codec `q`; prints the same
// summary (and --json object) as the image eval.
int eval_text(const args& a, const ops::model_options& opts, const cut_list& cuts,
              const codecs::quant_params& q, int64_t limit, int64_t microbatch);

} // namespace edgepipe::cli
