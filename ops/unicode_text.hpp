// unicode_text: the Unicode operations of BERT's BasicTokenizer on UTF-32
// strings: strict UTF-8 decoding, character classes, Python's str.lower(),
// NFD and NFC. Data from ops/unicode_tables.cpp (generated from Python's
// unicodedata), so each function returns what the Python call it is named
// after returns.
#pragma once

#include <string>
#include <string_view>

#include "base/expected.hpp"

namespace edgepipe::ops {

// Strict UTF-8 (as Python's bytes.decode("utf-8")): overlong forms,
// surrogates, code points above U+10FFFF and truncated sequences are errors
// whose message names the byte offset ("invalid UTF-8 at byte 7").
expected<std::u32string> decode_utf8(std::string_view bytes);
std::string encode_utf8(std::u32string_view text);

bool is_bert_control(char32_t c);     // category C*, except \t \n \r
bool is_bert_whitespace(char32_t c);  // space, \t, \n, \r, category Zs
bool is_bert_punctuation(char32_t c); // ASCII non-alphanumeric printables, category P*
bool is_nonspacing_mark(char32_t c);  // category Mn
bool is_python_space(char32_t c);     // str.isspace()
// The CJK Unified Ideograph blocks BERT puts spaces around (by code point
// range, as the original BERT defines them; not every CJK character).
bool is_cjk_ideograph(char32_t c);

// "".join(ch.lower() for ch in text): Python's lower-casing of each character
// alone, as Hugging Face lowers BERT input (so capital sigma always becomes
// U+03C3, never the final form that str.lower() gives at a word's end).
std::u32string lower_each_char(std::u32string_view text);
std::u32string nfd(std::u32string_view text); // unicodedata.normalize("NFD", .)
std::u32string nfc(std::u32string_view text); // unicodedata.normalize("NFC", .)

} // namespace edgepipe::ops
