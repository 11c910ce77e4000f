// The planner's mirror of the frame size against codecs::frame_size.
#include <gtest/gtest.h>

#include "codecs/codec.hpp"
#include "planner/wire_size.hpp"

using namespace edgepipe;

TEST(WireSize, MatchesCodecsFrameSize) {
  const std::vector<std::vector<int64_t>> shapes = {
      {8, 197, 768}, {8, 197, 3072}, {1, 3, 5}, {8, 1000}, {7}, {2, 3, 4, 5}};
  for (const auto& shape : shapes) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    for (int bits = 0; bits <= 16; ++bits) {
      codecs::quant_params p;
      p.bits = bits;
      int64_t want = static_cast<int64_t>(codecs::frame_size(shape, p));
      int64_t got = planner::frame_header_bytes(static_cast<int>(shape.size()), bits) +
                    planner::packed_bytes(n, bits);
      EXPECT_EQ(got, want) << "bits " << bits << " rank " << shape.size();
      if (bits > 0) { // per-sample scales: one group per first-dimension entry
        p.gran = codecs::granularity::sample;
        EXPECT_EQ(planner::frame_header_bytes(static_cast<int>(shape.size()), bits, shape[0]) +
                      planner::packed_bytes(n, bits),
                  static_cast<int64_t>(codecs::frame_size(shape, p)));
      }
    }
    if (shape.size() == 3) {
      codecs::quant_params p;
      p.bits = 4;
      EXPECT_EQ(planner::frame_bytes(n, 4), static_cast<int64_t>(codecs::frame_size(shape, p)));
    }
  }
}
