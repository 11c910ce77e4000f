#!/usr/bin/python3
"""Creates the small Hugging Face ViT model directories of tests/data/vit_configs/
with PyTorch reference outputs, for the C++ forward tests (tests/ops/test_vit_*.cpp).

Each configuration differs from the shipped model and from the others in
image/patch size (one leaves pixels over), channel count, head count and head
size, intermediate size, eps and label count; none is a multiple of 16
throughout. Weights are random with scales chosen so that attention is far
from uniform and every parameter (LayerNorm included) matters.

Per configuration directory:
  config.json, model.safetensors   the model (one of them stored as F16, one as BF16)
  images.npy                       float32 [B, C, H, W], B = 3
  logits.npy                       PyTorch's logits [B, labels]
  boundary_<l>_main.npy            PyTorch's output of planner layer l (1-based)
  boundary_<l>_skip.npy            its residual input when layer l splits a block

Run: /usr/bin/python3 tools/make_test_models.py [OUT_DIR]
"""

import argparse
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_vit  # noqa: E402

CONFIGS = [
    # name, config, safetensors dtype, boundaries saved
    ("gray30_p5_h5", dict(image_size=30, patch_size=5, num_channels=1, hidden_size=40,
                          num_attention_heads=5, num_hidden_layers=2, intermediate_size=70,
                          layer_norm_eps=1e-6, num_labels=7), "F32", [1, 3, 4, 5]),
    ("rgb32_p8_h4", dict(image_size=32, patch_size=8, num_channels=3, hidden_size=48,
                         num_attention_heads=4, num_hidden_layers=3, intermediate_size=72,
                         layer_norm_eps=1e-12, num_labels=10), "F32", [2, 7, 9]),
    ("rgb28_p6_h3_f16", dict(image_size=28, patch_size=6, num_channels=3, hidden_size=36,
                             num_attention_heads=3, num_hidden_layers=1, intermediate_size=50,
                             layer_norm_eps=1e-5, num_labels=3), "F16", [1, 2, 3]),
    ("gray24_p4_h1_bf16", dict(image_size=24, patch_size=4, num_channels=1, hidden_size=44,
                               num_attention_heads=1, num_hidden_layers=2, intermediate_size=90,
                               layer_norm_eps=1e-12, num_labels=2), "BF16", [4, 6]),
    ("rgb20_p2_h11", dict(image_size=20, patch_size=2, num_channels=3, hidden_size=33,
                          num_attention_heads=11, num_hidden_layers=1, intermediate_size=17,
                          layer_norm_eps=1e-3, num_labels=5), "F32", [3]),
]
BATCH = 3


def randomize(model, gen):
    """Weights with scales that keep every part of the network visible in the output."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "layernorm" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=gen))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
            elif "cls_token" in name or "position_embeddings" in name:
                p.copy_(0.5 * torch.randn(p.shape, generator=gen))
            else:  # weights: fan-in scaling, a bit larger so attention is peaked
                fan_in = p[0].numel()
                p.copy_(1.5 / math.sqrt(fan_in) * torch.randn(p.shape, generator=gen))


def make(out_dir, name, overrides, dtype, boundaries, seed):
    gen = torch.Generator().manual_seed(seed)
    labels = ["class_%d" % i for i in range(overrides["num_labels"])]
    cfg = hf_vit.make_config(labels=labels, **overrides)
    model = hf_vit.ViTForImageClassification(cfg)
    randomize(model, gen)
    directory = os.path.join(out_dir, name)
    hf_vit.save_model_dir(model, cfg, directory, dtype=dtype)
    # The reference runs on the weights as stored (F16/BF16 rounding included).
    model, _ = hf_vit.load_model_dir(directory)
    c, s = cfg["num_channels"], cfg["image_size"]
    images = torch.randn(BATCH, c, s, s, generator=gen)
    out = hf_vit.planner_boundaries(model, images)
    with torch.no_grad():
        logits = model(images)
    assert torch.equal(logits, out[-1][0])
    hf_vit.save_npy(os.path.join(directory, "images.npy"), images)
    hf_vit.save_npy(os.path.join(directory, "logits.npy"), logits)
    for layer in boundaries:
        main, skip = out[layer]
        hf_vit.save_npy(os.path.join(directory, "boundary_%d_main.npy" % layer), main)
        if skip is not None:
            hf_vit.save_npy(os.path.join(directory, "boundary_%d_skip.npy" % layer), skip)
    spread = (logits.max() - logits.min()).item()
    print("%-20s layers %2d  logits spread %.2f  %s" % (name, 4 * cfg["num_hidden_layers"],
                                                         spread, dtype))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(
        description="Create the small ViT model directories (with PyTorch reference outputs) "
        "that the C++ forward tests compare against.")
    parser.add_argument("out_dir", nargs="?",
                        default=os.path.join(here, "..", "tests", "data", "vit_configs"),
                        help="where the model directories go (default: tests/data/vit_configs)")
    out_dir = parser.parse_args().out_dir
    torch.set_num_threads(1)
    for i, (name, overrides, dtype, boundaries) in enumerate(CONFIGS):
        make(out_dir, name, overrides, dtype, boundaries, seed=1000 + i)


if __name__ == "__main__":
    main()
