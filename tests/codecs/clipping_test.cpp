// Clipping methods: none is min/max; aciq is [mean -+ factor * b] cut to the
// data; large negative values clip to the lower bound (not +alpha, the
// PipeEdge bug); ds-aciq recovers the Laplace scale and moves in the right
// direction; mse is at least as good as the others on the real error.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "codec_test_util.hpp"
#include "codecs/aciq.hpp"
#include "codecs/clipping.hpp"
#include "codecs/ds_aciq.hpp"

using namespace edgepipe::codecs;
using codec_test::dist;

namespace {

double mean_of(const std::vector<float>& x) {
  return std::accumulate(x.begin(), x.end(), 0.0) / double(x.size());
}
double mean_abs_dev(const std::vector<float>& x) {
  double m = mean_of(x), s = 0;
  for (float v : x) s += std::fabs(v - m);
  return s / double(x.size());
}
// Real quantization MSE over a range, computed independently here.
double real_mse(const std::vector<float>& x, clip_range r, int bits) {
  double levels = double((1u << bits) - 1), scale = (double(r.hi) - r.lo) / levels, err = 0;
  for (float v : x) {
    double c = std::clamp(double(v), double(r.lo), double(r.hi));
    double q = scale > 0 ? std::round((c - r.lo) / scale) : 0;
    double d = v - (r.lo + q * scale);
    err += d * d;
  }
  return err / double(x.size());
}

} // namespace

TEST(Clipping, NoneIsMinMax) {
  auto x = codec_test::samples(dist::gaussian, 5000, 1);
  auto r = *choose_clip_range(x.data(), x.size(), 4, clip_method::none);
  EXPECT_EQ(r.lo, *std::min_element(x.begin(), x.end()));
  EXPECT_EQ(r.hi, *std::max_element(x.begin(), x.end()));
}

TEST(Clipping, AciqIsSymmetricAroundTheMean) {
  auto x = codec_test::samples(dist::laplace, 20000, 2, 3.0f, 1.5f);
  for (int bits : {2, 4, 8}) {
    double m = mean_of(x), b = mean_abs_dev(x), alpha = laplace_clip_factor(bits) * b;
    auto r = *choose_clip_range(x.data(), x.size(), bits, clip_method::aciq);
    double lo = std::max(double(*std::min_element(x.begin(), x.end())), m - alpha);
    double hi = std::min(double(*std::max_element(x.begin(), x.end())), m + alpha);
    EXPECT_NEAR(r.lo, lo, 1e-4 * alpha) << bits;
    EXPECT_NEAR(r.hi, hi, 1e-4 * alpha) << bits;
  }
  // 2 bits: alpha = 2.83 b, well inside the data on both sides.
  auto r = *choose_clip_range(x.data(), x.size(), 2, clip_method::aciq);
  EXPECT_NEAR(0.5 * (double(r.lo) + r.hi), mean_of(x), 1e-3);
}

TEST(Clipping, LargeNegativeValuesClipToTheLowerBound) {
  auto x = codec_test::samples(dist::laplace, 4096, 3, 0.0f, 1.0f);
  x[100] = -500.0f; // PipeEdge's clamp once sent this to +alpha
  x[200] = 400.0f;
  for (clip_method m : {clip_method::aciq, clip_method::ds_aciq, clip_method::aciq_gauss,
                        clip_method::mse, clip_method::ds_aciq_laplace}) {
    auto f = encode(x.data(), {4096}, {3, m, granularity::tensor});
    ASSERT_TRUE(f);
    auto d = decode(f->data(), f->size());
    ASSERT_TRUE(d);
    float lo = *std::min_element(d->data.begin(), d->data.end());
    float hi = *std::max_element(d->data.begin(), d->data.end());
    EXPECT_EQ(d->data[100], lo) << to_string(m);
    EXPECT_LT(d->data[100], 0.0f) << to_string(m);
    EXPECT_NEAR(d->data[200], hi, 1e-5) << to_string(m);
    EXPECT_GT(-lo, 1.0f) << to_string(m); // really clipped, and not to a tiny range
    EXPECT_LT(-lo, 100.0f) << to_string(m);
  }
}

TEST(Clipping, DsAciqRecoversALaplaceScale) {
  auto x = codec_test::samples(dist::laplace, 200000, 4, 1.0f, 0.7f);
  float m = float(mean_of(x));
  for (bool laplace_only : {true, false}) {
    ds_aciq_fit fit = ds_aciq_search(x.data(), x.size(), m, mean_abs_dev(x), 1.0, laplace_only);
    EXPECT_EQ(fit.family, prior_family::laplace);
    EXPECT_NEAR(fit.scale, 0.7, 0.7 * 0.05);
    EXPECT_LE(fit.fit_error, fit.fit_error0);
  }
}

TEST(Clipping, DsAciqSearchesDownForSharpData) {
  // 98% Laplace(0.2) + 2% wide outliers: the mean deviation over-estimates b.
  auto body = codec_test::samples(dist::laplace, 98000, 5, 0.0f, 0.2f);
  auto wide = codec_test::samples(dist::gaussian, 2000, 6, 0.0f, 20.0f);
  body.insert(body.end(), wide.begin(), wide.end());
  double b0 = mean_abs_dev(body);
  for (bool laplace_only : {true, false}) { // both variants agree here: the paper's case
    ds_aciq_fit fit =
        ds_aciq_search(body.data(), body.size(), float(mean_of(body)), b0, 3.0, laplace_only);
    EXPECT_EQ(fit.family, prior_family::laplace);
    EXPECT_EQ(fit.direction, -1);
    EXPECT_LT(fit.scale, 0.7 * b0);
    EXPECT_NEAR(fit.scale, 0.2, 0.2 * 0.25); // close to the body's scale
    EXPECT_LT(fit.fit_error, fit.fit_error0);
  }
}

TEST(Clipping, DsAciqOnFlatData) {
  // A Gaussian's peak is lower than the Laplace with its mean deviation. The
  // paper's search widens b; the refined one switches to the Gaussian family
  // and finds sigma.
  auto x = codec_test::samples(dist::gaussian, 100000, 7, 0.0f, 1.5f);
  double b0 = mean_abs_dev(x), m = mean_of(x), sigma = 0;
  for (float v : x) sigma += (v - m) * (v - m);
  sigma = std::sqrt(sigma / double(x.size()));
  ds_aciq_fit paper = ds_aciq_search(x.data(), x.size(), float(m), b0, sigma, true);
  EXPECT_EQ(paper.family, prior_family::laplace);
  EXPECT_EQ(paper.direction, +1);
  EXPECT_GT(paper.scale, b0);
  ds_aciq_fit refined = ds_aciq_search(x.data(), x.size(), float(m), b0, sigma, false);
  EXPECT_EQ(refined.family, prior_family::gaussian);
  EXPECT_NEAR(refined.scale, 1.5, 1.5 * 0.05);
  // ... and so clips close to the Gaussian optimum, with a lower real error.
  for (int bits : {2, 3, 4}) {
    double e_paper = real_mse(
        x, *choose_clip_range(x.data(), x.size(), bits, clip_method::ds_aciq_laplace), bits);
    double e_refined =
        real_mse(x, *choose_clip_range(x.data(), x.size(), bits, clip_method::ds_aciq), bits);
    EXPECT_LT(e_refined, e_paper) << "bits=" << bits;
  }
}

TEST(Clipping, MseIsTheBestOnTheRealError) {
  for (dist d : {dist::laplace, dist::gaussian, dist::heavy_tail}) {
    auto x = codec_test::samples(d, 30000, 8);
    for (int bits : {2, 3, 4, 6, 8}) {
      double best = 1e300, mse = 0;
      for (clip_method m :
           {clip_method::none, clip_method::aciq, clip_method::ds_aciq, clip_method::aciq_gauss,
            clip_method::mse, clip_method::ds_aciq_laplace}) {
        double e = real_mse(x, *choose_clip_range(x.data(), x.size(), bits, m), bits);
        if (m == clip_method::mse)
          mse = e;
        else
          best = std::min(best, e);
      }
      EXPECT_LE(mse, best * 1.02) << codec_test::name(d) << " bits=" << bits;
    }
  }
}

TEST(Clipping, ClippingBeatsMinMaxOnHeavyTailsAtLowBits) {
  auto x = codec_test::samples(dist::heavy_tail, 30000, 9);
  for (int bits : {2, 3, 4}) {
    double none =
        real_mse(x, *choose_clip_range(x.data(), x.size(), bits, clip_method::none), bits);
    for (clip_method m : {clip_method::aciq, clip_method::ds_aciq, clip_method::ds_aciq_laplace})
      EXPECT_LT(real_mse(x, *choose_clip_range(x.data(), x.size(), bits, m), bits), none)
          << to_string(m) << " bits=" << bits;
  }
}
