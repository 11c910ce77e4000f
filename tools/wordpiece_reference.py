#!/usr/bin/python3
"""A reference WordPiece tokenizer (Hugging Face's slow BertTokenizer, as its
documentation and BERT's paper describe it) and the table of tricky strings
the C++ tokenizer (ops/wordpiece.cpp) is tested against.

Debian ships neither `transformers` nor `tokenizers`, so this is an
independent implementation of the published algorithm, written with Python's
own string methods and unicodedata (the data Hugging Face uses):

  1. special tokens ([PAD] [UNK] [CLS] [SEP] [MASK]) are cut out of the text
     first and pass through whole;
  2. do_lower_case: every other character is lowered on its own
     (PreTrainedTokenizer.tokenize lowers match by match, one character each);
  3. BasicTokenizer: drop U+0000, U+FFFD and category C* (except \\t \\n \\r);
     whitespace (space, \\t \\n \\r, Zs) -> space; spaces around CJK ideographs;
     NFC; str.split(); per word (special tokens kept): lower(), then strip
     accents (NFD, drop Mn) when strip_accents is true, or is None and
     do_lower_case; split off each punctuation character (ASCII 33-47, 58-64,
     91-96, 123-126 or category P*);
  4. WordPiece: words of more than 100 characters -> [UNK]; else greedy
     longest-match-first with "##" continuations, [UNK] for the whole word if
     some position has no match.
  5. encode: [CLS] + tokens[:length-2] + [SEP], padded with [PAD].

  /usr/bin/python3 tools/wordpiece_reference.py cases    # writes tests/data/wordpiece/
  /usr/bin/python3 tools/wordpiece_reference.py tsv MODEL_DIR DATA.tsv OUT.tsv [N]
      # the reference ids of the first N texts of DATA.tsv with MODEL_DIR's vocab
"""

import argparse
import json
import os
import sys
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def is_punct(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


class Reference:
    def __init__(self, vocab, lower_case=True, strip_accents=None, split_cjk=True):
        self.vocab = {}
        for i, t in enumerate(vocab):
            self.vocab[t] = i
        self.lower_case = lower_case
        self.strip_accents = strip_accents
        self.split_cjk = split_cjk

    def cut_special(self, text):
        """[(piece, is_special)] in order."""
        out, start, i = [], 0, 0
        while i < len(text):
            hit = next((s for s in SPECIAL if text.startswith(s, i)), None)
            if hit is None:
                i += 1
                continue
            if i > start:
                out.append((text[start:i], False))
            out.append((hit, True))
            i += len(hit)
            start = i
        if start < len(text):
            out.append((text[start:], False))
        return out

    def basic(self, text):
        cleaned = []
        for ch in text:
            cat = unicodedata.category(ch)
            if ch in "\x00\ufffd" or (ch not in "\t\n\r" and cat.startswith("C")):
                continue
            if ch in " \t\n\r" or cat == "Zs":
                cleaned.append(" ")
            elif self.split_cjk and is_cjk(ord(ch)):
                cleaned.append(" " + ch + " ")
            else:
                cleaned.append(ch)
        text = unicodedata.normalize("NFC", "".join(cleaned))
        words = []
        for w in text.split():
            if w in SPECIAL:
                words.append(w)
                continue
            if self.lower_case:
                w = w.lower()
            if self.strip_accents or (self.strip_accents is None and self.lower_case):
                w = "".join(c for c in unicodedata.normalize("NFD", w)
                            if unicodedata.category(c) != "Mn")
            part = ""
            for c in w:
                if is_punct(c):
                    if part:
                        words.append(part)
                    words.append(c)
                    part = ""
                else:
                    part += c
            if part:
                words.append(part)
        return words

    def wordpiece(self, word):
        if len(word) > 100:
            return ["[UNK]"]
        pieces, start = [], 0
        while start < len(word):
            for end in range(len(word), start, -1):
                cand = ("##" if start > 0 else "") + word[start:end]
                if cand in self.vocab:
                    pieces.append(cand)
                    start = end
                    break
            else:
                return ["[UNK]"]
        return pieces

    def tokenize(self, data):
        """Tokens of UTF-8 bytes; ValueError naming the byte of invalid UTF-8."""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ValueError("invalid UTF-8 at byte %d" % e.start)
        tokens = []
        for piece, special in self.cut_special(text):
            if special:
                tokens.append(piece)
                continue
            if self.lower_case:
                piece = "".join(c.lower() for c in piece)
            for w in self.basic(piece):
                tokens.extend(self.wordpiece(w))
        return tokens

    def encode(self, data, length):
        ids = [self.vocab.get(t, self.vocab["[UNK]"]) for t in self.tokenize(data)]
        ids = [self.vocab["[CLS]"]] + ids[:length - 2] + [self.vocab["[SEP]"]]
        mask = [1] * len(ids) + [0] * (length - len(ids))
        return ids + [self.vocab["[PAD]"]] * (length - len(ids)), mask


# The committed test vocabulary: special tokens, words and pieces that the
# cases below need (accented and unaccented forms, Greek, Cyrillic, CJK).
VOCAB = SPECIAL + [
    ".", ",", "!", "?", "'", "-", "(", ")", "\"", "$", "¿", "¡", "«", "»", "…", "「", "」", "、", "。",
    "the", "cat", "sat", "on", "mat", "un", "##aff", "##able", "play", "##ing", "##ed", "##s",
    "hello", "world", "don", "t", "cafe", "café", "Café", "naive", "naïve", "resume", "##ume",
    "elan", "uber", "über", "Über", "strasse", "straße", "i", "istanbul", "İstanbul", "i̇stanbul",
    "a", "##a", "b", "##b", "c", "##c", "x", "##x", "##y", "y", "z", "##z",
    "σοφια", "σοφία", "οδος", "οδοσ", "οδός", "##ς", "##σ", "мир", "мір", "ёлка", "елка", "Ёлка",
    "中", "国", "人", "日", "本", "語", "我", "爱", "北", "京", "한", "##국", "한국", "##어",
    "ﬁ", "ﬁle", "file", "ℌ", "Ⅷ", "ⅷ", "2", "##0", "##2", "##6", "@", "#", "##@", "e", "##e",
    "hallo", "welt", "bonjour", "le", "monde", "ça", "ca", "va", "espanol", "español", "nino",
    "niño", "manana", "mañana", "pokemon", "pokémon", "[", "]", "cls", "sep", "mask", "A",
    "Hello", "World", "The",
]

ALL = "lower=1 strip=none cjk=1"
CASED = "lower=0 strip=none cjk=1"
CASED_STRIP = "lower=0 strip=true cjk=1"
LOWER_KEEP = "lower=1 strip=false cjk=1"
NO_CJK = "lower=1 strip=none cjk=0"


def u(s):
    return s.encode("utf-8")


# (name, options, input bytes, sequence length)
CASES = [
    ("plain", ALL, u("The cat sat on the mat."), 16),
    ("wordpieces", ALL, u("unaffable playing played"), 16),
    ("unknown piece makes the word unknown", ALL, u("unaffablez"), 16),
    ("punctuation splits", ALL, u("hello,world!don't (a)-b"), 24),
    ("unicode punctuation", ALL, u("«bonjour» ¿qué? ¡hola! …「中国」、。"), 32),
    ("ascii symbols are punctuation", ALL, u("$a@b#c^d`e~z|y"), 24),
    ("accents stripped", ALL, u("Café naïve résumé élan Über"), 24),
    ("decomposed accents", ALL, u("Cafe\u0301 nai\u0308ve"), 16),
    ("accents kept when cased", CASED, u("Café Über über"), 16),
    ("cased sees NFC", CASED, u("Cafe\u0301 U\u0308ber"), 16),
    ("cased, accents stripped", CASED_STRIP, u("Café Über"), 16),
    ("lower, accents kept", LOWER_KEEP, u("Café NAÏVE Über Niño"), 16),
    ("lower, accents kept, decomposed", LOWER_KEEP, u("CAFE\u0301 nin\u0303o"), 16),
    ("german sharp s", ALL, u("Straße STRASSE"), 16),
    ("turkish dotted capital I", ALL, u("İstanbul"), 16),
    ("turkish dotted capital I, accents kept", LOWER_KEEP, u("İstanbul"), 16),
    ("greek capital sigma is lowered alone", ALL, u("ΟΔΟΣ οδος οδός ΣΟΦΙΑ σοφία"), 24),
    ("greek final sigma kept", ALL, u("οδος οδοσ"), 16),
    ("cyrillic", ALL, u("Мир мір Ёлка"), 16),
    ("cyrillic, cased", CASED, u("Ёлка ёлка"), 16),
    ("chinese characters", ALL, u("我爱北京中国人"), 16),
    ("chinese mixed with latin", ALL, u("hello中国world"), 16),
    ("chinese without cjk split", NO_CJK, u("中国 中"), 16),
    ("japanese kana is not cjk-split", ALL, u("日本語のテキスト"), 16),
    ("hangul syllables", ALL, u("한국어 한국"), 16),
    ("hangul syllables, cased", CASED, u("한국어 한국"), 16),
    ("hangul decomposed jamo", CASED, u("\u1112\u1161\u11ab\u1100\u116e\u11a8"), 16),
    ("compatibility characters stay", ALL, u("ﬁle ℌ Ⅷ"), 16),
    ("digits", ALL, u("2026 20"), 16),
    ("empty line", ALL, b"", 8),
    ("only spaces", ALL, u("   \t  "), 8),
    ("unicode spaces", ALL, u("a\u00a0b\u2003c\u3000x"), 16),
    ("line and paragraph separators split", ALL, u("a\u2028b\u2029c\x85x"), 16),
    ("control characters dropped", ALL, u("a\x00b\x07c\ufffdx\u200by\x1fz"), 16),
    ("tabs and newlines are spaces", ALL, u("a\tb\nc\r\nx"), 16),
    ("soft hyphen and zero-width joiner dropped", ALL, u("ca\u00adfe x\u200dy"), 16),
    ("combining mark alone", ALL, u("\u0301a \u0301"), 16),
    ("special tokens pass through", ALL, u("[CLS] hello [SEP] world [MASK]"), 16),
    ("special tokens glued to words", ALL, u("hello[SEP]world[PAD]"), 16),
    ("lower-case special tokens are text", ALL, u("[cls] [Sep]"), 16),
    ("special token spelled through a control char, cased", CASED, u("[C\u200bLS] x"), 16),
    ("special token spelled through a control char, lower", ALL, u("[C\u200bLS] x"), 16),
    ("word of exactly 100 characters", ALL, u("a" * 100), 8),
    ("word of 101 characters is unknown", ALL, u("a" * 101), 8),
    ("long word of pieces", ALL, u("x" + "y" * 60), 8),
    ("100 characters counted as code points", ALL, u("é" * 100), 8),
    ("truncation to the length", ALL, u("a b c x y z a b c x y z"), 8),
    ("length 2 keeps only cls and sep", ALL, u("hello world"), 2),
    ("emoji and symbols unknown", ALL, u("hello 😀 world ☃"), 16),
    ("at sign inside a word", ALL, u("a@b"), 16),
    ("invalid utf-8: lone continuation byte", ALL, b"abc\x80def", 8),
    ("invalid utf-8: truncated sequence", ALL, b"caf\xc3", 8),
    ("invalid utf-8: overlong slash", ALL, b"a\xc0\xafb", 8),
    ("invalid utf-8: surrogate", ALL, b"xy\xed\xa0\x80", 8),
    ("invalid utf-8: above U+10FFFF", ALL, b"\xf4\x90\x80\x80", 8),
    ("invalid utf-8: overlong 3 bytes", ALL, b"ab\xe0\x80\x80", 8),
    ("invalid utf-8 after valid accents", ALL, u("café ") + b"\xff", 8),
]


def options_of(spec):
    kv = dict(p.split("=") for p in spec.split())
    strip = {"none": None, "true": True, "false": False}[kv["strip"]]
    return dict(lower_case=kv["lower"] == "1", strip_accents=strip, split_cjk=kv["cjk"] == "1")


def write_cases():
    out_dir = os.path.join(ROOT, "tests", "data", "wordpiece")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in VOCAB))
    lines = ["# Generated by tools/wordpiece_reference.py: name, options, input as hex bytes,\n"
             "# sequence length, expected ids (space-separated) or \"error: <message>\",\n"
             "# expected mask, expected tokens (for reading; space-separated).\n"]
    for name, spec, data, length in CASES:
        ref = Reference(VOCAB, **options_of(spec))
        try:
            tokens = ref.tokenize(data)
            ids, mask = ref.encode(data, length)
            result = " ".join(map(str, ids))
            mask_s = " ".join(map(str, mask))
            tokens_s = " ".join(tokens)
        except ValueError as e:
            result, mask_s, tokens_s = "error: %s" % e, "-", "-"
        lines.append("\t".join([name, spec, data.hex(), str(length), result, mask_s, tokens_s]) + "\n")
    with open(os.path.join(out_dir, "cases.tsv"), "w", encoding="utf-8") as f:
        f.write("".join(lines))
    print("wrote %d cases" % len(CASES))


def write_tsv(model_dir, data_path, out_path, limit):
    with open(os.path.join(model_dir, "vocab.txt"), encoding="utf-8") as f:
        vocab = [line.rstrip("\n") for line in f]
    cfg = {}
    cfg_path = os.path.join(model_dir, "tokenizer_config.json")
    if os.path.exists(cfg_path):
        with open(cfg_path, encoding="utf-8") as f:
            cfg = json.load(f)
    ref = Reference(vocab, cfg.get("do_lower_case", True), cfg.get("strip_accents"),
                    cfg.get("tokenize_chinese_chars", True))
    length = json.load(open(os.path.join(model_dir, "config.json")))["max_position_embeddings"]
    rows = []
    with open(data_path, "rb") as f:
        for line in f.read().split(b"\n")[:limit]:
            text = line.split(b"\t")[0]
            ids, _ = ref.encode(text, length)
            rows.append(text.hex() + "\t" + " ".join(map(str, ids)) + "\n")
    with open(out_path, "w") as f:
        f.write("# Generated by tools/wordpiece_reference.py tsv: text as hex, ids\n")
        f.write("".join(rows))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("cases", help="write tests/data/wordpiece/vocab.txt and cases.tsv")
    tsv = sub.add_parser("tsv", help="reference ids of a text<TAB>label file's texts")
    tsv.add_argument("model_dir")
    tsv.add_argument("data")
    tsv.add_argument("out")
    tsv.add_argument("limit", type=int, nargs="?")
    args = ap.parse_args()
    if args.command == "cases":
        write_cases()
    else:
        write_tsv(args.model_dir, args.data, args.out, args.limit)
