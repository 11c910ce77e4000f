#!/usr/bin/python3
"""Trains the small BERT shipped in examples/models/text-bert: which of seven
languages (de en es fr it nl pl) a sentence from a manual page is written in.

  /usr/bin/python3 tools/make_text_dataset.py --out-dir /tmp/langid
  nice /usr/bin/python3 tools/train_text_bert.py --data /tmp/langid

Builds a WordPiece vocabulary from the training sentences (below), trains a
Hugging Face BertForSequenceClassification (same architecture and tensor
names, written here with torch.nn) from random initialization on the CPU,
and writes:

  examples/models/text-bert/  config.json, model.safetensors, vocab.txt,
      tokenizer_config.json, training_log.json
  examples/data/langid-test.tsv       the test sentences (text<TAB>label)
  tests/data/text_bert_ref/           the first 32 test sentences' ids, mask
      and PyTorch's eval-mode logits (float32 .npy)
  tests/data/wordpiece/text_bert_ids.tsv  the reference tokenizer's ids of
      the first 300 test sentences (tools/wordpiece_reference.py)

Tokenization is tools/wordpiece_reference.py (lower-case, accents kept: they
tell the languages apart). The vocabulary: the special tokens, every
character seen at least 3 times (alone and as a "##" continuation), then the
word-initial and "##" inner substrings of 2-8 characters with the highest
count x (length - 1), up to --vocab tokens.
"""

import argparse
import collections
import json
import math
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_vit  # noqa: E402  (safetensors and .npy writers)
import wordpiece_reference as wp  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL_DIR = os.path.join(ROOT, "examples", "models", "text-bert")


def read_tsv(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            text, label = line.rstrip("\n").split("\t")
            rows.append((text, label))
    return rows


def build_vocab(words, size):
    """words: Counter of basic-tokenized words -> WordPiece vocabulary list."""
    chars = collections.Counter()
    pieces = collections.Counter()
    for w, n in words.items():
        for i, c in enumerate(w):
            chars[("##" if i else "") + c] += n
        for length in range(2, min(8, len(w)) + 1):
            pieces[w[:length]] += n * (length - 1)
        for start in range(1, len(w)):
            for length in range(2, min(8, len(w) - start) + 1):
                pieces["##" + w[start:start + length]] += n * (length - 1)
    vocab = list(wp.SPECIAL) + sorted(c for c, n in chars.items() if n >= 3)
    for p, _ in pieces.most_common():
        if len(vocab) >= size:
            break
        vocab.append(p)
    return vocab


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["hidden_size"])
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, ids):
        pos = torch.arange(ids.shape[1])
        x = self.word_embeddings(ids) + self.position_embeddings(pos)[None]
        x = x + self.token_type_embeddings(torch.zeros_like(ids))
        return self.dropout(self.LayerNorm(x))


class SelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["hidden_size"]
        self.heads = c["num_attention_heads"]
        self.query, self.key, self.value = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        self.dropout = nn.Dropout(c["attention_probs_dropout_prob"])

    def forward(self, x, additive_mask):
        b, t, d = x.shape
        split = lambda y: y.view(b, t, self.heads, d // self.heads).transpose(1, 2)  # noqa: E731
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d // self.heads) + additive_mask
        probs = self.dropout(scores.softmax(-1))
        return (probs @ v).transpose(1, 2).reshape(b, t, d)


class DenseNorm(nn.Module):  # BertSelfOutput / BertOutput: dense, dropout, add, LayerNorm
    def __init__(self, c, d_in):
        super().__init__()
        self.dense = nn.Linear(d_in, c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, h, residual):
        return self.LayerNorm(self.dropout(self.dense(h)) + residual)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = SelfAttention(c)
        self.output = DenseNorm(c, c["hidden_size"])


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = Attention(c)
        self.intermediate = Intermediate(c)
        self.output = DenseNorm(c, c["intermediate_size"])

    def forward(self, x, additive_mask):
        a = self.attention.output(self.attention.self(x, additive_mask), x)
        h = nn.functional.gelu(self.intermediate.dense(a))
        return self.output(h, a)


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList(Layer(c) for _ in range(c["num_hidden_layers"]))


class Pooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])


class Bert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c)
        self.pooler = Pooler(c)


class BertForSequenceClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bert = Bert(c)
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])
        self.classifier = nn.Linear(c["hidden_size"], c["num_labels"])
        for name, p in self.named_parameters():  # BERT's initialization
            if name.endswith("LayerNorm.weight"):
                nn.init.ones_(p)
            elif name.endswith("bias"):
                nn.init.zeros_(p)
            else:
                nn.init.normal_(p, std=c["initializer_range"])

    def forward(self, ids, mask):
        additive = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        x = self.bert.embeddings(ids)
        for layer in self.bert.encoder.layer:
            x = layer(x, additive)
        pooled = torch.tanh(self.bert.pooler.dense(x[:, 0]))
        return self.classifier(self.dropout(pooled))


def encode_all(ref, rows, labels, length):
    ids, masks = [], []
    for text, _ in rows:
        i, m = ref.encode(text.encode("utf-8"), length)
        ids.append(i)
        masks.append(m)
    y = [labels.index(label) for _, label in rows]
    return torch.tensor(ids), torch.tensor(masks), torch.tensor(y)


def evaluate(model, ids, mask, y, batch=500):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(y), batch):
            correct += (model(ids[i:i + batch], mask[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(y)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="directory of train.tsv, test.tsv, provenance.json")
    ap.add_argument("--vocab", type=int, default=3000)
    ap.add_argument("--seq", type=int, default=32)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--intermediate", type=int, default=256)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)

    train = read_tsv(os.path.join(args.data, "train.tsv"))
    test = read_tsv(os.path.join(args.data, "test.tsv"))
    labels = sorted({label for _, label in train})
    words = collections.Counter()
    basic = wp.Reference(wp.SPECIAL, lower_case=True, strip_accents=False)
    for text, _ in train:
        words.update(basic.basic(text.lower()))
    vocab = build_vocab(words, args.vocab)
    ref = wp.Reference(vocab, lower_case=True, strip_accents=False)

    cfg = {
        "architectures": ["BertForSequenceClassification"], "model_type": "bert",
        "vocab_size": len(vocab), "hidden_size": args.hidden,
        "num_hidden_layers": args.layers, "num_attention_heads": args.heads,
        "intermediate_size": args.intermediate, "hidden_act": "gelu",
        "max_position_embeddings": args.seq, "type_vocab_size": 2, "layer_norm_eps": 1e-12,
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02, "pad_token_id": 0,
        "id2label": {str(i): l for i, l in enumerate(labels)},
        "label2id": {l: i for i, l in enumerate(labels)}, "num_labels": len(labels),
    }
    t0 = time.time()
    x, m, y = encode_all(ref, train, labels, args.seq)
    tx, tm, ty = encode_all(ref, test, labels, args.seq)
    print("tokenized %d + %d sentences in %.0f s; %.1f%% of train tokens are [UNK]" % (
        len(y), len(ty), time.time() - t0, 100.0 * (x == vocab.index("[UNK]")).sum().item() / m.sum().item()))

    model = BertForSequenceClassification(cfg)
    params = sum(p.numel() for p in model.parameters())
    no_decay = lambda n: n.endswith("bias") or "LayerNorm" in n  # noqa: E731
    opt = torch.optim.AdamW([
        {"params": [p for n, p in model.named_parameters() if not no_decay(n)], "weight_decay": 0.01},
        {"params": [p for n, p in model.named_parameters() if no_decay(n)], "weight_decay": 0.0}],
        lr=args.lr)
    steps_per_epoch = (len(y) + args.batch - 1) // args.batch
    total = args.epochs * steps_per_epoch
    warmup = steps_per_epoch // 2
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warmup if s < warmup else 0.5 * (1 + math.cos(math.pi * (s - warmup) / (total - warmup))))
    gen = torch.Generator().manual_seed(args.seed)
    history = []
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(y), generator=gen)
        loss_sum = 0.0
        for i in range(0, len(y), args.batch):
            idx = order[i:i + args.batch]
            loss = nn.functional.cross_entropy(model(x[idx], m[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            loss_sum += loss.item() * len(idx)
        acc = evaluate(model, tx, tm, ty)
        history.append({"epoch": epoch + 1, "train_loss": round(loss_sum / len(y), 4),
                        "test_accuracy": acc, "seconds": round(time.time() - t0)})
        print(history[-1], flush=True)

    os.makedirs(MODEL_DIR, exist_ok=True)
    with open(os.path.join(MODEL_DIR, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    with open(os.path.join(MODEL_DIR, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "BertTokenizer", "do_lower_case": True, "strip_accents": False,
                   "tokenize_chinese_chars": True, "model_max_length": args.seq}, f, indent=2)
        f.write("\n")
    with open(os.path.join(MODEL_DIR, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in vocab))
    hf_vit.save_safetensors(model.state_dict(), os.path.join(MODEL_DIR, "model.safetensors"))
    with open(os.path.join(args.data, "provenance.json")) as f:
        provenance = json.load(f)
    log = {"task": "language of a manual-page sentence", "labels": labels,
           "test_accuracy": history[-1]["test_accuracy"], "test_sentences": len(ty),
           "parameters": params, "args": vars(args), "data": provenance, "epochs": history,
           "threads": 1}
    log["args"]["data"] = "tools/make_text_dataset.py output"
    with open(os.path.join(MODEL_DIR, "training_log.json"), "w") as f:
        json.dump(log, f, indent=2)
        f.write("\n")

    data_dir = os.path.join(ROOT, "examples", "data")
    os.makedirs(data_dir, exist_ok=True)
    with open(os.path.join(data_dir, "langid-test.tsv"), "w", encoding="utf-8") as f:
        f.write("".join("%s\t%s\n" % r for r in test))
    ref_dir = os.path.join(ROOT, "tests", "data", "text_bert_ref")
    os.makedirs(ref_dir, exist_ok=True)
    model.eval()
    with torch.no_grad():
        logits = model(tx[:32], tm[:32])
    hf_vit.save_npy(os.path.join(ref_dir, "ids.npy"), tx[:32].float())
    hf_vit.save_npy(os.path.join(ref_dir, "mask.npy"), tm[:32].float())
    hf_vit.save_npy(os.path.join(ref_dir, "logits.npy"), logits)
    wp.write_tsv(MODEL_DIR, os.path.join(data_dir, "langid-test.tsv"),
                 os.path.join(ROOT, "tests", "data", "wordpiece", "text_bert_ids.tsv"), 300)
    print("test accuracy %.4f, %d parameters, %.0f s" % (log["test_accuracy"], params, time.time() - t0))


if __name__ == "__main__":
    main()
