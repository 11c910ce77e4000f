// Text files for a BERT: read whole, split into lines, checked as UTF-8 line
// by line so an error can say where the bad byte is.
#include "ops/text_data.hpp"

#include <fstream>
#include <sstream>

#include "ops/unicode_text.hpp"

namespace edgepipe::ops {
namespace {

expected<std::vector<std::string>> read_lines_checked(const std::string& path, int64_t limit) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return make_error(errc::not_found, path + ": cannot open");
  std::ostringstream s;
  s << f.rdbuf();
  const std::string all = s.str();
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < all.size() && (limit <= 0 || static_cast<int64_t>(lines.size()) < limit)) {
    size_t end = all.find('\n', start);
    if (end == std::string::npos) end = all.size();
    std::string line = all.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (auto u = decode_utf8(line); !u)
      return make_error(errc::invalid_input, path + ":" + std::to_string(lines.size() + 1) + ": " +
                                                 u.error().message + " of the line");
    lines.push_back(std::move(line));
    start = end + 1;
  }
  return lines;
}

} // namespace

expected<std::vector<std::string>> read_text_lines(const std::string& path) {
  return read_lines_checked(path, 0);
}

expected<labeled_texts> read_labeled_tsv(const std::string& path,
                                         const std::vector<std::string>& label_names,
                                         int64_t limit) {
  auto lines = read_lines_checked(path, limit);
  if (!lines) return lines.error();
  labeled_texts out;
  for (size_t i = 0; i < lines->size(); ++i) {
    const std::string& line = (*lines)[i];
    const std::string where = path + ":" + std::to_string(i + 1) + ": ";
    const size_t tab = line.rfind('\t');
    if (tab == std::string::npos)
      return make_error(errc::invalid_input, where + "expected text<TAB>label, found no TAB");
    const std::string label = line.substr(tab + 1);
    int id = -1;
    for (size_t k = 0; k < label_names.size(); ++k)
      if (label_names[k] == label) id = static_cast<int>(k);
    if (id < 0 && !label.empty() && label.find_first_not_of("0123456789") == std::string::npos &&
        label.size() < 9 && std::stoi(label) < static_cast<int>(label_names.size()))
      id = std::stoi(label);
    if (id < 0) {
      std::string known;
      for (const auto& n : label_names) known += (known.empty() ? "" : ", ") + n;
      return make_error(errc::invalid_input, where + "label '" + label +
                                                 "' is not one of the model's labels (" + known +
                                                 ") or their numbers");
    }
    out.texts.push_back(line.substr(0, tab));
    out.labels.push_back(id);
  }
  return out;
}

expected<text_batch> encode_texts(const wordpiece_tokenizer& tok,
                                  const std::vector<std::string>& texts, size_t first, size_t count,
                                  int length) {
  if (first + count > texts.size())
    return make_error(errc::invalid_argument, "texts " + std::to_string(first) + ".." +
                                                  std::to_string(first + count) + " of " +
                                                  std::to_string(texts.size()));
  const auto b = static_cast<int64_t>(count);
  text_batch batch{tensor::zeros({b, length}), tensor::zeros({b, length})};
  for (size_t i = 0; i < count; ++i) {
    auto e = tok.encode(texts[first + i], length);
    if (!e)
      return make_error(e.error().code,
                        "text " + std::to_string(first + i + 1) + ": " + e.error().message);
    for (int j = 0; j < length; ++j) {
      batch.ids.data[i * length + j] = static_cast<float>(e->ids[j]);
      batch.mask.data[i * length + j] = static_cast<float>(e->mask[j]);
    }
  }
  return batch;
}

} // namespace edgepipe::ops
