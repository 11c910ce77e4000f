#include "ops/int8_calibrate.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace edgepipe::ops {

expected<int8_calibration> calibrate_int8(vit_model& model, const tensor& images, int64_t batch,
                                          const std::string& source, const std::string& method,
                                          double percentile) {
  if (model.options().compute != dtype::f32 || model.options().first != 1)
    return make_error(errc::invalid_argument,
                      "calibration runs an f32 model that starts at layer 1");
  if (model.config().is_text())
    return make_error(errc::invalid_argument,
                      "int8 is implemented for ViT/DeiT blocks (pre-LN), not for BERT's post-LN "
                      "blocks: nothing to calibrate");
  if (method != "percentile" && method != "max")
    return make_error(errc::invalid_argument,
                      "calibration method must be percentile or max, got " + method);
  if (!(percentile > 0 && percentile <= 100))
    return make_error(errc::invalid_argument, "percentile must be in (0, 100]");
  if (images.shape.size() != 4 || images.shape[0] < 1 || batch < 1)
    return make_error(errc::invalid_input, "calibration wants images [N, C, H, W] and batch >= 1");
  const vit_config& cfg = model.config();
  int8_observer obs(cfg.num_hidden_layers);
  model.set_observer(
      [&](int block, int8_site site, const float* x, int64_t n) { obs.add(block, site, x, n); });
  const int64_t total = images.shape[0], per = images.numel() / total;
  const int last = model.options().last;
  for (int64_t done = 0; done < total;) {
    const int64_t n = std::min(batch, total - done);
    activation a;
    a.main.shape = images.shape;
    a.main.shape[0] = n;
    a.main.data.assign(images.data.begin() + done * per, images.data.begin() + (done + n) * per);
    auto out = model.forward(1, last, a);
    if (!out) {
      model.set_observer({});
      return out.error();
    }
    done += n;
  }
  model.set_observer({});
  return obs.result(total, source, method, percentile);
}

tensor synthetic_images(const vit_config& cfg, int64_t n, uint64_t seed) {
  tensor t = tensor::zeros({n, cfg.num_channels, cfg.image_size, cfg.image_size});
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> noise(0.0f, 0.1f);
  const int64_t s = cfg.image_size;
  size_t i = 0;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t c = 0; c < cfg.num_channels; ++c)
      for (int64_t y = 0; y < s; ++y)
        for (int64_t x = 0; x < s; ++x)
          t.data[i++] =
              0.8f * std::sin(0.07f * float(x + 3 * b) + 0.05f * float(y * (c + 1))) + noise(rng);
  return t;
}

} // namespace edgepipe::ops
