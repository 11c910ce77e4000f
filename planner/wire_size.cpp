#include "planner/wire_size.hpp"

namespace edgepipe::planner {

int64_t packed_bytes(int64_t elements, int bits) {
  if (bits == 0) return elements * 4;
  return (elements * bits + 7) / 8;
}

// PROVISIONAL until codecs/frame.hpp lands: magic+version+dtype+bits+clip+gran
// (8 bytes), rank (1) + 8 bytes per dimension, scale and offset (8) when quantized.
int64_t frame_header_bytes(int rank, int bits) {
  int64_t header = 8 + 1 + 8 * static_cast<int64_t>(rank);
  if (bits > 0) header += 8;
  return header;
}

int64_t frame_bytes(int64_t elements, int bits) {
  return frame_header_bytes(2, bits) + packed_bytes(elements, bits);
}

} // namespace edgepipe::planner
