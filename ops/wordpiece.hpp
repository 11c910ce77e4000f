// wordpiece: BERT's tokenizer, as Hugging Face's (slow) BertTokenizer runs it,
// reading a model directory's vocab.txt and tokenizer_config.json.
//
// tokenize(text):
//   1. split the text at the special tokens ([PAD] [UNK] [CLS] [SEP] [MASK],
//      matched exactly) which pass through whole;
//   2. lower_case: lower every other character on its own;
//   3. basic tokenizer on each other piece: drop NUL, U+FFFD and control
//      characters, whitespace -> space, spaces around CJK ideographs, NFC,
//      split on Python whitespace; per word: lower-case, strip accents (NFD,
//      drop Mn) if configured, split off every punctuation character;
//   4. WordPiece on each word: greedy longest match first from the left,
//      continuations prefixed "##"; a word longer than 100 characters, or
//      with a piece not in the vocabulary, becomes [UNK] as a whole.
// encode(text, length): [CLS] tokens [SEP], tokens truncated to length - 2,
//   then [PAD] up to length; the attention mask is 1 on the real tokens.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/expected.hpp"

namespace edgepipe::ops {

// Hugging Face's strip_accents: null follows do_lower_case, true/false force it.
enum class accent_stripping { follow_lower_case, strip, keep };

struct wordpiece_options {
  bool lower_case = true; // do_lower_case
  accent_stripping strip_accents = accent_stripping::follow_lower_case;
  bool split_cjk = true; // tokenize_chinese_chars
  int max_chars_per_word = 100;
  int model_max_length = 0; // tokenizer_config.json's sequence length; 0 = not given
};

// One text as the model takes it: `length` ids and mask values.
struct encoded_text {
  std::vector<int32_t> ids;
  std::vector<int32_t> mask; // 1 = token, 0 = padding
};

class wordpiece_tokenizer {
public:
  // DIR/vocab.txt (one token a line, id = line number from 0) and, if present,
  // DIR/tokenizer_config.json (do_lower_case, strip_accents,
  // tokenize_chinese_chars, model_max_length; Hugging Face's defaults otherwise).
  static expected<wordpiece_tokenizer> load(const std::string& model_dir);
  // From tokens in id order. Errors: [UNK], [CLS], [SEP] or [PAD] missing.
  static expected<wordpiece_tokenizer> create(std::vector<std::string> vocab,
                                              const wordpiece_options& options);

  // The tokens of UTF-8 text. Error: invalid UTF-8 (naming the byte offset).
  expected<std::vector<std::string>> tokenize(std::string_view text) const;
  // The ids of tokens (ids of [UNK] for unknown ones).
  std::vector<int32_t> to_ids(const std::vector<std::string>& tokens) const;
  // [CLS] ... [SEP] [PAD]..., `length` >= 2 ids.
  expected<encoded_text> encode(std::string_view text, int length) const;

  const wordpiece_options& options() const { return options_; }
  size_t vocab_size() const { return vocab_.size(); }
  int32_t id_of(const std::string& token) const; // -1 if absent

private:
  void basic_split(std::u32string_view piece, std::vector<std::u32string>& words) const;
  void wordpiece(const std::u32string& word, std::vector<std::string>& out) const;

  std::vector<std::string> tokens_; // by id
  std::unordered_map<std::u32string, int32_t> vocab_;
  wordpiece_options options_;
  int32_t unk_ = -1, cls_ = -1, sep_ = -1, pad_ = -1;
};

} // namespace edgepipe::ops
