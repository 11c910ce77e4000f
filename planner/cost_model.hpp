// cost_model: a stage's compute time, memory and send time, with PipeEdge's
// arithmetic (src-native/schedule.cpp of usc-isi/PipeEdge). planner/README.md
// writes every formula down. Layers are numbered 1..L as in PipeEdge; a stage
// holds layers [first, last] on one device.
//
// Every sum runs in PipeEdge's order (first to last) so that periods compare
// equal bit for bit with sched-pipeline's.
#pragma once

#include <cstdint>

#include "planner/profiles.hpp"

namespace edgepipe::planner {

// Bytes per MB and per Mbit, as PipeEdge reads its files.
constexpr double bytes_per_mb = 1024.0 * 1024.0;
constexpr double bits_per_mbit = 1024.0 * 1024.0;

// Seconds to run layers [first, last] on device d.
double compute_time(const instance& inst, int d, int first, int last);

// Elements (all samples of the microbatch) entering layer `layer`.
int64_t elements_in(const instance& inst, int layer);
// Elements leaving layer `layer`.
int64_t elements_out(const instance& inst, int layer);

// Bytes of a float tensor of `elements` at dtype_bytes (PipeEdge's buffers).
int64_t tensor_bytes(const instance& inst, int64_t elements);

// Bytes required to host [first, last]: weights + receive buffers (not for the
// first stage) + send buffers + one input and one output processing buffer.
double memory_required_bytes(const instance& inst, int first, int last);
// PipeEdge's test: available memory strictly above the requirement.
bool fits(const instance& inst, int d, int first, int last);

// Link speed from device `from` to `to`, Mbit/s: links.yml when it names the
// pair, else the slower of the two devices' bw_Mbps.
double link_mbps(const instance& inst, int from, int to);
// Wire bitwidth on that link (0 = raw float32).
int link_bits(const instance& inst, int from, int to);

// Bytes on the wire for the output of layer `layer` on the link from -> to:
// pipeedge: dtype_bytes * elements; edgepipe: a codecs frame at the link's bitwidth.
int64_t transfer_bytes(const instance& inst, int layer, int from, int to);
// Seconds to send that output.
double send_time(const instance& inst, int layer, int from, int to);

} // namespace edgepipe::planner
