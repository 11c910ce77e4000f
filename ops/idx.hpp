// idx: the IDX array format of MNIST and Fashion-MNIST, read through zlib so
// the gzip'd files Debian ships (/usr/share/datasets/fashion-mnist) are read
// as they are (an uncompressed file reads too). Only unsigned-byte arrays
// (type 0x08) exist in these data sets; other types are a clear error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "ops/preprocessing.hpp"
#include "ops/tensor.hpp"

namespace edgepipe::ops {

// A raw IDX array: dims as stored (e.g. [10000, 28, 28]), bytes row-major.
struct idx_array {
  std::vector<int64_t> dims;
  std::vector<uint8_t> bytes;
};

// Reads PATH; `limit` >= 0 keeps only the first `limit` items along dim 0
// (and decompresses no further). Errors: bad magic, unsupported type,
// truncated file (naming the byte offset).
expected<idx_array> read_idx(const std::string& path, int64_t limit = -1);

// An image classification test set: images preprocessed to float [N, C, H, W]
// and their labels.
struct labeled_images {
  tensor images;
  std::vector<int> labels;
};

// Reads DIR/<prefix>-images-idx3-ubyte[.gz] and DIR/<prefix>-labels-idx1-ubyte[.gz]
// (prefix "t10k" = the 10k test set, "train" = the 60k training set), checks
// that they agree, and preprocesses the images (one channel).
expected<labeled_images> read_idx_dataset(const std::string& dir, const std::string& prefix,
                                          const image_preprocessing& prep, int64_t limit = -1);

} // namespace edgepipe::ops
