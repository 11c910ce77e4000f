#include "planner/wire_size.hpp"

namespace edgepipe::planner {

int64_t packed_bytes(int64_t elements, int bits) {
  if (bits == 0) return elements * 4;
  return (elements * bits + 7) / 8;
}

int64_t frame_header_bytes(int rank, int bits, int64_t groups) {
  const int64_t fixed = 12; // magic, version, element type, bits, clip, granularity, rank
  return fixed + 8 * static_cast<int64_t>(rank) + (bits > 0 ? 8 * groups : 0);
}

int64_t frame_bytes(int64_t elements, int bits) {
  return frame_header_bytes(3, bits) + packed_bytes(elements, bits);
}

} // namespace edgepipe::planner
