#include "cli/run_inputs.hpp"

#include <random>

#include "cli/text_cli.hpp"
#include "codecs/codec.hpp"
#include "ops/idx.hpp"
#include "ops/preprocessing.hpp"
#include "ops/text_data.hpp"
#include "ops/wordpiece.hpp"

namespace edgepipe::cli {
namespace {

// workload.text: text<TAB>label lines tokenized with the model directory's
// vocab.txt into microbatches of token ids with their attention masks.
expected<actors::workload> load_text_workload(const config::topology& topo,
                                              const ops::vit_config& cfg) {
  const auto& w = topo.workload;
  if (!cfg.is_text() || topo.model.is_synthetic())
    return make_error(errc::invalid_input,
                      w.pos.str() +
                          ": a text workload needs a BERT model directory (with "
                          "vocab.txt); this model is " +
                          (topo.model.is_synthetic() ? "synthetic" : ops::to_string(cfg.family)));
  auto tok = ops::wordpiece_tokenizer::load(topo.model.dir);
  if (!tok) return tok.error();
  auto length = text_sequence_length(*tok, cfg, 0);
  if (!length) return length.error();
  std::vector<std::string> names = cfg.labels;
  for (int i = static_cast<int>(names.size()); i < cfg.num_labels; ++i)
    names.push_back(std::to_string(i));
  auto data = ops::read_labeled_tsv(w.text, names, w.count);
  if (!data) return data.error();
  actors::workload work;
  work.microbatch = w.microbatch < 1 ? 1 : w.microbatch;
  work.labels = data->labels;
  const size_t n = data->texts.size(), mb = static_cast<size_t>(work.microbatch);
  for (size_t i = 0; i < n; i += mb) {
    auto batch = ops::encode_texts(*tok, data->texts, i, std::min(mb, n - i), *length);
    if (!batch) return make_error(batch.error().code, w.text + ": " + batch.error().message);
    work.batches.push_back(std::move(batch->ids));
    work.masks.push_back(std::move(batch->mask));
  }
  if (work.batches.empty()) return make_error(errc::invalid_input, w.text + ": no texts to run");
  return work;
}

} // namespace

expected<ops::vit_config> model_config(const config::model_spec& model) {
  if (model.is_synthetic()) return ops::named_vit_config(model.synthetic);
  return ops::read_vit_config(model.dir + "/config.json");
}

expected<actors::workload> load_workload(const config::topology& topo, const ops::vit_config& cfg) {
  const auto& w = topo.workload;
  if (!w.text.empty()) return load_text_workload(topo, cfg);
  ops::tensor images;
  std::vector<int> labels;
  if (w.synthetic) {
    if (w.count <= 0)
      return make_error(errc::invalid_input, "workload: synthetic inputs need a count > 0");
    images = ops::tensor::zeros({w.count, cfg.num_channels, cfg.image_size, cfg.image_size});
    std::mt19937_64 rng(w.seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (float& x : images.data) x = normal(rng);
  } else {
    ops::image_preprocessing prep;
    if (!topo.model.is_synthetic()) {
      auto p = ops::read_preprocessing(topo.model.dir);
      if (!p) return p.error();
      prep = *p;
    }
    auto data = ops::read_idx_dataset(w.dataset, w.split == "train" ? "train" : "t10k", prep,
                                      w.count > 0 ? w.count : -1);
    if (!data) return data.error();
    images = std::move(data->images);
    labels = std::move(data->labels);
  }
  const auto& s = images.shape;
  if (s.size() != 4 || s[1] != cfg.num_channels || s[2] != cfg.image_size || s[3] != cfg.image_size)
    return make_error(errc::invalid_input,
                      "workload images are " + ops::shape_string(s) + " but the model takes [N, " +
                          std::to_string(cfg.num_channels) + ", " + std::to_string(cfg.image_size) +
                          ", " + std::to_string(cfg.image_size) + "]");
  actors::workload work;
  work.microbatch = w.microbatch < 1 ? 1 : w.microbatch;
  work.labels = std::move(labels);
  int64_t n = s[0], per_image = s[1] * s[2] * s[3];
  for (int64_t i = 0; i < n; i += work.microbatch) {
    int64_t b = std::min<int64_t>(work.microbatch, n - i);
    ops::tensor t;
    t.shape = {b, s[1], s[2], s[3]};
    t.data.assign(images.data.begin() + i * per_image, images.data.begin() + (i + b) * per_image);
    work.batches.push_back(std::move(t));
  }
  if (work.batches.empty()) return make_error(errc::invalid_input, "workload: no images to run");
  return work;
}

std::vector<planned_stage> even_split(int layers, size_t nodes) {
  std::vector<planned_stage> out;
  int first = 1;
  for (size_t i = 0; i < nodes; ++i) {
    int n = layers / static_cast<int>(nodes) +
            (static_cast<int>(i) < layers % static_cast<int>(nodes) ? 1 : 0);
    if (n == 0) continue;
    out.push_back(planned_stage{i, first, first + n - 1});
    first += n;
  }
  return out;
}

expected<std::vector<planned_stage>> explicit_partition(const config::topology& topo) {
  std::vector<planned_stage> out;
  for (const auto& st : topo.partition.stages) {
    size_t idx = 0;
    while (idx < topo.nodes.size() && topo.nodes[idx].name != st.node) ++idx;
    if (idx == topo.nodes.size())
      return make_error(errc::invalid_input, st.pos.str() + ": unknown node '" + st.node + "'");
    out.push_back(planned_stage{idx, st.first, st.last});
  }
  return out;
}

namespace {

actors::shaper_spec to_shaper(const config::bandwidth_spec& b) {
  actors::shaper_spec s;
  s.mode = b.kind == config::bandwidth_kind::fixed   ? actors::shaper_spec::fixed
           : b.kind == config::bandwidth_kind::trace ? actors::shaper_spec::trace
                                                     : actors::shaper_spec::unlimited;
  s.mbps = b.mbps;
  for (const auto& p : b.trace) {
    s.trace_s.push_back(p.time_s);
    s.trace_mbps.push_back(p.mbps);
  }
  s.repeat = b.repeat;
  s.repeat_period_s = b.repeat_period_s;
  s.burst_kb = b.burst_kb;
  s.latency_ms = b.latency_ms;
  return s;
}

} // namespace

expected<actors::link_choice> link_choice_for(const config::topology& topo, size_t after_stage,
                                              size_t from, size_t to) {
  auto link = config::settings_for_link(topo, static_cast<int>(after_stage), topo.nodes[from].name,
                                        topo.nodes[to].name);
  auto clip = codecs::parse_clip_method(link.quant.clip);
  if (!clip)
    return make_error(errc::invalid_input, link.quant.pos.str() + ": " + clip.error().message);
  auto gran = codecs::parse_granularity(link.quant.granularity);
  if (!gran)
    return make_error(errc::invalid_input, link.quant.pos.str() + ": " + gran.error().message);
  actors::link_choice c;
  c.out.clip = static_cast<uint8_t>(*clip);
  c.out.gran = static_cast<uint8_t>(*gran);
  c.adaptive = link.quant.mode == config::quant_mode::adaptive;
  c.min_bits = link.quant.min_bits;
  c.max_bits = link.quant.max_bits;
  // An adaptive link starts at its largest bitwidth until it is measured.
  c.out.bits = c.adaptive ? link.quant.max_bits : link.quant.bits;
  c.out.shaper = to_shaper(link.bandwidth);
  return c;
}

actors::stage_spec model_stage_spec(const config::topology& topo) {
  actors::stage_spec spec;
  spec.model_dir = topo.model.is_synthetic() ? "" : topo.model.dir;
  spec.synthetic = topo.model.synthetic;
  spec.seed = topo.model.seed;
  spec.dtype = topo.model.dtype;
  return spec;
}

} // namespace edgepipe::cli
