// wire_size: how many bytes a tensor takes on the wire as a codecs frame, so
// the planner can plan for quantized links without linking codecs (planner
// depends on base/ only). Mirrors codecs::frame_size (codecs/frame.hpp):
//   12 fixed bytes + 8 per dimension + 8 per scale group (quantized only)
//   + payload: 4 bytes per element raw, else ceil(elements * bits / 8).
// tests/planner/test_wire_size.cpp checks the two agree.
#pragma once

#include <cstdint>

namespace edgepipe::planner {

// Payload bytes of `elements` values at `bits` per value, packed densely
// (ceil(elements * bits / 8)); bits = 0 means raw float32 (4 bytes each).
int64_t packed_bytes(int64_t elements, int bits);

// Frame header bytes (everything but the payload): `rank` dimensions and
// `groups` scale/offset pairs (1 per tensor, or the batch size per sample;
// none when bits = 0).
int64_t frame_header_bytes(int rank, int bits, int64_t groups = 1);

// The frame the planner assumes for a boundary: one rank-3 ([B, T, D]) tensor
// quantized per tensor. A boundary that also carries a residual (skip) tensor
// sends a second frame in practice: 44 bytes more, ignored (< 0.001% of ViT sizes).
int64_t frame_bytes(int64_t elements, int bits);

} // namespace edgepipe::planner
