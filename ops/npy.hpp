// npy: numpy's .npy array file, float32 only (what `edgepipe infer` reads and
// writes). Versions 1.0, 2.0 and 3.0 of the header are read; '<f4' in C order
// is the only layout accepted, anything else is a clear error naming the file
// and the field. Writing produces version 1.0 (2.0 for huge headers), as
// numpy.save does, so `numpy.load` reads the output.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/expected.hpp"
#include "ops/tensor.hpp"

namespace edgepipe::ops {

// Parses a whole .npy image held in memory; `where` prefixes error messages.
expected<tensor> parse_npy(const uint8_t* bytes, size_t size, const std::string& where);

// Reads PATH; errors: not found, not .npy, wrong dtype ('<f4' expected),
// Fortran order, bad header, truncated or oversized data.
expected<tensor> read_npy(const std::string& path);

// Writes t as '<f4', C order; shape [] is a 0-d array.
expected<void> write_npy(const std::string& path, const tensor& t);

} // namespace edgepipe::ops
