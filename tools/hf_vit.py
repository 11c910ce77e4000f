"""A plain PyTorch ViTForImageClassification (Hugging Face's architecture and
state_dict names), written from the architecture because `transformers` is not
installed here. Forward only matters for the references; training works too.

Importable with no side effects:

    sys.path.insert(0, "tools"); import hf_vit
    cfg = hf_vit.make_config(image_size=28, patch_size=7, num_channels=1, ...)
    model = hf_vit.ViTForImageClassification(cfg)
    hf_vit.save_model_dir(model, cfg, "examples/models/fashion-vit")

The model directory is what a Hugging Face download holds: config.json plus
model.safetensors. The safetensors file is written by hand (8-byte little-
endian header length, JSON header, raw little-endian bytes) so no extra
package is needed.
"""

import json
import math
import os
import struct

import numpy as np
import torch
from torch import nn

__all__ = [
    "make_config",
    "ViTForImageClassification",
    "save_model_dir",
    "load_model_dir",
    "save_safetensors",
    "load_safetensors",
    "save_npy",
    "planner_boundaries",
]


def make_config(image_size=224, patch_size=16, num_channels=3, hidden_size=768,
                num_attention_heads=12, num_hidden_layers=12, intermediate_size=3072,
                layer_norm_eps=1e-12, num_labels=1000, labels=None):
    """A config dict in Hugging Face config.json form."""
    if labels is None:
        labels = ["LABEL_%d" % i for i in range(num_labels)]
    assert len(labels) == num_labels
    return {
        "architectures": ["ViTForImageClassification"],
        "model_type": "vit",
        "image_size": image_size,
        "patch_size": patch_size,
        "num_channels": num_channels,
        "hidden_size": hidden_size,
        "num_attention_heads": num_attention_heads,
        "num_hidden_layers": num_hidden_layers,
        "intermediate_size": intermediate_size,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.0,
        "attention_probs_dropout_prob": 0.0,
        "initializer_range": 0.02,
        "layer_norm_eps": layer_norm_eps,
        "qkv_bias": True,
        "id2label": {str(i): name for i, name in enumerate(labels)},
        "label2id": {name: i for i, name in enumerate(labels)},
    }


class ViTPatchEmbeddings(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.projection = nn.Conv2d(cfg["num_channels"], cfg["hidden_size"],
                                    kernel_size=cfg["patch_size"], stride=cfg["patch_size"])

    def forward(self, pixel_values):
        # [B, D, H/p, W/p] -> [B, N, D]; patches in row-major order.
        return self.projection(pixel_values).flatten(2).transpose(1, 2)


class ViTEmbeddings(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        grid = cfg["image_size"] // cfg["patch_size"]
        d = cfg["hidden_size"]
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.position_embeddings = nn.Parameter(torch.zeros(1, grid * grid + 1, d))
        self.patch_embeddings = ViTPatchEmbeddings(cfg)

    def forward(self, pixel_values):
        x = self.patch_embeddings(pixel_values)
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        return torch.cat([cls, x], dim=1) + self.position_embeddings


class ViTSelfAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["hidden_size"]
        self.heads = cfg["num_attention_heads"]
        self.head_dim = d // self.heads
        inner = self.heads * self.head_dim
        self.query = nn.Linear(d, inner)
        self.key = nn.Linear(d, inner)
        self.value = nn.Linear(d, inner)

    def split(self, x):
        b, t, _ = x.shape
        return x.view(b, t, self.heads, self.head_dim).permute(0, 2, 1, 3)

    def forward(self, x):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        probs = torch.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        return ctx.view(ctx.shape[0], ctx.shape[1], -1)


class ViTSelfOutput(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["hidden_size"]
        self.dense = nn.Linear((d // cfg["num_attention_heads"]) * cfg["num_attention_heads"], d)

    def forward(self, x):
        return self.dense(x)


class ViTAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.attention = ViTSelfAttention(cfg)
        self.output = ViTSelfOutput(cfg)


class ViTIntermediate(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.dense = nn.Linear(cfg["hidden_size"], cfg["intermediate_size"])

    def forward(self, x):
        return nn.functional.gelu(self.dense(x))  # exact erf GELU, as HF "gelu"


class ViTOutput(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.dense = nn.Linear(cfg["intermediate_size"], cfg["hidden_size"])

    def forward(self, x):
        return self.dense(x)


class ViTLayer(nn.Module):
    """One pre-norm block; its forward is split into PipeEdge's 4 planner layers."""

    def __init__(self, cfg):
        super().__init__()
        d, eps = cfg["hidden_size"], cfg["layer_norm_eps"]
        self.layernorm_before = nn.LayerNorm(d, eps=eps)
        self.attention = ViTAttention(cfg)
        self.layernorm_after = nn.LayerNorm(d, eps=eps)
        self.intermediate = ViTIntermediate(cfg)
        self.output = ViTOutput(cfg)

    def part1(self, x):  # LN + self-attention -> (context, skip)
        return self.attention.attention(self.layernorm_before(x)), x

    def part2(self, ctx, skip):  # out projection + residual
        return self.attention.output(ctx) + skip

    def part3(self, x):  # LN + fc1 + GELU -> (fc1 output, skip)
        return self.intermediate(self.layernorm_after(x)), x

    def part4(self, h, skip):  # fc2 + residual
        return self.output(h) + skip

    def forward(self, x):
        x = self.part2(*self.part1(x))
        return self.part4(*self.part3(x))


class ViTEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.layer = nn.ModuleList([ViTLayer(cfg) for _ in range(cfg["num_hidden_layers"])])


class ViTModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embeddings = ViTEmbeddings(cfg)
        self.encoder = ViTEncoder(cfg)
        self.layernorm = nn.LayerNorm(cfg["hidden_size"], eps=cfg["layer_norm_eps"])


class ViTForImageClassification(nn.Module):
    def __init__(self, cfg, init_std=None):
        super().__init__()
        self.config = cfg
        self.vit = ViTModel(cfg)
        self.classifier = nn.Linear(cfg["hidden_size"], len(cfg["id2label"]))
        self.init_weights(cfg.get("initializer_range", 0.02) if init_std is None else init_std)

    def init_weights(self, std):
        """As Hugging Face initialises ViT: N(0, std) weights, zero biases, LN = (1, 0)."""
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d)):
                nn.init.trunc_normal_(m.weight, std=std)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        nn.init.trunc_normal_(self.vit.embeddings.cls_token, std=std)
        nn.init.trunc_normal_(self.vit.embeddings.position_embeddings, std=std)

    def head(self, x):
        return self.classifier(self.vit.layernorm(x)[:, 0, :])

    def forward(self, pixel_values):
        x = self.vit.embeddings(pixel_values)
        for layer in self.vit.encoder.layer:
            x = layer(x)
        return self.head(x)

    def forward_boundaries(self, pixel_values):
        """Every planner-layer boundary: a list of (main, skip or None) with
        entry i = the output of planner layer i (1-based; entry 0 = input)."""
        out = [(pixel_values, None)]
        x = self.vit.embeddings(pixel_values)
        for layer in self.vit.encoder.layer:
            ctx, skip = layer.part1(x)
            out.append((ctx, skip))
            x = layer.part2(ctx, skip)
            out.append((x, None))
            h, skip = layer.part3(x)
            out.append((h, skip))
            x = layer.part4(h, skip)
            out.append((x, None))
        out[-1] = (self.head(x), None)
        return out


def planner_boundaries(model, pixel_values):
    with torch.no_grad():
        return model.forward_boundaries(pixel_values)


# ---------------------------------------------------------------- safetensors

_DTYPES = {"F32": (torch.float32, 4), "BF16": (torch.bfloat16, 2), "F16": (torch.float16, 2)}


def _tensor_bytes(t, dtype):
    t = t.detach().to("cpu").contiguous().to(_DTYPES[dtype][0])
    if dtype == "BF16":  # numpy has no bfloat16: go through the int16 bit pattern
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    return t.numpy().astype("<f4" if dtype == "F32" else "<f2").tobytes()


def save_safetensors(tensors, path, dtype="F32", metadata=None):
    """tensors: name -> torch tensor. dtype: "F32", "BF16" or "F16" for all."""
    if dtype not in _DTYPES:
        raise ValueError("dtype must be one of %s" % sorted(_DTYPES))
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        blob = _tensor_bytes(tensors[name], dtype)
        header[name] = {"dtype": dtype, "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    header["__metadata__"] = dict(metadata or {"format": "pt"})
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # align the data section, as safetensors does
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def load_safetensors(path):
    """name -> float32 torch tensor."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        chunk = data[a:b]
        if info["dtype"] == "F32":
            arr = np.frombuffer(chunk, dtype="<f4").astype(np.float32)
        elif info["dtype"] == "F16":
            arr = np.frombuffer(chunk, dtype="<f2").astype(np.float32)
        elif info["dtype"] == "BF16":
            bits = np.frombuffer(chunk, dtype="<u2").astype(np.uint32) << 16
            arr = bits.view(np.float32)
        else:
            raise ValueError("%s: unsupported dtype %s" % (name, info["dtype"]))
        out[name] = torch.from_numpy(arr.reshape(info["shape"]).copy())
    return out


def save_model_dir(model, config, directory, dtype="F32"):
    """Writes DIRECTORY/config.json and DIRECTORY/model.safetensors."""
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    save_safetensors(model.state_dict(), os.path.join(directory, "model.safetensors"), dtype)


def load_model_dir(directory):
    with open(os.path.join(directory, "config.json")) as f:
        cfg = json.load(f)
    model = ViTForImageClassification(cfg)
    model.load_state_dict(load_safetensors(os.path.join(directory, "model.safetensors")))
    model.eval()
    return model, cfg


def save_npy(path, array):
    """float32 little-endian C-order .npy (numpy's own format)."""
    if isinstance(array, torch.Tensor):
        array = array.detach().to("cpu").float().numpy()
    np.save(path, np.ascontiguousarray(array, dtype="<f4"))
