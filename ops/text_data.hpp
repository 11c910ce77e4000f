// text_data: text inputs for a BERT. A text file is one text a line; a data
// set is a TSV file of text<TAB>label lines. Both must be UTF-8: a bad byte is
// an error naming the file, the line and the byte. Encoded batches are what
// a BERT's planner layer 1 takes (ops/activation.hpp): token ids and the
// attention mask, both float [B, S].
#pragma once

#include <string>
#include <vector>

#include "base/expected.hpp"
#include "ops/tensor.hpp"
#include "ops/wordpiece.hpp"

namespace edgepipe::ops {

// The lines of PATH without their "\n" (and "\r" before it); a last line
// without "\n" counts, the empty string after a final "\n" does not. Empty
// lines are texts too (they encode as [CLS] [SEP]).
expected<std::vector<std::string>> read_text_lines(const std::string& path);

struct labeled_texts {
  std::vector<std::string> texts;
  std::vector<int> labels;
};

// text<TAB>label lines (the label after the last TAB): a label is a name of
// `label_names` (config.json's id2label in id order) or its number. Errors
// name FILE:LINE (no TAB, unknown label, invalid UTF-8). limit > 0 keeps
// only the first `limit` lines.
expected<labeled_texts> read_labeled_tsv(const std::string& path,
                                         const std::vector<std::string>& label_names,
                                         int64_t limit = 0);

struct text_batch {
  tensor ids;  // [B, S] token ids as float
  tensor mask; // [B, S] 1 = token, 0 = padding
};

// texts[first, first + count) encoded at sequence length `length`.
expected<text_batch> encode_texts(const wordpiece_tokenizer& tok,
                                  const std::vector<std::string>& texts, size_t first, size_t count,
                                  int length);

} // namespace edgepipe::ops
