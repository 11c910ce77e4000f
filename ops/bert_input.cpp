// text_input: token ids per sentence -> BERT's layer-1 activation (bert_model.hpp).
#include <algorithm>

#include "ops/bert_model.hpp"

namespace edgepipe::ops {

expected<activation> text_input(const model_config& cfg,
                                const std::vector<std::vector<int32_t>>& ids, int64_t length,
                                const std::vector<std::vector<int32_t>>& types, int32_t pad_id) {
  if (!cfg.is_text())
    return make_error(errc::invalid_argument, std::string("text_input: a ") +
                                                  to_string(cfg.family) + " model takes images");
  if (ids.empty()) return make_error(errc::invalid_input, "text_input: no sentences");
  if (!types.empty() && types.size() != ids.size())
    return make_error(errc::invalid_input, "text_input: " + std::to_string(types.size()) +
                                               " type rows for " + std::to_string(ids.size()) +
                                               " sentences");
  int64_t longest = 0;
  for (const auto& s : ids) longest = std::max<int64_t>(longest, static_cast<int64_t>(s.size()));
  if (length == 0) length = longest;
  if (length > cfg.max_position_embeddings)
    return make_error(errc::invalid_input, "text_input: length " + std::to_string(length) +
                                               " exceeds max_position_embeddings " +
                                               std::to_string(cfg.max_position_embeddings));
  if (pad_id < 0 || pad_id >= cfg.vocab_size)
    return make_error(errc::invalid_input,
                      "text_input: pad id " + std::to_string(pad_id) + " is not in the vocabulary");
  const int64_t b = static_cast<int64_t>(ids.size());
  activation a;
  a.main = tensor::zeros({b, length});
  a.mask = tensor::zeros({b, length});
  if (!types.empty()) a.skip = tensor::zeros({b, length});
  for (int64_t i = 0; i < b; ++i) {
    const auto& s = ids[i];
    const std::string where = "text_input: sentence " + std::to_string(i);
    if (s.empty() || static_cast<int64_t>(s.size()) > length)
      return make_error(errc::invalid_input, where + " has " + std::to_string(s.size()) +
                                                 " tokens, expected 1.." + std::to_string(length));
    if (!types.empty() && types[i].size() != s.size())
      return make_error(errc::invalid_input, where + " has " + std::to_string(s.size()) +
                                                 " tokens but " + std::to_string(types[i].size()) +
                                                 " token types");
    for (int64_t j = 0; j < length; ++j) {
      const bool real = j < static_cast<int64_t>(s.size());
      const int32_t id = real ? s[j] : pad_id;
      if (id < 0 || id >= cfg.vocab_size)
        return make_error(errc::invalid_input, where + ": token id " + std::to_string(id) +
                                                   " is outside 0.." +
                                                   std::to_string(cfg.vocab_size - 1));
      a.main.data[i * length + j] = static_cast<float>(id);
      a.mask.data[i * length + j] = real ? 1.0f : 0.0f;
      if (types.empty()) continue;
      const int32_t type = real ? types[i][j] : 0;
      if (type < 0 || type >= cfg.type_vocab_size)
        return make_error(errc::invalid_input, where + ": token type " + std::to_string(type) +
                                                   " is outside 0.." +
                                                   std::to_string(cfg.type_vocab_size - 1));
      a.skip.data[i * length + j] = static_cast<float>(type);
    }
  }
  return a;
}

} // namespace edgepipe::ops
