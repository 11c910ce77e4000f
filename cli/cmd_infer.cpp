// edgepipe infer: runs the model (or a range of its planner layers) on a .npy
// batch and writes the result as .npy.
//
// A boundary inside a residual block (after planner layer 4k+1 or 4k+3)
// carries two tensors (see ops/activation.hpp). Then the second one, the
// residual stream, goes to a file beside the main one: Y.npy -> Y.skip.npy.
// Reading works the same way: with --layers A:B where layer A-1's boundary
// carries a skip tensor, X.skip.npy is read next to X.npy.
#include <iostream>
#include <string>

#include "cli/args.hpp"
#include "cli/command.hpp"
#include "cli/model_cli.hpp"
#include "cli/text_cli.hpp"
#include "ops/layer_descriptor.hpp"
#include "ops/npy.hpp"
#include "ops/vit_model.hpp"

namespace edgepipe::cli {
namespace {

int run_infer(int argc, char** argv) {
  args a("infer", "Run the model on a float32 NCHW batch (.npy) and write the logits\n"
                  "[N, labels] (or, with --layers, the tensor after the last layer) as .npy.\n"
                  "A boundary inside a residual block also carries the residual stream:\n"
                  "it is written to (and read from) a second file, Y.npy -> Y.skip.npy.");
  a.option("model", "DIR", "model directory (config.json + model.safetensors)", true);
  a.option("input", "X.npy", "input: images [N, C, H, W], or layer A's input with --layers");
  a.option("output", "Y.npy", "output file (with --text: optional, the logits [N, labels])");
  a.option("layers", "A:B", "run only planner layers A..B (1-based, inclusive)");
  a.option("text", "FILE",
           "BERT: UTF-8 text, one text a line, tokenized with DIR/vocab.txt; prints\n"
           "<label><TAB><probability> per line");
  a.option("seq", "S", "BERT: pad/truncate texts to S tokens (default: the model's length)");
  add_model_options(a);
  if (int rc = a.parse(argc, argv); rc >= 0) return rc;

  ops::model_options opts;
  if (int rc = read_model_options(a, opts); rc >= 0) return rc;
  if (a.has("text")) {
    if (a.has("input") || a.has("layers"))
      return a.usage_error("--text runs the whole model on texts: no --input or --layers");
    return infer_text(a, opts);
  }
  if (!a.has("input") || !a.has("output"))
    return a.usage_error("give --input X.npy and --output Y.npy (or --text FILE for a BERT)");
  auto cfg = ops::read_vit_config(a.get("model") + "/config.json");
  if (!cfg) return report(a, cfg.error());
  int first = 1, last = cfg->planner_layers();
  if (a.has("layers")) {
    if (int rc = parse_layer_range(a, a.get("layers"), cfg->planner_layers(), first, last); rc >= 0)
      return rc;
  }
  opts.first = first;
  opts.last = last;

  ops::activation src;
  auto main = ops::read_npy(a.get("input"));
  if (!main) return report(a, main.error());
  src.main = std::move(*main);
  const ops::model_descriptor desc = ops::model_descriptor::vit(*cfg);
  if (first > 1 && desc.layer(first - 1).has_skip()) {
    std::string skip_path = skip_file(a.get("input"));
    auto skip = ops::read_npy(skip_path);
    if (!skip)
      return report(a, make_error(skip.error().code,
                                  "layer " + std::to_string(first) +
                                      " also takes the residual stream: " + skip.error().message));
    src.skip = std::move(*skip);
  }
  if (first == 1) {
    if (auto ok = check_images(src.main.shape, *cfg); !ok)
      return report(a, make_error(ok.error().code, a.get("input") + ": " + ok.error().message));
  }

  auto model = ops::vit_model::load(a.get("model"), opts);
  if (!model) return report(a, model.error());
  auto out = model->forward(first, last, src);
  if (!out) {
    // A shape the layer does not take is the input file's fault: say which file.
    if (out.error().code == errc::invalid_input)
      return report(a,
                    make_error(errc::invalid_input, a.get("input") + ": " + out.error().message));
    return report(a, out.error());
  }

  if (auto w = ops::write_npy(a.get("output"), out->main); !w) return report(a, w.error());
  if (out->has_skip()) {
    std::string skip_path = skip_file(a.get("output"));
    if (auto w = ops::write_npy(skip_path, out->skip); !w) return report(a, w.error());
    std::cerr << "edgepipe infer: layer " << last << "'s boundary splits a residual block: wrote "
              << skip_path << " too\n";
  }
  return exit_ok;
}

const command_registrar registrar({"infer", "run the model on a .npy batch", run_infer});

} // namespace
} // namespace edgepipe::cli
