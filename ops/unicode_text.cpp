// Unicode operations over the generated tables: binary searches, Hangul by
// formula (Unicode ch. 3.12), NFD/NFC by the algorithm of UAX #15
// (decompose, reorder marks by combining class, recompose unblocked pairs).
#include "ops/unicode_text.hpp"

#include <algorithm>

#include "ops/unicode_tables.hpp"

namespace edgepipe::ops {
namespace {

namespace ut = unicode_tables;

uint8_t range_value(const ut::cp_range* ranges, size_t count, char32_t c) {
  const ut::cp_range* end = ranges + count;
  const ut::cp_range* it = std::upper_bound(
      ranges, end, c, [](char32_t v, const ut::cp_range& r) { return v < r.first; });
  if (it == ranges) return 0;
  --it;
  return c <= it->last ? it->value : 0;
}

uint8_t class_flags(char32_t c) {
  return range_value(ut::class_ranges, ut::class_ranges_count, c);
}
uint8_t combining_class(char32_t c) {
  return range_value(ut::combining_ranges, ut::combining_ranges_count, c);
}

// Hangul syllables: S = 0xAC00 + (L * 21 + V) * 28 + T.
constexpr char32_t s_base = 0xAC00, l_base = 0x1100, v_base = 0x1161, t_base = 0x11A7;
constexpr int l_count = 19, v_count = 21, t_count = 28, n_count = v_count * t_count;
constexpr int s_count = l_count * n_count;

void append_decomposition(char32_t c, std::u32string& out) {
  if (c >= s_base && c < s_base + s_count) {
    int s = static_cast<int>(c - s_base);
    out.push_back(l_base + s / n_count);
    out.push_back(v_base + (s % n_count) / t_count);
    if (s % t_count != 0) out.push_back(t_base + s % t_count);
    return;
  }
  const ut::cp_decomposition* end = ut::decompositions + ut::decompositions_count;
  const ut::cp_decomposition* it =
      std::lower_bound(ut::decompositions, end, c,
                       [](const ut::cp_decomposition& d, char32_t v) { return d.cp < v; });
  if (it != end && it->cp == c) {
    out.append(it->to, it->to + it->count);
  } else {
    out.push_back(c);
  }
}

// The primary composite of a + b, or 0.
char32_t compose_pair(char32_t a, char32_t b) {
  if (a >= l_base && a < l_base + l_count && b >= v_base && b < v_base + v_count)
    return s_base + ((a - l_base) * v_count + (b - v_base)) * t_count;
  if (a >= s_base && a < s_base + s_count && (a - s_base) % t_count == 0 && b > t_base &&
      b < t_base + t_count)
    return a + (b - t_base);
  const ut::cp_composition* end = ut::compositions + ut::compositions_count;
  const ut::cp_composition* it = std::lower_bound(
      ut::compositions, end, std::make_pair(a, b), [](const ut::cp_composition& p, auto key) {
        return p.first != key.first ? p.first < key.first : p.second < key.second;
      });
  return (it != end && it->first == a && it->second == b) ? it->composite : 0;
}

} // namespace

expected<std::u32string> decode_utf8(std::string_view bytes) {
  std::u32string out;
  out.reserve(bytes.size());
  size_t i = 0;
  while (i < bytes.size()) {
    const auto b0 = static_cast<unsigned char>(bytes[i]);
    int extra = 0;
    char32_t c = 0, min = 0;
    if (b0 < 0x80) {
      out.push_back(b0);
      ++i;
      continue;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
      extra = 1, c = b0 & 0x1F, min = 0x80;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      extra = 2, c = b0 & 0x0F, min = 0x800;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      extra = 3, c = b0 & 0x07, min = 0x10000;
    } else {
      return make_error(errc::invalid_input, "invalid UTF-8 at byte " + std::to_string(i));
    }
    for (int k = 1; k <= extra; ++k) {
      if (i + k >= bytes.size() || (static_cast<unsigned char>(bytes[i + k]) & 0xC0) != 0x80)
        return make_error(errc::invalid_input,
                          "invalid UTF-8 at byte " + std::to_string(i) + " (truncated sequence)");
      c = (c << 6) | (static_cast<unsigned char>(bytes[i + k]) & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
      return make_error(errc::invalid_input,
                        "invalid UTF-8 at byte " + std::to_string(i) +
                            (c < min ? " (overlong form)" : " (not a Unicode scalar value)"));
    out.push_back(c);
    i += extra + 1;
  }
  return out;
}

std::string encode_utf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (c >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (c >> 18)));
      out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

bool is_bert_control(char32_t c) {
  return (class_flags(c) & ut::flag_control) != 0;
}
bool is_bert_whitespace(char32_t c) {
  return (class_flags(c) & ut::flag_whitespace) != 0;
}
bool is_bert_punctuation(char32_t c) {
  return (class_flags(c) & ut::flag_punct) != 0;
}
bool is_nonspacing_mark(char32_t c) {
  return (class_flags(c) & ut::flag_nonspacing) != 0;
}
bool is_python_space(char32_t c) {
  return (class_flags(c) & ut::flag_py_space) != 0;
}

bool is_cjk_ideograph(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

std::u32string lower_each_char(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  const ut::cp_mapping* end = ut::lower_map + ut::lower_map_count;
  for (size_t i = 0; i < text.size(); ++i) {
    const char32_t c = text[i];
    const ut::cp_mapping* it = std::lower_bound(
        ut::lower_map, end, c, [](const ut::cp_mapping& m, char32_t v) { return m.cp < v; });
    if (it != end && it->cp == c) {
      out.append(it->to, it->to + it->count);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::u32string nfd(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t c : text) append_decomposition(c, out);
  // Canonical ordering: within each run of non-starters, a stable sort by
  // combining class (runs are short: an insertion sort).
  for (size_t i = 1; i < out.size(); ++i) {
    const uint8_t cc = combining_class(out[i]);
    if (cc == 0) continue;
    size_t j = i;
    while (j > 0) {
      const uint8_t prev = combining_class(out[j - 1]);
      if (prev == 0 || prev <= cc) break;
      std::swap(out[j - 1], out[j]);
      --j;
    }
  }
  return out;
}

std::u32string nfc(std::u32string_view text) {
  const std::u32string d = nfd(text);
  std::u32string out;
  out.reserve(d.size());
  size_t starter = std::u32string::npos; // index in `out` of the last starter
  for (char32_t c : d) {
    const uint8_t cc = combining_class(c);
    if (starter != std::u32string::npos) {
      // c may join the starter unless a character between them blocks it:
      // one with class 0 or a class >= c's.
      const bool adjacent = starter + 1 == out.size();
      const uint8_t last_cc = adjacent ? 0 : combining_class(out.back());
      if (adjacent || (last_cc != 0 && last_cc < cc)) {
        const char32_t composite = compose_pair(out[starter], c);
        if (composite != 0) {
          out[starter] = composite;
          continue;
        }
      }
    }
    if (cc == 0) starter = out.size();
    out.push_back(c);
  }
  return out;
}

} // namespace edgepipe::ops
