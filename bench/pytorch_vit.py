#!/usr/bin/python3
"""PyTorch's side of the forward benchmark: the same model shape as
bench_vit_forward (ViT: tools/hf_vit.py, Hugging Face's architecture; DeiT and
BERT: tools/pt_deit.py and tools/pt_bert.py, PyTorch's TransformerEncoderLayer,
which PyTorch runs with its fused inference kernel under no_grad), random
weights, images (or sequences of 128 tokens) per second at a given batch
size, thread count and dtype.

The environment (OPENBLAS_CORETYPE, OPENBLAS_NUM_THREADS) is set by the caller,
bench/vit_vs_pytorch.sh, because OpenBLAS reads it when it is loaded.

  --dtype f32    eager fp32 (Linear layers go to OpenBLAS)
  --dtype bf16   torch.autocast('cpu', dtype=torch.bfloat16) (Linear goes to oneDNN);
                 DeiT, BERT on the fused kernel (no --eager): the model and its
                 input in bfloat16 instead (autocast breaks that kernel in 1.13)
  --eager        DeiT, BERT: nn.TransformerEncoderLayer's plain path (Linear on
                 OpenBLAS) instead of its fused inference kernel (the default)
  --mkldnn       fp32 with Linear layers converted by torch.utils.mkldnn.to_mkldnn,
                 i.e. PyTorch's own oneDNN path for fp32

Prints one JSON object per line: {"batch", "threads", "dtype", "variant",
"images_per_s", "images_per_cpu_s", "seconds_per_batch": [...]}.
"""

import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import hf_vit  # noqa: E402
import pt_bert  # noqa: E402
import pt_deit  # noqa: E402

NAMED = {
    "vit-base": dict(image_size=224, patch_size=16, hidden_size=768, num_attention_heads=12,
                     num_hidden_layers=12, intermediate_size=3072),
    "vit-large": dict(image_size=224, patch_size=16, hidden_size=1024, num_attention_heads=16,
                      num_hidden_layers=24, intermediate_size=4096),
    "deit-base": dict(image_size=224, patch_size=16, hidden_size=768, num_attention_heads=12,
                      num_hidden_layers=12, intermediate_size=3072),
    "bert-base": dict(hidden_size=768, num_attention_heads=12, num_hidden_layers=12,
                      intermediate_size=3072),
}
SEQUENCE = 128  # BERT's tokens per sample, as bench_vit_forward


def make_model(name, overrides, eager):
    """(model, a function batch -> the model's input tuple). eager: DeiT and BERT
    blocks take PyTorch's plain path (an all-zero additive src_mask turns the
    fused inference kernel off) instead of its fused kernel."""
    if name.startswith("vit"):
        cfg = hf_vit.make_config(num_channels=3, num_labels=1000, **overrides)
        model = hf_vit.ViTForImageClassification(cfg)
        size = cfg["image_size"]
        return model.eval(), lambda b: (torch.randn(b, 3, size, size),)

    def blocks(module, x):
        mask = torch.zeros(x.shape[1], x.shape[1], dtype=x.dtype) if eager else None
        for blk in module.blocks:
            x = blk(x, src_mask=mask)
        return x

    if name.startswith("deit"):
        cfg = pt_deit.make_config(num_channels=3, num_labels=1000, layer_norm_eps=1e-12,
                                  distilled=True, **overrides)

        class Run(torch.nn.Module):
            def __init__(self, deit):
                super().__init__()
                self.deit = deit

            def forward(self, images):
                return self.deit.classify(blocks(self.deit, self.deit.embed(images)))

        size = cfg["image_size"]
        return Run(pt_deit.DeiT(cfg)).eval(), lambda b: (torch.randn(b, 3, size, size),)

    cfg = pt_bert.make_config(vocab_size=30522, max_position_embeddings=512, type_vocab_size=2,
                              layer_norm_eps=1e-12, num_labels=2, classifier=False, **overrides)

    class Run(torch.nn.Module):  # every token real: no key padding mask
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, ids):
            return self.bert.head(blocks(self.bert, self.bert.embed(ids, torch.zeros_like(ids))))

    return Run(pt_bert.Bert(cfg)).eval(), \
        lambda b: (torch.randint(0, cfg["vocab_size"], (b, SEQUENCE)),)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="vit-base", choices=sorted(NAMED))
    ap.add_argument("--layers", type=int, default=0, help="blocks to run (0 = all)")
    ap.add_argument("--batch", type=int, nargs="+", default=[1])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--dtype", choices=["f32", "bf16"], default="f32")
    ap.add_argument("--mkldnn", action="store_true")
    ap.add_argument("--eager", action="store_true",
                    help="DeiT, BERT: PyTorch's plain encoder-layer path, not its fused kernel")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs; the best is reported")
    ap.add_argument("--min-seconds", type=float, default=2.0,
                    help="keep repeating until this much time was measured")
    ap.add_argument("--label", default="", help="free text copied into the output")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    overrides = dict(NAMED[args.model])
    if args.layers:
        overrides["num_hidden_layers"] = args.layers
    fused = not args.model.startswith("vit") and not args.eager
    model, make_input = make_model(args.model, overrides, eager=not fused)
    variant = "fused" if fused else "eager"
    autocast = args.dtype == "bf16"
    if autocast and fused:
        # TransformerEncoderLayer's fused kernel fails under autocast in 1.13
        # (float/bfloat16 mix): give it bf16 weights and inputs instead.
        model = model.to(torch.bfloat16)
        autocast = False
        variant = "bf16-weights"
    if args.mkldnn:
        from torch.utils import mkldnn as mkldnn_utils
        model = mkldnn_utils.to_mkldnn(model)
        variant = "mkldnn"
    for batch in args.batch:
        inputs = make_input(batch)
        if args.dtype == "bf16" and not autocast:
            inputs = tuple(t.to(torch.bfloat16) if t.is_floating_point() else t for t in inputs)

        def run():
            with torch.no_grad():
                if autocast:
                    with torch.autocast("cpu", dtype=torch.bfloat16):
                        return model(*inputs)
                return model(*inputs)

        run()  # warm-up: allocations, oneDNN primitive creation
        times, cpu_times = [], []
        while len(times) < args.repeats or sum(times) < args.min_seconds:
            t0, c0 = time.perf_counter(), time.thread_time()
            run()
            times.append(time.perf_counter() - t0)
            cpu_times.append(time.thread_time() - c0)
            if len(times) >= 50:
                break
        best = min(times)
        print(json.dumps({
            "batch": batch, "threads": args.threads, "dtype": args.dtype, "variant": variant,
            "label": args.label, "model": args.model, "coretype": os.environ.get("OPENBLAS_CORETYPE", ""),
            "images_per_s": batch / best, "seconds_per_batch": [round(t, 5) for t in times],
            # CPU time of this thread: with one thread, the work without the
            # time other processes took (a shared machine); meaningless above 1.
            "images_per_cpu_s": batch / min(cpu_times),
        }), flush=True)


if __name__ == "__main__":
    main()
