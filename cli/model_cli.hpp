// model_cli: what `edgepipe infer` and `edgepipe eval` share: the --dtype and
// --threads options, error reporting with the right exit code, the input
// shape check, and the naming of skip-tensor files.
#pragma once

#include <string>
#include <vector>

#include "base/expected.hpp"
#include "cli/args.hpp"
#include "ops/vit_config.hpp"
#include "ops/vit_model.hpp"

namespace edgepipe::cli {

// --dtype f32|bf16|int8 and --threads N (0 = every CPU).
void add_model_options(args& a);
// Fills opts.compute and opts.threads; returns -1 to go on, else the exit code.
int read_model_options(const args& a, ops::model_options& opts);

// Prints "edgepipe <cmd>: <message>" and returns 1 for internal/I-O failures,
// 2 for bad input or usage.
int report(const args& a, const error& err);

// "A:B" with 1 <= A <= B <= layers; returns -1 to go on, else the exit code.
int parse_layer_range(const args& a, const std::string& text, int layers, int& first, int& last);

// "out/y.npy" -> "out/y.skip.npy"; a name without .npy gets ".skip.npy" appended.
std::string skip_file(const std::string& npy_path);

// images must be [N, C, H, W] with the config's C, H, W and N >= 1.
expected<void> check_images(const std::vector<int64_t>& shape, const ops::vit_config& cfg);

} // namespace edgepipe::cli
