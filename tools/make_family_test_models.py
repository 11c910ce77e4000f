#!/usr/bin/python3
"""Creates the small Hugging Face DeiT and BERT model directories of
tests/data/deit_configs/ and tests/data/bert_configs/ with PyTorch reference
outputs (tools/pt_deit.py, tools/pt_bert.py: PyTorch's own TransformerEncoderLayer
blocks), for tests/ops/test_families_pytorch.cpp.

Per DeiT directory: config.json, model.safetensors, images.npy [B, C, H, W],
logits.npy, boundary_<l>_main.npy (PyTorch's output of planner layer l, for l
= 4k+2 and 4k+4).
Per BERT directory: config.json, model.safetensors, ids.npy, types.npy and
mask.npy (float32 [B, S]; padded rows end in id 0 with mask 0), logits.npy
(logits, or the pooled output of a BertModel), boundary_<l>_main.npy.

Run: /usr/bin/python3 tools/make_family_test_models.py [OUT_ROOT]
"""

import argparse
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_vit  # noqa: E402  (safetensors and .npy writers only)
import pt_bert  # noqa: E402
import pt_deit  # noqa: E402

BATCH = 3

DEIT = [
    # name, config, safetensors dtype
    ("rgb32_p8_h4_distilled", dict(image_size=32, patch_size=8, num_channels=3, hidden_size=48,
                                   num_attention_heads=4, num_hidden_layers=2,
                                   intermediate_size=72, layer_norm_eps=1e-12, num_labels=10,
                                   distilled=True), "F32"),
    ("gray28_p7_h3", dict(image_size=28, patch_size=7, num_channels=1, hidden_size=36,
                          num_attention_heads=3, num_hidden_layers=1, intermediate_size=50,
                          layer_norm_eps=1e-6, num_labels=5, distilled=False), "F32"),
    ("rgb22_p4_h2_distilled_bf16", dict(image_size=22, patch_size=4, num_channels=3,
                                        hidden_size=40, num_attention_heads=2,
                                        num_hidden_layers=2, intermediate_size=64,
                                        layer_norm_eps=1e-5, num_labels=3, distilled=True),
     "BF16"),
]

BERT = [
    # name, config, safetensors dtype, tensor prefix, sequence lengths of the batch (S = max),
    # token types (second segment from the middle of each sequence) or not
    ("v97_h4_cls_padded", dict(vocab_size=97, max_position_embeddings=40, type_vocab_size=2,
                               hidden_size=48, num_attention_heads=4, num_hidden_layers=2,
                               intermediate_size=72, layer_norm_eps=1e-12, num_labels=3,
                               classifier=True), "F32", "bert.", [11, 7, 3], True),
    ("v50_h3_model_f16", dict(vocab_size=50, max_position_embeddings=16, type_vocab_size=3,
                              hidden_size=36, num_attention_heads=3, num_hidden_layers=1,
                              intermediate_size=50, layer_norm_eps=1e-5, num_labels=2,
                              classifier=False), "F16", "", [9, 9, 4], True),
    ("v120_h1_cls_bf16", dict(vocab_size=120, max_position_embeddings=24, type_vocab_size=2,
                              hidden_size=44, num_attention_heads=1, num_hidden_layers=2,
                              intermediate_size=90, layer_norm_eps=1e-12, num_labels=2,
                              classifier=True), "BF16", "bert.", [16, 16, 16], False),
]


def randomize(model, gen):
    """Scales that keep every parameter visible in the output and attention peaked."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=gen))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
            elif p.dim() == 3 or isinstance(getattr(model, name.split(".")[0], None),
                                            torch.nn.Embedding):
                p.copy_(0.5 * torch.randn(p.shape, generator=gen))  # tokens, tables
            else:
                fan_in = p[0].numel()
                p.copy_(1.5 / math.sqrt(fan_in) * torch.randn(p.shape, generator=gen))


def save_dir(directory, cfg, model, dtype):
    """Writes the model in Hugging Face form, then reloads the stored (rounded) weights."""
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    path = os.path.join(directory, "model.safetensors")
    hf_vit.save_safetensors(model.hf_state_dict(), path, dtype)
    model.load_hf_state_dict(hf_vit.load_safetensors(path))


def save(directory, name, t):
    hf_vit.save_npy(os.path.join(directory, name + ".npy"), t.detach())


def make_deit(root, name, overrides, dtype, seed):
    gen = torch.Generator().manual_seed(seed)
    cfg = pt_deit.make_config(**overrides)
    model = pt_deit.DeiT(cfg)
    randomize(model, gen)
    directory = os.path.join(root, "deit_configs", name)
    save_dir(directory, cfg, model, dtype)
    c, s = cfg["num_channels"], cfg["image_size"]
    images = torch.randn(BATCH, c, s, s, generator=gen)
    logits = model(images)
    save(directory, "images", images)
    save(directory, "logits", logits)
    for layer, t in model.boundaries(images).items():
        save(directory, "boundary_%d_main" % layer, t)
    print("deit %-28s layers %2d  spread %.2f  %s" % (
        name, 4 * cfg["num_hidden_layers"], (logits.max() - logits.min()).item(), dtype))


def make_bert(root, name, overrides, dtype, prefix, lengths, with_types, seed):
    gen = torch.Generator().manual_seed(seed)
    cfg = pt_bert.make_config(**overrides)
    model = pt_bert.Bert(cfg, prefix=prefix)
    randomize(model, gen)
    directory = os.path.join(root, "bert_configs", name)
    save_dir(directory, cfg, model, dtype)
    s = max(lengths)
    ids = torch.zeros(BATCH, s, dtype=torch.long)
    types = torch.zeros(BATCH, s, dtype=torch.long)
    mask = torch.zeros(BATCH, s, dtype=torch.long)
    for b, n in enumerate(lengths):
        ids[b, :n] = torch.randint(1, cfg["vocab_size"], (n,), generator=gen)
        mask[b, :n] = 1
        if with_types:
            types[b, n // 2:n] = torch.randint(0, cfg["type_vocab_size"], (1,), generator=gen)
    out = model(ids, types, mask)
    save(directory, "ids", ids.float())
    save(directory, "types", types.float())
    save(directory, "mask", mask.float())
    save(directory, "logits", out)
    for layer, t in model.boundaries(ids, types, mask).items():
        save(directory, "boundary_%d_main" % layer, t)
    print("bert %-28s layers %2d  spread %.2f  %s  prefix %r" % (
        name, 4 * cfg["num_hidden_layers"], (out.max() - out.min()).item(), dtype, prefix))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(
        description="Create the small DeiT and BERT model directories (with PyTorch reference "
        "outputs) that the C++ family tests compare against.")
    parser.add_argument("out_root", nargs="?", default=os.path.join(here, "..", "tests", "data"),
                        help="where deit_configs/ and bert_configs/ go (default: tests/data)")
    root = parser.parse_args().out_root
    torch.set_num_threads(1)
    for i, (name, overrides, dtype) in enumerate(DEIT):
        make_deit(root, name, overrides, dtype, seed=2000 + i)
    for i, (name, overrides, dtype, prefix, lengths, types) in enumerate(BERT):
        make_bert(root, name, overrides, dtype, prefix, lengths, types, seed=3000 + i)


if __name__ == "__main__":
    main()
