// .npy reader and writer. The header is a Python dict literal, e.g.
//   {'descr': '<f4', 'fortran_order': False, 'shape': (64, 1, 28, 28), }
// parsed here by a small strict scanner (no eval, no regex), since the file
// may come from anywhere.
#include "ops/npy.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <vector>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "npy.cpp assumes a little-endian host"
#endif

namespace edgepipe::ops {
namespace {

constexpr char magic[] = "\x93NUMPY";
constexpr size_t magic_len = 6;

// The three fields a .npy header must hold.
struct npy_header {
  std::string descr;
  bool fortran_order = false;
  std::vector<int64_t> shape;
};

// Scans the dict literal; every failure says what was expected where.
class header_scanner {
public:
  header_scanner(const std::string& text, std::string where) : s_(text), where_(std::move(where)) {}

  expected<npy_header> parse() {
    npy_header h;
    bool seen_descr = false, seen_order = false, seen_shape = false;
    skip_space();
    if (!eat('{')) return fail("expected '{'");
    for (;;) {
      skip_space();
      if (eat('}')) break;
      std::string key;
      if (!string_literal(key)) return fail("expected a quoted key");
      skip_space();
      if (!eat(':')) return fail("expected ':' after '" + key + "'");
      skip_space();
      if (key == "descr") {
        if (!string_literal(h.descr)) return fail("'descr' must be a string such as '<f4'");
        seen_descr = true;
      } else if (key == "fortran_order") {
        if (word("True"))
          h.fortran_order = true;
        else if (word("False"))
          h.fortran_order = false;
        else
          return fail("'fortran_order' must be True or False");
        seen_order = true;
      } else if (key == "shape") {
        if (!shape_tuple(h.shape)) return fail("'shape' must be a tuple of non-negative integers");
        seen_shape = true;
      } else {
        return fail("unexpected key '" + key + "'");
      }
      skip_space();
      if (eat(',')) continue;
      skip_space();
      if (eat('}')) break;
      return fail("expected ',' or '}'");
    }
    if (!seen_descr || !seen_order || !seen_shape)
      return fail("the header must give 'descr', 'fortran_order' and 'shape'");
    return h;
  }

private:
  error fail(const std::string& what) const {
    return make_error(errc::invalid_input, where_ + ": bad .npy header at character " +
                                               std::to_string(pos_) + ": " + what);
  }
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n')) ++pos_;
  }
  bool eat(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool word(const char* w) {
    size_t n = std::strlen(w);
    if (s_.compare(pos_, n, w) != 0) return false;
    pos_ += n;
    return true;
  }
  bool string_literal(std::string& out) {
    if (pos_ >= s_.size() || (s_[pos_] != '\'' && s_[pos_] != '"')) return false;
    char quote = s_[pos_++];
    size_t end = s_.find(quote, pos_);
    if (end == std::string::npos) return false;
    out = s_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return true;
  }
  bool integer(int64_t& out) {
    size_t start = pos_;
    uint64_t v = 0;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      v = v * 10 + static_cast<uint64_t>(s_[pos_] - '0');
      if (v > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) return false;
      ++pos_;
    }
    if (pos_ < s_.size() && s_[pos_] == 'L') ++pos_; // Python 2 longs
    out = static_cast<int64_t>(v);
    return pos_ > start;
  }
  // "()", "(5,)", "(64, 1, 28, 28)", trailing comma allowed.
  bool shape_tuple(std::vector<int64_t>& shape) {
    if (!eat('(')) return false;
    for (;;) {
      skip_space();
      if (eat(')')) return true;
      int64_t d = 0;
      if (!integer(d)) return false;
      shape.push_back(d);
      skip_space();
      if (eat(',')) continue;
      skip_space();
      return eat(')');
    }
  }

  const std::string& s_;
  std::string where_;
  size_t pos_ = 0;
};

error truncated(const std::string& where, const std::string& what) {
  return make_error(errc::invalid_input, where + ": truncated .npy file: " + what);
}

} // namespace

expected<tensor> parse_npy(const uint8_t* bytes, size_t size, const std::string& where) {
  if (size < magic_len || std::memcmp(bytes, magic, magic_len) != 0)
    return make_error(errc::invalid_input,
                      where + ": not a .npy file (missing the \\x93NUMPY magic)");
  if (size < magic_len + 2) return truncated(where, "no version bytes");
  int major = bytes[6], minor = bytes[7];
  size_t len_bytes = major == 1 ? 2 : (major == 2 || major == 3) ? 4 : 0;
  if (len_bytes == 0 || minor != 0)
    return make_error(errc::unsupported, where + ": .npy format version " + std::to_string(major) +
                                             "." + std::to_string(minor) +
                                             " is not supported (1.0, 2.0, 3.0 are)");
  if (size < 8 + len_bytes) return truncated(where, "no header length");
  uint64_t header_len = bytes[8] | (static_cast<uint64_t>(bytes[9]) << 8);
  if (len_bytes == 4)
    header_len |=
        (static_cast<uint64_t>(bytes[10]) << 16) | (static_cast<uint64_t>(bytes[11]) << 24);
  const size_t header_start = 8 + len_bytes;
  if (header_len > size - header_start)
    return truncated(where, "header of " + std::to_string(header_len) + " bytes but only " +
                                std::to_string(size - header_start) + " follow");
  std::string text(reinterpret_cast<const char*>(bytes + header_start), header_len);
  auto header = header_scanner(text, where).parse();
  if (!header) return header.error();

  if (header->descr != "<f4")
    return make_error(errc::invalid_input,
                      where + ": dtype '" + header->descr +
                          "' is not float32 little-endian ('<f4'); convert with "
                          "x.astype('<f4')");
  if (header->fortran_order)
    return make_error(errc::invalid_input,
                      where + ": array is in Fortran order; save a C-ordered array "
                              "(numpy.ascontiguousarray)");

  tensor t;
  t.shape = header->shape;
  uint64_t numel = 1;
  for (int64_t d : t.shape) {
    if (d != 0 && numel > (std::numeric_limits<uint64_t>::max() / 8) / static_cast<uint64_t>(d))
      return make_error(errc::invalid_input,
                        where + ": shape " + shape_string(t.shape) + " is too large");
    numel *= static_cast<uint64_t>(d);
  }
  const size_t data_start = header_start + header_len;
  const uint64_t want = numel * 4, have = size - data_start;
  if (have < want)
    return truncated(where, "shape " + shape_string(t.shape) + " needs " + std::to_string(want) +
                                " data bytes but the file has " + std::to_string(have));
  if (have > want)
    return make_error(errc::invalid_input, where + ": " + std::to_string(have - want) +
                                               " unexpected bytes after the data of shape " +
                                               shape_string(t.shape));
  t.data.resize(numel);
  if (numel) std::memcpy(t.data.data(), bytes + data_start, want);
  return t;
}

expected<tensor> read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return make_error(errno == ENOENT ? errc::not_found : errc::io_error,
                      path + ": cannot open: " + std::strerror(errno));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (in.bad()) return make_error(errc::io_error, path + ": read failed");
  return parse_npy(bytes.data(), bytes.size(), path);
}

expected<void> write_npy(const std::string& path, const tensor& t) {
  if (static_cast<size_t>(t.numel()) != t.data.size())
    return make_error(errc::invalid_argument, path + ": shape " + shape_string(t.shape) +
                                                  " does not match " +
                                                  std::to_string(t.data.size()) + " elements");
  // Python tuple syntax: "()", "(5,)", "(2, 3)".
  std::string tuple = "(";
  for (size_t i = 0; i < t.shape.size(); ++i) tuple += (i ? ", " : "") + std::to_string(t.shape[i]);
  tuple += t.shape.size() == 1 ? ",)" : ")";
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + tuple + ", }";
  // numpy pads the header with spaces and a newline so the data is 64-byte aligned.
  size_t len_bytes = dict.size() + 1 + 10 <= 65535 ? 2 : 4;
  size_t prefix = magic_len + 2 + len_bytes;
  size_t total = prefix + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict += '\n';

  std::string head(magic, magic_len);
  head += static_cast<char>(len_bytes == 2 ? 1 : 2);
  head += '\0';
  uint32_t n = static_cast<uint32_t>(dict.size());
  for (size_t i = 0; i < len_bytes; ++i) head += static_cast<char>((n >> (8 * i)) & 0xff);
  head += dict;

  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return make_error(errc::io_error, path + ": cannot create: " + std::strerror(errno));
  bool ok = std::fwrite(head.data(), 1, head.size(), f) == head.size();
  if (ok && !t.data.empty())
    ok = std::fwrite(t.data.data(), sizeof(float), t.data.size(), f) == t.data.size();
  if (std::fclose(f) != 0) ok = false;
  if (!ok) return make_error(errc::io_error, path + ": write failed: " + std::strerror(errno));
  return {};
}

} // namespace edgepipe::ops
