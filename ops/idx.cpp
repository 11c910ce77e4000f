// IDX reader over zlib's gz* API: gzread inflates gzip files and passes plain
// files through, so both forms read the same way. The header is
//   0x00 0x00 <type> <ndims>, then ndims big-endian uint32 sizes, then the data.
#include "ops/idx.hpp"

#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>

namespace edgepipe::ops {
namespace {

// Owns a gzFile; reads exactly n bytes or says why not.
class gz_reader {
public:
  explicit gz_reader(const std::string& path) : path_(path), f_(gzopen(path.c_str(), "rb")) {}
  ~gz_reader() {
    if (f_) gzclose(f_);
  }
  gz_reader(const gz_reader&) = delete;
  gz_reader& operator=(const gz_reader&) = delete;

  bool is_open() const { return f_ != nullptr; }
  uint64_t offset() const { return offset_; } // in the decompressed stream

  // Reads n bytes into dst; on failure returns an error naming the offset.
  expected<void> read(void* dst, size_t n, const std::string& what) {
    auto* out = static_cast<uint8_t*>(dst);
    while (n > 0) {
      unsigned chunk = static_cast<unsigned>(std::min<size_t>(n, 1u << 30));
      int got = gzread(f_, out, chunk);
      if (got < 0) {
        int code = 0;
        const char* msg = gzerror(f_, &code);
        return make_error(errc::invalid_input, path_ + ": decompressed byte " +
                                                   std::to_string(offset_) + ": " + msg +
                                                   " (reading " + what + ")");
      }
      if (got == 0) {
        int code = 0;
        const char* msg = gzerror(f_, &code);
        std::string why = code != Z_OK ? std::string(msg) : "end of file";
        return make_error(errc::invalid_input, path_ + ": truncated at decompressed byte " +
                                                   std::to_string(offset_) + " (" + why +
                                                   ") while reading " + what);
      }
      out += got;
      n -= static_cast<size_t>(got);
      offset_ += static_cast<uint64_t>(got);
    }
    return {};
  }

private:
  std::string path_;
  gzFile f_;
  uint64_t offset_ = 0;
};

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// DIR/NAME.gz, else DIR/NAME (an already decompressed copy).
std::string find_file(const std::string& dir, const std::string& name) {
  std::string gz = dir + "/" + name + ".gz";
  return exists(gz) || !exists(dir + "/" + name) ? gz : dir + "/" + name;
}

} // namespace

expected<idx_array> read_idx(const std::string& path, int64_t limit) {
  if (!exists(path)) return make_error(errc::not_found, path + ": no such file");
  gz_reader in(path);
  if (!in.is_open())
    return make_error(errc::io_error, path + ": cannot open: " + std::strerror(errno));
  uint8_t magic[4];
  if (auto r = in.read(magic, 4, "the magic number"); !r) return r.error();
  if (magic[0] != 0 || magic[1] != 0)
    return make_error(errc::invalid_input, path + ": byte 0: bad IDX magic (must start with "
                                                  "two zero bytes); not an IDX file");
  if (magic[2] != 0x08) {
    char type[8];
    std::snprintf(type, sizeof type, "0x%02x", magic[2]);
    return make_error(errc::unsupported, path + ": byte 2: IDX element type " + type +
                                             " is not supported (only unsigned bytes, 0x08)");
  }
  const int ndims = magic[3];
  if (ndims < 1)
    return make_error(errc::invalid_input, path + ": byte 3: IDX array has no dimensions");

  idx_array a;
  uint64_t total = 1;
  for (int i = 0; i < ndims; ++i) {
    uint8_t b[4];
    if (auto r = in.read(b, 4, "dimension " + std::to_string(i)); !r) return r.error();
    uint64_t d = (uint64_t{b[0]} << 24) | (uint64_t{b[1]} << 16) | (uint64_t{b[2]} << 8) | b[3];
    if (i == 0 && limit >= 0 && static_cast<uint64_t>(limit) < d) d = static_cast<uint64_t>(limit);
    // A bogus size must not turn into a huge allocation: cap at 16 GiB of data.
    if (d != 0 && total > (uint64_t{1} << 34) / d)
      return make_error(errc::invalid_input, path + ": byte " + std::to_string(4 + 4 * i) +
                                                 ": IDX dimensions are implausibly large");
    total *= d;
    a.dims.push_back(static_cast<int64_t>(d));
  }
  a.bytes.resize(total);
  if (auto r = in.read(a.bytes.data(), total, "the data of shape " + shape_string(a.dims)); !r)
    return r.error();
  return a;
}

expected<labeled_images> read_idx_dataset(const std::string& dir, const std::string& prefix,
                                          const image_preprocessing& prep, int64_t limit) {
  std::string images_path = find_file(dir, prefix + "-images-idx3-ubyte");
  std::string labels_path = find_file(dir, prefix + "-labels-idx1-ubyte");
  auto images = read_idx(images_path, limit);
  if (!images) return images.error();
  auto labels = read_idx(labels_path, limit);
  if (!labels) return labels.error();
  if (images->dims.size() != 3)
    return make_error(errc::invalid_input, images_path + ": expected images [N, H, W], got " +
                                               shape_string(images->dims));
  if (labels->dims.size() != 1)
    return make_error(errc::invalid_input,
                      labels_path + ": expected labels [N], got " + shape_string(labels->dims));
  if (labels->dims[0] != images->dims[0])
    return make_error(errc::invalid_input, labels_path + ": " + std::to_string(labels->dims[0]) +
                                               " labels for " + std::to_string(images->dims[0]) +
                                               " images");
  std::vector<int64_t> nchw{images->dims[0], 1, images->dims[1], images->dims[2]};
  auto t = preprocess_images(images->bytes, nchw, prep);
  if (!t) return t.error();
  labeled_images out;
  out.images = std::move(*t);
  out.labels.assign(labels->bytes.begin(), labels->bytes.end());
  return out;
}

} // namespace edgepipe::ops
