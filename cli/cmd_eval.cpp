// edgepipe eval: top-1 accuracy of a model directory on an IDX data set,
// optionally with the activations quantized at stage boundaries exactly as
// they would cross the network (--split/--cuts with --bits, --clip,
// --granularity; QuantPipe's experiment).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "cli/args.hpp"
#include "cli/command.hpp"
#include "cli/model_cli.hpp"
#include "cli/split_forward.hpp"
#include "cli/text_cli.hpp"
#include "ops/idx.hpp"
#include "ops/preprocessing.hpp"

namespace edgepipe::cli {
namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

// Index of the largest logit of row r (the first on ties); -1 for a NaN row.
int argmax_row(const ops::tensor& logits, int64_t r) {
  const int64_t n = logits.shape[1];
  const float* row = logits.data.data() + r * n;
  int best = 0;
  for (int64_t j = 0; j < n; ++j) {
    if (std::isnan(row[j])) return -1;
    if (row[j] > row[best]) best = static_cast<int>(j);
  }
  return best;
}

// The boundaries and codec settings from --split/--cuts/--bits/--clip/--granularity.
int read_link_options(const args& a, int blocks, cut_list& cuts, codecs::quant_params& q) {
  if (a.has("split") && a.has("cuts")) return a.usage_error("give --split or --cuts, not both");
  if (a.has("split")) {
    int64_t s = 0;
    if (!a.get_int("split", s, 1, blocks)) return exit_usage;
    auto c = even_block_cuts(blocks, static_cast<int>(s));
    if (!c) return a.usage_error(c.error().message);
    cuts = *c;
  } else if (a.has("cuts")) {
    auto c = parse_cuts(a.get("cuts"), 4 * blocks);
    if (!c) return a.usage_error(c.error().message);
    cuts = *c;
  }
  int64_t bits = 0;
  if (!a.get_int("bits", bits, 0, 16)) return exit_usage;
  q.bits = static_cast<int>(bits);
  auto clip = codecs::parse_clip_method(a.get("clip"));
  if (!clip) return a.usage_error("--clip: " + clip.error().message);
  q.clip = *clip;
  auto gran = codecs::parse_granularity(a.get("granularity"));
  if (!gran) return a.usage_error("--granularity: " + gran.error().message);
  q.gran = *gran;
  bool quantizes = q.bits != 0 || a.get("clip") != "none" || a.get("granularity") != "tensor";
  if (quantizes && !a.has("split") && !a.has("cuts"))
    return a.usage_error("--bits/--clip/--granularity act at stage boundaries: give --split S "
                         "or --cuts L1,L2,...");
  return -1;
}

std::string join(const cut_list& cuts) {
  std::string s;
  for (int c : cuts) s += (s.empty() ? "" : ",") + std::to_string(c);
  return s.empty() ? "none" : s;
}

int run_eval(int argc, char** argv) {
  args a("eval", "Top-1 accuracy of a model on an IDX image data set (e.g. Fashion-MNIST as\n"
                 "Debian ships it), preprocessed as DIR/preprocessor_config.json says.\n"
                 "With --split or --cuts the model runs as a pipeline and every tensor\n"
                 "crossing a boundary is encoded and decoded with the wire codec\n"
                 "(--bits 0 = raw float32 frames).");
  a.option("model", "DIR", "model directory (config.json + model.safetensors)", true);
  a.option("data", "DIR|FILE.tsv",
           "images: directory with PREFIX-images-idx3-ubyte[.gz], PREFIX-labels-idx1-ubyte[.gz];\n"
           "BERT: text<TAB>label lines (label: an id2label name or its number)",
           true);
  a.option("prefix", "NAME", "file prefix in DIR: t10k (test set) or train", false, "t10k");
  a.option("limit", "N", "only the first N images (0 = all)", false, "0");
  a.option("microbatch", "N", "images (texts) per forward", false, "8");
  a.option("seq", "S", "BERT: pad/truncate texts to S tokens (default: the model's length)");
  add_model_options(a);
  a.option("split", "S", "S pipeline stages, boundaries at block ends, evenly");
  a.option("cuts", "L1,L2,...", "stage boundaries after these planner layers");
  a.option("bits", "B", "wire bitwidth at every boundary, 0..16 (0 = float32)", false, "0");
  a.option("clip", "METHOD", "clipping: none|aciq|ds-aciq|mse|aciq-gauss", false, "none");
  a.option("granularity", "G", "quantization ranges per tensor or per sample", false, "tensor");
  a.flag("json", "print one JSON object with the results on the last line");
  if (int rc = a.parse(argc, argv); rc >= 0) return rc;

  ops::model_options opts;
  if (int rc = read_model_options(a, opts); rc >= 0) return rc;
  int64_t limit = 0, microbatch = 0;
  if (!a.get_int("limit", limit, 0, int64_t{1} << 40)) return exit_usage;
  if (!a.get_int("microbatch", microbatch, 1, 1 << 16)) return exit_usage;
  const std::string dir = a.get("model");
  auto cfg = ops::read_vit_config(dir + "/config.json");
  if (!cfg) return report(a, cfg.error());
  cut_list cuts;
  codecs::quant_params q;
  if (int rc = read_link_options(a, cfg->num_hidden_layers, cuts, q); rc >= 0) return rc;
  if (cfg->is_text()) return eval_text(a, opts, cuts, q, limit, microbatch);

  auto prep = ops::read_preprocessing(dir);
  if (!prep) return report(a, prep.error());
  auto data = ops::read_idx_dataset(a.get("data"), a.get("prefix"), *prep, limit > 0 ? limit : -1);
  if (!data) return report(a, data.error());
  if (auto ok = check_images(data->images.shape, *cfg); !ok)
    return report(a, make_error(errc::invalid_input, a.get("data") + ": " + ok.error().message));
  for (int label : data->labels)
    if (label >= cfg->num_labels)
      return report(a, make_error(errc::invalid_input,
                                  a.get("data") + ": label " + std::to_string(label) +
                                      " but the model has " + std::to_string(cfg->num_labels)));
  auto model = ops::vit_model::load(dir, opts);
  if (!model) return report(a, model.error());

  const int64_t total = data->images.shape[0];
  const int64_t image_numel = data->images.numel() / total;
  int64_t correct = 0, done = 0;
  link_traffic traffic;
  const auto start = clock_type::now();
  double last_progress = -1;
  const bool tty = ::isatty(2) == 1;
  while (done < total) {
    const int64_t n = std::min(microbatch, total - done);
    ops::tensor batch;
    batch.shape = data->images.shape;
    batch.shape[0] = n;
    auto from = data->images.data.begin() + done * image_numel;
    batch.data.assign(from, from + n * image_numel);
    auto logits = forward_with_cuts(*model, batch, cuts, q, &traffic);
    if (!logits) return report(a, logits.error());
    for (int64_t r = 0; r < n; ++r) correct += argmax_row(*logits, r) == data->labels[done + r];
    done += n;
    // On a terminal one line updated twice a second; in a log a line every 5 s.
    double t = seconds_since(start);
    if (t - last_progress >= (tty ? 0.5 : 5.0) || done == total) {
      std::fprintf(stderr, "%seval: %lld/%lld images, top-1 %.4f, %.1f images/s%s", tty ? "\r" : "",
                   static_cast<long long>(done), static_cast<long long>(total),
                   static_cast<double>(correct) / done, done / std::max(t, 1e-9),
                   tty && done < total ? "" : "\n");
      last_progress = t;
    }
  }
  const double secs = seconds_since(start);
  const double accuracy = static_cast<double>(correct) / total;
  const double rate = total / std::max(secs, 1e-9);

  std::printf("accuracy %.4f (%lld/%lld), %.1f images/s, dtype %s, microbatch %lld", accuracy,
              static_cast<long long>(correct), static_cast<long long>(total), rate,
              ops::to_string(opts.compute), static_cast<long long>(microbatch));
  if (!cuts.empty())
    std::printf(", cuts %s, bits %d, clip %s, granularity %s, %.1f wire bytes/image (%.2fx "
                "smaller than float32)",
                join(cuts).c_str(), q.bits, codecs::to_string(q.clip), codecs::to_string(q.gran),
                static_cast<double>(traffic.bytes) / total,
                traffic.bytes ? static_cast<double>(traffic.raw_bytes) / traffic.bytes : 1.0);
  std::printf("\n");
  if (a.flag_set("json")) {
    nlohmann::json j = eval_json({correct, static_cast<int64_t>(total), secs, opts.compute,
                                  opts.threads, microbatch, cuts, q, traffic});
    std::printf("%s\n", j.dump().c_str());
  }
  return exit_ok;
}

const command_registrar registrar({"eval",
                                   "top-1 accuracy on a data set (optionally with "
                                   "quantized stage boundaries)",
                                   run_eval});

} // namespace
} // namespace edgepipe::cli
