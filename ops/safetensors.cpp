// safetensors reader and writer. The file is mapped read-only; the header is
// validated whole (every entry, not only the wanted ones) before any tensor
// is copied, so a malformed file fails the same way whatever the caller wants.
#include "ops/safetensors.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <vector>

#include "base/path.hpp"
#include "ops/float16.hpp"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.cpp assumes a little-endian host"
#endif

namespace edgepipe::ops {
namespace {

// The reference implementation refuses headers above 100 MB; so do we, so a
// corrupt length never turns into a huge allocation.
constexpr uint64_t max_header_bytes = 100u << 20;

// A read-only mapping of a whole file, unmapped on destruction.
class mapped_file {
public:
  static expected<mapped_file> open(const std::string& path) {
    if (auto ok = check_path(path); !ok) return ok.error();
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return make_error(errno == ENOENT ? errc::not_found : errc::io_error,
                        path + ": cannot open: " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      return make_error(errc::io_error, path + ": not a regular file");
    }
    mapped_file f;
    f.size_ = static_cast<size_t>(st.st_size);
    if (f.size_ > 0) {
      void* p = ::mmap(nullptr, f.size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        int e = errno;
        ::close(fd);
        return make_error(errc::io_error, path + ": cannot map: " + std::strerror(e));
      }
      f.data_ = static_cast<const uint8_t*>(p);
    }
    ::close(fd);
    return f;
  }
  mapped_file() = default;
  mapped_file(mapped_file&& o) noexcept : data_(o.data_), size_(o.size_) { o.data_ = nullptr; }
  mapped_file& operator=(mapped_file&&) = delete;
  ~mapped_file() {
    if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
  }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Bytes per element of every dtype the format defines; 0 for a name it does not.
size_t dtype_bytes(const std::string& dtype) {
  if (dtype == "F64" || dtype == "I64" || dtype == "U64") return 8;
  if (dtype == "F32" || dtype == "I32" || dtype == "U32") return 4;
  if (dtype == "F16" || dtype == "BF16" || dtype == "I16" || dtype == "U16") return 2;
  if (dtype == "I8" || dtype == "U8" || dtype == "BOOL" || dtype == "F8_E4M3" || dtype == "F8_E5M2")
    return 1;
  return 0;
}

struct entry {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0; // relative to the start of the data section
};

// Reads a non-negative integer from a JSON value, or fails.
bool as_u64(const nlohmann::json& v, uint64_t& out) {
  if (v.is_number_unsigned()) {
    out = v.get<uint64_t>();
    return true;
  }
  if (v.is_number_integer() && v.get<int64_t>() >= 0) {
    out = static_cast<uint64_t>(v.get<int64_t>());
    return true;
  }
  return false;
}

// Parses and checks one header entry against the data section's size.
expected<entry> parse_entry(const std::string& where, const std::string& name,
                            const nlohmann::json& v, uint64_t data_size) {
  std::string at = where + ": tensor '" + name + "': ";
  if (!v.is_object()) return make_error(errc::invalid_input, at + "header entry is not an object");
  entry e;
  e.name = name;
  auto dt = v.find("dtype");
  if (dt == v.end() || !dt->is_string())
    return make_error(errc::invalid_input, at + "missing or non-string \"dtype\"");
  e.dtype = dt->get<std::string>();
  size_t elem = dtype_bytes(e.dtype);
  if (elem == 0) return make_error(errc::invalid_input, at + "unknown dtype '" + e.dtype + "'");

  auto sh = v.find("shape");
  if (sh == v.end() || !sh->is_array())
    return make_error(errc::invalid_input, at + "missing or non-array \"shape\"");
  // numel * elem must fit in 64 bits; any real tensor fits far below this.
  uint64_t bytes = elem;
  for (const auto& d : *sh) {
    uint64_t dim = 0;
    if (!as_u64(d, dim) || dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return make_error(errc::invalid_input, at + "shape has a non-integer or negative dimension");
    if (dim != 0 && bytes > std::numeric_limits<uint64_t>::max() / dim)
      return make_error(errc::invalid_input, at + "shape is too large");
    bytes *= dim;
    e.shape.push_back(static_cast<int64_t>(dim));
  }

  auto off = v.find("data_offsets");
  if (off == v.end() || !off->is_array() || off->size() != 2 || !as_u64((*off)[0], e.begin) ||
      !as_u64((*off)[1], e.end))
    return make_error(errc::invalid_input,
                      at + "\"data_offsets\" must be two non-negative integers");
  if (e.begin > e.end)
    return make_error(errc::invalid_input, at + "data_offsets [" + std::to_string(e.begin) + ", " +
                                               std::to_string(e.end) + "] are reversed");
  if (e.end > data_size)
    return make_error(errc::invalid_input,
                      at + "data_offsets end " + std::to_string(e.end) +
                          " is beyond the data section (" + std::to_string(data_size) +
                          " bytes; the file is truncated or the header is wrong)");
  if (e.end - e.begin != bytes)
    return make_error(errc::invalid_input,
                      at + "data_offsets span " + std::to_string(e.end - e.begin) +
                          " bytes but shape " + shape_string(e.shape) + " of " + e.dtype +
                          " needs " + std::to_string(bytes));
  return e;
}

// Widens the raw little-endian elements of one tensor to float32.
expected<tensor> widen(const std::string& where, const entry& e, const uint8_t* src) {
  tensor t;
  t.shape = e.shape;
  size_t n = static_cast<size_t>(t.numel());
  t.data.resize(n);
  if (e.dtype == "F32") {
    if (n) std::memcpy(t.data.data(), src, n * 4);
  } else if (e.dtype == "F16") {
    for (size_t i = 0; i < n; ++i) {
      uint16_t h;
      std::memcpy(&h, src + 2 * i, 2);
      t.data[i] = half_to_float(h);
    }
  } else if (e.dtype == "BF16") {
    for (size_t i = 0; i < n; ++i) {
      uint16_t h;
      std::memcpy(&h, src + 2 * i, 2);
      t.data[i] = bf16_to_float(h);
    }
  } else {
    return make_error(errc::unsupported, where + ": tensor '" + e.name + "': dtype " + e.dtype +
                                             " is not supported (only F32, F16, BF16)");
  }
  return t;
}

} // namespace

expected<weight_map> read_safetensors(const std::string& path,
                                      const std::function<bool(const std::string&)>& want) {
  auto file = mapped_file::open(path);
  if (!file) return file.error();
  return parse_safetensors(file->data(), file->size(), path, want);
}

expected<weight_map> parse_safetensors(const uint8_t* bytes, size_t file_size,
                                       const std::string& path,
                                       const std::function<bool(const std::string&)>& want) {
  const uint64_t size = file_size;
  if (size < 8)
    return make_error(errc::invalid_input, path + ": byte 0: file has " + std::to_string(size) +
                                               " bytes, too short for the 8-byte header length");
  uint64_t header_len = 0;
  std::memcpy(&header_len, bytes, 8);
  if (header_len > max_header_bytes)
    return make_error(errc::invalid_input, path + ": byte 0: header length " +
                                               std::to_string(header_len) +
                                               " exceeds the 100 MB limit");
  if (header_len > size - 8)
    return make_error(errc::invalid_input, path + ": byte 0: header length " +
                                               std::to_string(header_len) +
                                               " goes beyond the end of the file (" +
                                               std::to_string(size) + " bytes; truncated?)");

  const char* header_begin = reinterpret_cast<const char*>(bytes + 8);
  auto header = nlohmann::json::parse(header_begin, header_begin + header_len, nullptr,
                                      /*allow_exceptions=*/false);
  if (header.is_discarded())
    return make_error(errc::invalid_input, path + ": bytes 8.." + std::to_string(8 + header_len) +
                                               ": the header is not valid JSON");
  if (!header.is_object())
    return make_error(errc::invalid_input, path + ": byte 8: the header is not a JSON object");

  const uint64_t data_start = 8 + header_len;
  const uint64_t data_size = size - data_start;
  std::vector<entry> entries;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") continue; // free-form string map; not needed
    auto e = parse_entry(path, it.key(), it.value(), data_size);
    if (!e) return e.error();
    entries.push_back(std::move(*e));
  }

  // No two tensors may share bytes: that would mean a corrupt or hostile header.
  std::vector<const entry*> by_offset;
  for (const auto& e : entries)
    if (e.end > e.begin) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const entry* a, const entry* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < by_offset.size(); ++i)
    if (by_offset[i]->begin < by_offset[i - 1]->end)
      return make_error(errc::invalid_input,
                        path + ": tensor '" + by_offset[i]->name + "' at data offset " +
                            std::to_string(by_offset[i]->begin) + " overlaps tensor '" +
                            by_offset[i - 1]->name + "' (ends at " +
                            std::to_string(by_offset[i - 1]->end) + ")");

  weight_map out;
  for (const auto& e : entries) {
    if (want && !want(e.name)) continue;
    auto t = widen(path, e, bytes + data_start + e.begin);
    if (!t) return t.error();
    out.emplace(e.name, std::move(*t));
  }
  return out;
}

expected<void> write_safetensors(const std::string& path, const weight_map& weights) {
  nlohmann::json header = nlohmann::json::object();
  uint64_t offset = 0;
  for (const auto& [name, t] : weights) {
    if (static_cast<size_t>(t.numel()) != t.data.size())
      return make_error(errc::invalid_argument, path + ": tensor '" + name + "': shape " +
                                                    shape_string(t.shape) + " does not match its " +
                                                    std::to_string(t.data.size()) + " elements");
    uint64_t bytes = t.data.size() * sizeof(float);
    header[name] = {
        {"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
  text.append((8 - text.size() % 8) % 8, ' ');
  uint64_t header_len = text.size();

  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return make_error(errc::io_error, path + ": cannot create: " + std::strerror(errno));
  bool ok = std::fwrite(&header_len, 8, 1, f) == 1 &&
            std::fwrite(text.data(), 1, text.size(), f) == text.size();
  for (const auto& kv : weights) {
    const auto& d = kv.second.data;
    if (!ok) break;
    if (!d.empty()) ok = std::fwrite(d.data(), sizeof(float), d.size(), f) == d.size();
  }
  if (std::fclose(f) != 0) ok = false;
  if (!ok) return make_error(errc::io_error, path + ": write failed: " + std::strerror(errno));
  return {};
}

} // namespace edgepipe::ops
