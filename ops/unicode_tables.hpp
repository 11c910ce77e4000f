// unicode_tables: the Unicode data the WordPiece tokenizer needs, generated
// from Python's unicodedata by tools/gen_unicode_tables.py (so C++ and the
// Python reference classify every code point the same way). Every table is
// sorted by code point; ops/unicode_text.cpp searches them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgepipe::ops::unicode_tables {

// Class flag bits of `class_ranges` (the script's CONTROL, WHITESPACE, ...).
enum : uint8_t {
  flag_control = 1,    // category C*, except \t \n \r
  flag_whitespace = 2, // space, \t, \n, \r, category Zs
  flag_punct = 4,      // ASCII 33-47, 58-64, 91-96, 123-126, category P*
  flag_nonspacing = 8, // category Mn
  flag_py_space = 16,  // Python str.isspace()
};

struct cp_range { // [first, last] share `value` (flags, or a combining class)
  uint32_t first, last;
  uint8_t value;
};
struct cp_mapping { // cp -> to[0..count)
  uint32_t cp;
  uint8_t count;
  uint32_t to[3];
};
struct cp_decomposition { // cp -> its full canonical decomposition
  uint32_t cp;
  uint8_t count;
  uint32_t to[4];
};
struct cp_composition { // first + second -> composite (sorted by first, second)
  uint32_t first, second, composite;
};

extern const char* const unicode_version;
extern const cp_range class_ranges[];
extern const size_t class_ranges_count;
extern const cp_mapping lower_map[];
extern const size_t lower_map_count;
extern const cp_decomposition decompositions[];
extern const size_t decompositions_count;
extern const cp_range combining_ranges[];
extern const size_t combining_ranges_count;
extern const cp_composition compositions[];
extern const size_t compositions_count;

} // namespace edgepipe::ops::unicode_tables
