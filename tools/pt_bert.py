"""An independent PyTorch BERT (Hugging Face's BertModel and
BertForSequenceClassification), built from PyTorch's own modules:
nn.Embedding for word, position and token-type embeddings, nn.LayerNorm,
nn.TransformerEncoderLayer(norm_first=False) for each post-LN block with the
padding as src_key_padding_mask, nn.Linear + tanh for the pooler, nn.Linear
for the classifier. It shares nothing with edgepipe's C++ structure;
hf_state_dict() renames its parameters to Hugging Face's tensor names.

    sys.path.insert(0, "tools"); import pt_bert
    cfg = pt_bert.make_config(vocab_size=97, ..., classifier=True)
    model = pt_bert.Bert(cfg)
    out = model(ids, types, mask)     # logits [B, labels] (or pooled [B, D])
    model.boundaries(ids, types, mask) # {planner layer: output} at 4k+2, 4k+4

Run in grad mode (not under torch.no_grad()): PyTorch 1.13 then takes the
plain path of TransformerEncoderLayer, not its fused inference kernel.
"""

import torch
from torch import nn


def make_config(vocab_size, max_position_embeddings, type_vocab_size, hidden_size,
                num_attention_heads, num_hidden_layers, intermediate_size, layer_norm_eps,
                num_labels, classifier):
    cfg = {
        "architectures": ["BertForSequenceClassification" if classifier else "BertModel"],
        "model_type": "bert",
        "vocab_size": vocab_size,
        "max_position_embeddings": max_position_embeddings,
        "type_vocab_size": type_vocab_size,
        "hidden_size": hidden_size,
        "num_attention_heads": num_attention_heads,
        "num_hidden_layers": num_hidden_layers,
        "intermediate_size": intermediate_size,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.0,
        "attention_probs_dropout_prob": 0.0,
        "initializer_range": 0.02,
        "layer_norm_eps": layer_norm_eps,
        "pad_token_id": 0,
        "position_embedding_type": "absolute",
    }
    if classifier:
        labels = ["label_%d" % i for i in range(num_labels)]
        cfg["id2label"] = {str(i): n for i, n in enumerate(labels)}
        cfg["label2id"] = {n: i for i, n in enumerate(labels)}
    return cfg


class Bert(nn.Module):
    def __init__(self, cfg, prefix="bert."):
        super().__init__()
        d, eps = cfg["hidden_size"], cfg["layer_norm_eps"]
        self.prefix = prefix
        self.word = nn.Embedding(cfg["vocab_size"], d)
        self.position = nn.Embedding(cfg["max_position_embeddings"], d)
        self.token_type = nn.Embedding(cfg["type_vocab_size"], d)
        self.embed_norm = nn.LayerNorm(d, eps=eps)
        self.blocks = nn.ModuleList([
            nn.TransformerEncoderLayer(d, cfg["num_attention_heads"], cfg["intermediate_size"],
                                       dropout=0.0, activation="gelu", layer_norm_eps=eps,
                                       batch_first=True, norm_first=False)
            for _ in range(cfg["num_hidden_layers"])])
        self.pooler = nn.Linear(d, d)
        with_classifier = cfg["architectures"][0] == "BertForSequenceClassification"
        self.classifier = nn.Linear(d, len(cfg["id2label"])) if with_classifier else None

    def embed(self, ids, types):
        positions = torch.arange(ids.shape[1]).unsqueeze(0)
        return self.embed_norm(self.word(ids) + self.position(positions) + self.token_type(types))

    def head(self, x):
        pooled = torch.tanh(self.pooler(x[:, 0]))
        return self.classifier(pooled) if self.classifier is not None else pooled

    def forward(self, ids, types, mask):
        pad = mask == 0  # True = padding, PyTorch's key padding convention
        x = self.embed(ids, types)
        for blk in self.blocks:
            x = blk(x, src_key_padding_mask=pad)
        return self.head(x)

    def boundaries(self, ids, types, mask):
        """{planner layer: output} after each attention add & norm (4k+2) and each block
        (4k+4), from the layer's own attention sub-block."""
        pad = mask == 0
        out = {}
        x = self.embed(ids, types)
        for k, blk in enumerate(self.blocks):
            out[4 * k + 2] = blk.norm1(x + blk._sa_block(x, None, pad))
            x = blk(x, src_key_padding_mask=pad)
            out[4 * k + 4] = x
        return out

    def _hf_table(self):
        """Hugging Face name -> the parameter it is, for all but the fused Q/K/V."""
        m = self.prefix
        t = {
            m + "embeddings.word_embeddings.weight": self.word.weight,
            m + "embeddings.position_embeddings.weight": self.position.weight,
            m + "embeddings.token_type_embeddings.weight": self.token_type.weight,
            m + "embeddings.LayerNorm.weight": self.embed_norm.weight,
            m + "embeddings.LayerNorm.bias": self.embed_norm.bias,
            m + "pooler.dense.weight": self.pooler.weight,
            m + "pooler.dense.bias": self.pooler.bias,
        }
        for k, blk in enumerate(self.blocks):
            p = m + "encoder.layer.%d." % k
            t[p + "attention.output.dense.weight"] = blk.self_attn.out_proj.weight
            t[p + "attention.output.dense.bias"] = blk.self_attn.out_proj.bias
            t[p + "attention.output.LayerNorm.weight"] = blk.norm1.weight
            t[p + "attention.output.LayerNorm.bias"] = blk.norm1.bias
            t[p + "intermediate.dense.weight"] = blk.linear1.weight
            t[p + "intermediate.dense.bias"] = blk.linear1.bias
            t[p + "output.dense.weight"] = blk.linear2.weight
            t[p + "output.dense.bias"] = blk.linear2.bias
            t[p + "output.LayerNorm.weight"] = blk.norm2.weight
            t[p + "output.LayerNorm.bias"] = blk.norm2.bias
        if self.classifier is not None:
            t["classifier.weight"] = self.classifier.weight
            t["classifier.bias"] = self.classifier.bias
        return t

    def _qkv_names(self, k):
        p = self.prefix + "encoder.layer.%d.attention.self." % k
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
