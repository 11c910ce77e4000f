#!/usr/bin/env python3
"""Derive PipeEdge-format profiles of ViT-Base/Large/Huge on EdgePipe's devices.

Starting point: PipeEdge's README gives ViT-Base per-block times at microbatch 8
for the 4 planner layers of a block (MinnowBoard E3845 and RCC-VE C2558). Each
layer of a larger ViT gets the ViT-Base time of the same sublayer scaled by the
ratio of multiply-adds; the patch embedding (in layer 1) and the classifier (in
the last layer) run at their neighbour sublayer's rate. Memory is the float32
parameters of each layer. See README.md beside this script.

Writes models.yml, device_types.yml, devices.yml next to itself.
"""
import os
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
MB = 1024 * 1024  # PipeEdge's scheduler reads mem_MB as 2^20 bytes
LABELS = 1000
IMAGE = 224

MODELS = {
    # name: (hidden D, intermediate I, blocks, patch P)
    'google/vit-base-patch16-224': (768, 3072, 12, 16),
    'google/vit-large-patch16-224': (1024, 4096, 24, 16),
    'google/vit-huge-patch14-224-in21k': (1280, 5120, 32, 14),
}

# PipeEdge README, ViT-Base, microbatch 8, seconds per block sublayer.
BASE_TIMES = {
    'MinnowBoard-E3845': [0.35, 0.08, 0.35, 0.30],
    'RCC-VE-C2558': [0.27, 0.065, 0.28, 0.24],
}
DEVICE_TYPES = {  # mem_MB, bw_Mbps (EdgePipe: 2 GB / 8 GB, 1 Gbit/s)
    'MinnowBoard-E3845': (2048, 1000),
    'RCC-VE-C2558': (8192, 1000),
}
HOSTS = {'MinnowBoard-E3845': 'mb', 'RCC-VE-C2558': 'rcc'}
BATCH = 8


def tokens(p):
    return (IMAGE // p) ** 2 + 1


def sublayer_macs(d, i, t):
    """Multiply-adds per sample of the 4 planner layers of one block."""
    return [3 * t * d * d + 2 * t * t * d,  # LN + QKV + scores + context
            t * d * d,                      # attention output projection + residual
            t * d * i,                      # LN + fc1 + GELU
            t * i * d]                      # fc2 + residual


def embed_macs(d, p):
    return (IMAGE // p) ** 2 * 3 * p * p * d


def head_macs(d):
    return d * LABELS


def layer_params(d, i, t, p, blocks):
    """float32 parameters per planner layer."""
    out = []
    for b in range(blocks):
        attn = 2 * d + 3 * (d * d + d)
        if b == 0:
            attn += 3 * p * p * d + d + d + t * d  # patch conv + bias, CLS, positions
        ffn_out = i * d + d
        if b == blocks - 1:
            ffn_out += 2 * d + d * LABELS + LABELS  # final LN + classifier
        out += [attn, d * d + d, 2 * d + d * i + i, ffn_out]
    return out


def layer_outputs(d, i, t, blocks):
    """Elements per sample leaving each planner layer (main + skip tensors)."""
    out = []
    for _ in range(blocks):
        out += [2 * t * d, t * d, t * i + t * d, t * d]
    out[-1] = LABELS
    return out


def main():
    bd, bi, _, bp = MODELS['google/vit-base-patch16-224']
    base_macs = sublayer_macs(bd, bi, tokens(bp))
    models, dev_types = {}, {}
    for name, (d, i, blocks, p) in MODELS.items():
        t = tokens(p)
        params = layer_params(d, i, t, p, blocks)
        models[name] = {
            'layers': 4 * blocks,
            'mem_MB': [4 * n / MB for n in params],
            'parameters_in': 3 * IMAGE * IMAGE,
            'parameters_out': layer_outputs(d, i, t, blocks),
        }
    for dev, base in BASE_TIMES.items():
        mem, bw = DEVICE_TYPES[dev]
        profiles = {}
        for name, (d, i, blocks, p) in MODELS.items():
            t = tokens(p)
            macs = sublayer_macs(d, i, t)
            block = [base[k] * macs[k] / base_macs[k] for k in range(4)]
            times = block * blocks
            times[0] += base[0] * embed_macs(d, p) / base_macs[0]
            times[-1] += base[3] * head_macs(d) / base_macs[3]
            profiles[name] = [{'batch_size': BATCH, 'dtype': 'torch.float32', 'time_s': times}]
        dev_types[dev] = {'bw_Mbps': bw, 'mem_MB': mem, 'model_profiles': profiles}
    devices = {dev: [f'{HOSTS[dev]}-{k}' for k in range(8)] for dev in DEVICE_TYPES}
    for fname, content in (('models.yml', models), ('device_types.yml', dev_types),
                           ('devices.yml', devices)):
        with open(os.path.join(HERE, fname), 'w', encoding='utf-8') as f:
            yaml.safe_dump(content, f, default_flow_style=None)
    for name in MODELS:
        per_dev = {dev: sum(dev_types[dev]['model_profiles'][name][0]['time_s'])
                   for dev in dev_types}
        mem = sum(models[name]['mem_MB'])
        print(f"{name}: {models[name]['layers']} layers, {mem:.0f} MB, "
              + ", ".join(f"{k} {v:.1f} s" for k, v in per_dev.items()))


if __name__ == '__main__':
    main()
