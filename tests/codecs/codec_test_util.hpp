// Shared helpers of the codec tests: seeded sample generators and a reader of
// the frame fields written from the documented layout (not from frame.hpp).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace codec_test {

enum class dist { laplace, gaussian, heavy_tail, constant, uniform };

inline const char* name(dist d) {
  switch (d) {
  case dist::laplace:
    return "laplace";
  case dist::gaussian:
    return "gaussian";
  case dist::heavy_tail:
    return "heavy_tail";
  case dist::constant:
    return "constant";
  case dist::uniform:
    return "uniform";
  }
  return "?";
}

// n samples; heavy_tail is Student-t with 2 degrees of freedom (infinite variance).
inline std::vector<float> samples(dist d, size_t n, uint64_t seed, float center = 0.5f,
                                  float scale = 2.0f) {
  std::mt19937_64 rng(seed);
  std::vector<float> v(n);
  std::exponential_distribution<double> expo(1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::chi_squared_distribution<double> chi2(2.0);
  std::uniform_real_distribution<double> uni(-1.0, 1.0);
  std::bernoulli_distribution coin(0.5);
  for (size_t i = 0; i < n; ++i) {
    double x = 0.0;
    switch (d) {
    case dist::laplace:
      x = (coin(rng) ? 1 : -1) * expo(rng);
      break;
    case dist::gaussian:
      x = normal(rng);
      break;
    case dist::heavy_tail:
      x = normal(rng) / std::sqrt(chi2(rng) / 2.0);
      break;
    case dist::constant:
      x = 0.0;
      break;
    case dist::uniform:
      x = uni(rng);
      break;
    }
    v[i] = float(center + scale * x);
  }
  return v;
}

inline uint32_t rd32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
inline float rdf(const uint8_t* p) {
  uint32_t u = rd32(p);
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// The scale/offset pairs of a frame, located by the documented layout:
// 12 fixed bytes, then 8 bytes per dimension, then the pairs.
struct pair {
  float scale, offset;
};
inline std::vector<pair> frame_pairs(const std::vector<uint8_t>& f, size_t groups) {
  size_t pos = 12 + 8 * size_t(f[9]);
  std::vector<pair> out;
  for (size_t g = 0; g < groups; ++g, pos += 8) out.push_back({rdf(&f[pos]), rdf(&f[pos + 4])});
  return out;
}

} // namespace codec_test
