// wire_size: how many bytes a tensor takes on the wire as a codecs frame, so
// the planner can plan for quantized links without linking codecs (planner
// depends on base/ only). This mirrors codecs::frame_size (codecs/codec.hpp);
// tests/planner/test_wire_size.cpp checks the two agree.
#pragma once

#include <cstdint>

namespace edgepipe::planner {

// Payload bytes of `elements` values at `bits` per value, packed densely
// (ceil(elements * bits / 8)); bits = 0 means raw float32 (4 bytes each).
int64_t packed_bytes(int64_t elements, int bits);

// Frame header bytes (everything but the payload) for a tensor of `rank`
// dimensions whose first dimension is `batch`, quantized per tensor.
int64_t frame_header_bytes(int rank, int bits);

// The whole frame: header + payload, for a [batch, elements / batch] tensor.
int64_t frame_bytes(int64_t elements, int bits);

} // namespace edgepipe::planner
