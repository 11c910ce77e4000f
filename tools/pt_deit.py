"""An independent PyTorch DeiT (Hugging Face's DeiTForImageClassification and
DeiTForImageClassificationWithTeacher), built from PyTorch's own modules:
nn.Conv2d for the patches, nn.TransformerEncoderLayer(norm_first=True) for each
block, nn.LayerNorm, nn.Linear heads. It shares nothing with edgepipe's C++
structure; hf_state_dict() renames its parameters to Hugging Face's tensor
names so the C++ side loads the same weights.

    sys.path.insert(0, "tools"); import pt_deit
    cfg = pt_deit.make_config(image_size=32, patch_size=8, ..., distilled=True)
    model = pt_deit.DeiT(cfg)
    logits = model(images)                   # [B, labels]
    model.boundaries(images)                 # {planner layer: output} at 4k+2, 4k+4
"""

import torch
from torch import nn


def make_config(image_size, patch_size, num_channels, hidden_size, num_attention_heads,
                num_hidden_layers, intermediate_size, layer_norm_eps, num_labels, distilled):
    arch = "DeiTForImageClassificationWithTeacher" if distilled else "DeiTForImageClassification"
    labels = ["class_%d" % i for i in range(num_labels)]
    return {
        "architectures": [arch],
        "model_type": "deit",
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
        "encoder_stride": 16,
        "id2label": {str(i): n for i, n in enumerate(labels)},
        "label2id": {n: i for i, n in enumerate(labels)},
    }


class DeiT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, eps = cfg["hidden_size"], cfg["layer_norm_eps"]
        grid = cfg["image_size"] // cfg["patch_size"]
        self.distilled = cfg["architectures"][0].endswith("WithTeacher")
        self.patch = nn.Conv2d(cfg["num_channels"], d, cfg["patch_size"], cfg["patch_size"])
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.dist_token = nn.Parameter(torch.zeros(1, 1, d))  # HF keeps it in both layouts
        self.pos = nn.Parameter(torch.zeros(1, grid * grid + 2, d))
        self.blocks = nn.ModuleList([
            nn.TransformerEncoderLayer(d, cfg["num_attention_heads"], cfg["intermediate_size"],
                                       dropout=0.0, activation="gelu", layer_norm_eps=eps,
                                       batch_first=True, norm_first=True)
            for _ in range(cfg["num_hidden_layers"])])
        self.norm = nn.LayerNorm(d, eps=eps)
        labels = len(cfg["id2label"])
        self.head = nn.Linear(d, labels)
        self.head_dist = nn.Linear(d, labels) if self.distilled else None

    def embed(self, images):
        x = self.patch(images).flatten(2).transpose(1, 2)
        b = x.shape[0]
        tokens = [self.cls_token.expand(b, -1, -1), self.dist_token.expand(b, -1, -1), x]
        return torch.cat(tokens, dim=1) + self.pos

    def classify(self, x):
        x = self.norm(x)
        logits = self.head(x[:, 0])
        if self.distilled:
            logits = (logits + self.head_dist(x[:, 1])) / 2
        return logits

    def forward(self, images):
        x = self.embed(images)
        for blk in self.blocks:
            x = blk(x)
        return self.classify(x)

    def boundaries(self, images):
        """{planner layer: output} after each block's attention (4k+2) and each block (4k+4),
        from the layer's own attention and feed-forward sub-blocks."""
        out = {}
        x = self.embed(images)
        for k, blk in enumerate(self.blocks):
            mid = x + blk._sa_block(blk.norm1(x), None, None)
            out[4 * k + 2] = mid
            x = blk(x)
            out[4 * k + 4] = x
        return out

    def _hf_table(self):
        """Hugging Face name -> the parameter it is, for all but the fused Q/K/V."""
        t = {
            "deit.embeddings.cls_token": self.cls_token,
            "deit.embeddings.distillation_token": self.dist_token,
            "deit.embeddings.position_embeddings": self.pos,
            "deit.embeddings.patch_embeddings.projection.weight": self.patch.weight,
            "deit.embeddings.patch_embeddings.projection.bias": self.patch.bias,
            "deit.layernorm.weight": self.norm.weight,
            "deit.layernorm.bias": self.norm.bias,
        }
        for k, blk in enumerate(self.blocks):
            p = "deit.encoder.layer.%d." % k
            t[p + "attention.output.dense.weight"] = blk.self_attn.out_proj.weight
            t[p + "attention.output.dense.bias"] = blk.self_attn.out_proj.bias
            t[p + "layernorm_before.weight"] = blk.norm1.weight
            t[p + "layernorm_before.bias"] = blk.norm1.bias
            t[p + "layernorm_after.weight"] = blk.norm2.weight
            t[p + "layernorm_after.bias"] = blk.norm2.bias
            t[p + "intermediate.dense.weight"] = blk.linear1.weight
            t[p + "intermediate.dense.bias"] = blk.linear1.bias
            t[p + "output.dense.weight"] = blk.linear2.weight
            t[p + "output.dense.bias"] = blk.linear2.bias
        heads = [("classifier", self.head)]
        if self.distilled:
            heads = [("cls_classifier", self.head), ("distillation_classifier", self.head_dist)]
        for n, lin in heads:
            t[n + ".weight"] = lin.weight
            t[n + ".bias"] = lin.bias
        return t

    def _qkv_names(self, k):
        p = "deit.encoder.layer.%d.attention.attention." % k
        return [p + m for m in ("query", "key", "value")]

    def hf_state_dict(self):
        """Hugging Face's tensor names -> detached copies."""
        sd = {n: t.detach().clone() for n, t in self._hf_table().items()}
        for k, blk in enumerate(self.blocks):
            ws = blk.self_attn.in_proj_weight.detach().chunk(3)
            bs = blk.self_attn.in_proj_bias.detach().chunk(3)
            for name, w, b in zip(self._qkv_names(k), ws, bs):
                sd[name + ".weight"] = w.clone()
                sd[name + ".bias"] = b.clone()
        return sd

    def load_hf_state_dict(self, sd):
        """The inverse of hf_state_dict (to run on weights rounded to F16/BF16)."""
        with torch.no_grad():
            for name, param in self._hf_table().items():
                param.copy_(sd[name])
            for k, blk in enumerate(self.blocks):
                names = self._qkv_names(k)
                blk.self_attn.in_proj_weight.copy_(torch.cat([sd[n + ".weight"] for n in names]))
                blk.self_attn.in_proj_bias.copy_(torch.cat([sd[n + ".bias"] for n in names]))
