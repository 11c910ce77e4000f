// Text inference for a BERT model directory (see text_cli.hpp).
#include "cli/text_cli.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/model_cli.hpp"
#include "ops/npy.hpp"

namespace edgepipe::cli {

expected<int> text_sequence_length(const ops::wordpiece_tokenizer& tok,
                                   const ops::model_config& cfg, int64_t requested) {
  int64_t length = requested > 0                        ? requested
                   : tok.options().model_max_length > 0 ? tok.options().model_max_length
                                                        : cfg.max_position_embeddings;
  if (length < 2 || length > cfg.max_position_embeddings)
    return make_error(errc::invalid_argument, "sequence length " + std::to_string(length) +
                                                  " must be 2.." +
                                                  std::to_string(cfg.max_position_embeddings) +
                                                  " (the model's max_position_embeddings)");
  return static_cast<int>(length);
}

expected<ops::tensor> forward_text_with_cuts(ops::model& model, const ops::text_batch& batch,
                                             const cut_list& cuts,
                                             const codecs::quant_params& params,
                                             link_traffic* traffic) {
  ops::activation act;
  act.main = batch.ids;
  act.mask = batch.mask;
  int first = 1;
  for (size_t i = 0; i <= cuts.size(); ++i) {
    const int last = i < cuts.size() ? cuts[i] : model.num_layers();
    auto out = model.forward(first, last, act);
    if (!out) return out.error();
    if (i == cuts.size()) return std::move(out->main);
    ops::tensor mask = out->mask; // crosses the link as it is: exact 0/1
    out->mask = ops::tensor{};
    if (traffic) { // counted as float32 on the wire and in the raw size alike
      traffic->bytes += 4 * static_cast<uint64_t>(mask.numel());
      traffic->raw_bytes += 4 * static_cast<uint64_t>(mask.numel());
    }
    auto crossed = cross_link(*out, params, traffic);
    if (!crossed) return crossed.error();
    act = std::move(*crossed);
    act.mask = std::move(mask);
    first = last + 1;
  }
  return make_error(errc::internal, "unreachable");
}

int infer_text(const args& a, const ops::model_options& opts) {
  const std::string dir = a.get("model");
  auto model = ops::model::load(dir, opts);
  if (!model) return report(a, model.error());
  const ops::model_config& cfg = model->config();
  if (!cfg.is_text())
    return report(a, make_error(errc::invalid_argument,
                                dir + " is a " + ops::to_string(cfg.family) +
                                    " model: --text needs a BERT (give --input X.npy)"));
  auto tok = ops::wordpiece_tokenizer::load(dir);
  if (!tok) return report(a, tok.error());
  int64_t seq = 0;
  if (a.has("seq") && !a.get_int("seq", seq, 2, 1 << 20)) return exit_usage;
  auto length = text_sequence_length(*tok, cfg, seq);
  if (!length) return report(a, length.error());
  auto texts = ops::read_text_lines(a.get("text"));
  if (!texts) return report(a, texts.error());
  if (texts->empty())
    return report(a, make_error(errc::invalid_input, a.get("text") + ": no lines"));
  if (!cfg.classifier && !a.has("output"))
    return a.usage_error("a BertModel outputs pooled vectors, not labels: give --output Y.npy");

  const size_t n = texts->size(), width = static_cast<size_t>(cfg.output_size());
  ops::tensor logits = ops::tensor::zeros({static_cast<int64_t>(n), cfg.output_size()});
  const size_t microbatch = 16;
  for (size_t i = 0; i < n; i += microbatch) {
    const size_t b = std::min(microbatch, n - i);
    auto batch = ops::encode_texts(*tok, *texts, i, b, *length);
    if (!batch)
      return report(a,
                    make_error(batch.error().code, a.get("text") + ": " + batch.error().message));
    auto out = forward_text_with_cuts(*model, *batch, {}, codecs::quant_params{});
    if (!out) return report(a, out.error());
    std::copy(out->data.begin(), out->data.end(), logits.data.begin() + i * width);
  }
  for (size_t r = 0; cfg.classifier && r < n; ++r) {
    const float* row = logits.data.data() + r * width;
    const size_t best = std::max_element(row, row + width) - row;
    double sum = 0;
    for (size_t j = 0; j < width; ++j) sum += std::exp(static_cast<double>(row[j] - row[best]));
    const std::string name = best < cfg.labels.size() ? cfg.labels[best] : std::to_string(best);
    std::printf("%s\t%.4f\n", name.c_str(), 1.0 / sum);
  }
  if (a.has("output"))
    if (auto w = ops::write_npy(a.get("output"), logits); !w) return report(a, w.error());
  return exit_ok;
}

int eval_text(const args& a, const ops::model_options& opts, const cut_list& cuts,
              const codecs::quant_params& q, int64_t limit, int64_t microbatch) {
  const std::string dir = a.get("model");
  auto model = ops::model::load(dir, opts);
  if (!model) return report(a, model.error());
  const ops::model_config& cfg = model->config();
  if (!cfg.classifier)
    return report(a, make_error(errc::invalid_argument,
                                dir + " is a BertModel without a classifier: nothing to score"));
  auto tok = ops::wordpiece_tokenizer::load(dir);
  if (!tok) return report(a, tok.error());
  int64_t seq = 0;
  if (a.has("seq") && !a.get_int("seq", seq, 2, 1 << 20)) return exit_usage;
  auto length = text_sequence_length(*tok, cfg, seq);
  if (!length) return report(a, length.error());
  std::vector<std::string> names = cfg.labels;
  for (int i = static_cast<int>(names.size()); i < cfg.num_labels; ++i)
    names.push_back(std::to_string(i));
  auto data = ops::read_labeled_tsv(a.get("data"), names, limit);
  if (!data) return report(a, data.error());
  if (data->texts.empty())
    return report(a, make_error(errc::invalid_input, a.get("data") + ": no lines"));

  const size_t total = data->texts.size();
  int64_t correct = 0;
  link_traffic traffic;
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < total; i += static_cast<size_t>(microbatch)) {
    const size_t b = std::min(static_cast<size_t>(microbatch), total - i);
    auto batch = ops::encode_texts(*tok, data->texts, i, b, *length);
    if (!batch)
      return report(a,
                    make_error(batch.error().code, a.get("data") + ": " + batch.error().message));
    auto logits = forward_text_with_cuts(*model, *batch, cuts, q, &traffic);
    if (!logits) return report(a, logits.error());
    const int64_t width = logits->shape[1];
    for (size_t r = 0; r < b; ++r) {
      const float* row = logits->data.data() + r * width;
      correct += (std::max_element(row, row + width) - row) == data->labels[i + r];
    }
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double accuracy = static_cast<double>(correct) / total;
  const double rate = total / std::max(secs, 1e-9);
  std::printf("accuracy %.4f (%lld/%zu), %.1f texts/s, sequence length %d, dtype %s, "
              "microbatch %lld",
              accuracy, static_cast<long long>(correct), total, rate, *length,
              ops::to_string(opts.compute), static_cast<long long>(microbatch));
  if (!cuts.empty())
    std::printf(", bits %d, clip %s, %.1f wire bytes/text (%.2fx smaller than float32)", q.bits,
                codecs::to_string(q.clip), static_cast<double>(traffic.bytes) / total,
                traffic.bytes ? static_cast<double>(traffic.raw_bytes) / traffic.bytes : 1.0);
  std::printf("\n");
  if (a.flag_set("json")) {
    nlohmann::json j = eval_json({correct, static_cast<int64_t>(total), secs, opts.compute,
                                  opts.threads, microbatch, cuts, q, traffic});
    j["texts"] = total;
    j["sequence_length"] = *length;
    std::printf("%s\n", j.dump().c_str());
  }
  return exit_ok;
}

} // namespace edgepipe::cli
