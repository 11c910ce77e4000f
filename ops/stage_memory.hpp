// stage_memory: what a node checks before it loads a stage, and how it gives
// a retired stage's memory back to the system.
#pragma once

#include <cstdint>

#include "base/expected.hpp"
#include "ops/layer_descriptor.hpp"

namespace edgepipe::ops {

// Whether layers first..last fit in `memory_mb` (MB = 2^20 bytes; 0 = no
// limit): their weights at `compute` must not exceed it. The error says by
// how much: "stage layers 1..96 needs 1157 MB of weights, node offers 1000 MB".
expected<void> check_stage_memory(const model_descriptor& model, int first, int last, dtype compute,
                                  int64_t memory_mb);

// Returns freed heap memory to the system. glibc keeps freed blocks below
// its mmap threshold (which grows up to 32 MB as large blocks are freed, so
// a ViT's weight matrices end up on the heap) in its arenas: without this a
// retired stage's weights stay in the process's RSS. Call it after a model
// is destroyed. Returns the resident set size in bytes afterwards (0 when
// /proc is not readable).
int64_t release_free_memory();

// The process's resident set size in bytes (/proc/self/statm; 0 if unreadable).
int64_t resident_bytes();

} // namespace edgepipe::ops
