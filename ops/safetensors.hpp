// safetensors: the weight file format of Hugging Face downloads. An 8-byte
// little-endian header length, a JSON header (name -> dtype, shape,
// data_offsets), then the raw tensor bytes. F32, F16 and BF16 are read and
// widened to float32. Errors name the tensor or the byte offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "base/expected.hpp"
#include "ops/tensor.hpp"

namespace edgepipe::ops {

// Host weights by their Hugging Face name ("vit.encoder.layer.0.output.dense.weight").
using weight_map = std::map<std::string, tensor>;

// Reads every tensor whose name `want` accepts (all when `want` is empty).
expected<weight_map> read_safetensors(const std::string& path,
                                      const std::function<bool(const std::string&)>& want = {});

// The same from bytes already in memory (a whole file); `path` names them in
// errors. read_safetensors maps the file and calls this; the fuzzer calls it.
expected<weight_map> parse_safetensors(const uint8_t* bytes, size_t size, const std::string& path,
                                       const std::function<bool(const std::string&)>& want = {});

// Writes float32 tensors (for tests and synthetic model directories).
expected<void> write_safetensors(const std::string& path, const weight_map& weights);

} // namespace edgepipe::ops
