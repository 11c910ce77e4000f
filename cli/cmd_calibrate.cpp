// edgepipe calibrate: the activation ranges of the int8 dtype. Runs the f32
// model on the first N images of a data set (the TRAIN split: the test split
// measures accuracy and must not choose the ranges) and writes
// DIR/int8_calibration.json, which `--dtype int8` reads, so that every int8
// run of the model quantizes the same way.
#include <cstdio>

#include "cli/args.hpp"
#include "cli/command.hpp"
#include "cli/model_cli.hpp"
#include "ops/idx.hpp"
#include "ops/int8_calibrate.hpp"
#include "ops/preprocessing.hpp"

namespace edgepipe::cli {
namespace {

int run_calibrate(int argc, char** argv) {
  args a("calibrate", "Choose the int8 activation ranges of a model from the first N images of\n"
                      "an IDX data set (the train split) and write DIR/int8_calibration.json.");
  a.option("model", "DIR", "model directory (config.json + model.safetensors)", true);
  a.option("data", "DIR", "directory with PREFIX-images-idx3-ubyte[.gz]", true);
  a.option("prefix", "NAME", "file prefix in DIR (calibrate on training images)", false, "train");
  a.option("images", "N", "calibration images (the first N)", false, "512");
  a.option("microbatch", "B", "images per forward", false, "16");
  a.option("method", "M", "percentile (of |x|) or max", false, "percentile");
  a.option("percentile", "P", "percentile of |x| mapped to 127", false, "99.99");
  a.option("threads", "N", "oneDNN threads", false, "1");
  a.option("out", "FILE", "output (default DIR/int8_calibration.json)");
  if (int rc = a.parse(argc, argv); rc >= 0) return rc;
  int64_t images = 0, batch = 0, threads = 0;
  double percentile = 0;
  if (!a.get_int("images", images, 1, 1 << 20) || !a.get_int("microbatch", batch, 1, 4096) ||
      !a.get_int("threads", threads, 0, 1024) || !a.get_double("percentile", percentile))
    return exit_usage;
  const std::string dir = a.get("model");
  auto prep = ops::read_preprocessing(dir);
  if (!prep) return report(a, prep.error());
  auto data = ops::read_idx_dataset(a.get("data"), a.get("prefix"), *prep, images);
  if (!data) return report(a, data.error());
  ops::model_options opts;
  opts.threads = static_cast<int>(threads);
  auto model = ops::vit_model::load(dir, opts);
  if (!model) return report(a, model.error());
  if (auto ok = check_images(data->images.shape, model->config()); !ok)
    return report(a, make_error(errc::invalid_input, a.get("data") + ": " + ok.error().message));
  const int64_t n = data->images.shape[0];
  const std::string source = a.get("prefix") + "[0:" + std::to_string(n) + "]";
  auto calib =
      ops::calibrate_int8(*model, data->images, batch, source, a.get("method"), percentile);
  if (!calib) return report(a, calib.error());
  const std::string out = a.has("out") ? a.get("out") : ops::int8_calibration_path(dir);
  if (auto ok = ops::write_int8_calibration(out, *calib); !ok) return report(a, ok.error());
  std::printf("calibrated %lld images (%s, %s): wrote %s\n", static_cast<long long>(n),
              source.c_str(), a.get("method").c_str(), out.c_str());
  return exit_ok;
}

const command_registrar registrar({"calibrate", "int8 activation ranges from training images",
                                   run_calibrate});

} // namespace
} // namespace edgepipe::cli
