#!/usr/bin/python3
"""Builds the language-identification data set of the shipped text BERT from
the manual pages Debian ships: English (packages manpages, manpages-dev) and
their translations (manpages-de, -es, -fr, -it, -nl, -pl). One example is one
sentence; its label is the language of the page it comes from.

  apt-get install manpages manpages-dev manpages-de manpages-es manpages-fr \\
      manpages-it manpages-nl manpages-pl
  /usr/bin/python3 tools/make_text_dataset.py --out-dir /tmp/langid

writes OUT/train.tsv and OUT/test.tsv (text<TAB>label, label = language code)
and OUT/provenance.json (package versions, counts). The split is by page
name: every translation of a test page is in the test set, so test sentences
come from pages the model never saw. Only files each package lists (dpkg -L)
are read, so other packages' translated pages do not change the data.

Cleaning: roff requests and comments dropped, escapes (fonts, \\-, \\(aq, ...)
resolved, paragraphs split into sentences at . ! ? ; : and kept if they have
5-40 words and mostly letters. A sentence found in more than one language
(untranslated text left in a translation, command lines) is dropped
everywhere; duplicates within a language are kept once.
"""

import argparse
import collections
import gzip
import hashlib
import json
import os
import random
import re
import subprocess

LANGS = {"en": ["manpages", "manpages-dev"], "de": ["manpages-de"], "es": ["manpages-es"],
         "fr": ["manpages-fr"], "it": ["manpages-it"], "nl": ["manpages-nl"], "pl": ["manpages-pl"]}

ESCAPES = [
    (re.compile(r'\\".*$'), ""),                    # comments
    (re.compile(r"\\f(\[[^\]]*\]|\(..|.)"), ""),   # font changes
    (re.compile(r"\\s[-+]?\d"), ""),                # size changes
    (re.compile(r"\\\*(\[[^\]]*\]|\(..|.)"), ""),  # string registers
    (re.compile(r"\\\(aq"), "'"), (re.compile(r"\\\((lq|rq|dq)"), '"'),
    (re.compile(r"\\\((em|en)"), "-"), (re.compile(r"\\\(..|\\\[[^\]]*\]"), ""),
    (re.compile(r"\\[-]"), "-"), (re.compile(r"\\[ 0~]"), " "), (re.compile(r"\\e"), "\\\\"),
    (re.compile(r"\\[&c:/,%|^)]"), ""),
]
SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+")


def package_pages(package):
    out = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True, check=True).stdout
    return sorted(p for p in out.splitlines() if re.search(r"/man\d/[^/]+\.gz$", p))


def package_version(package):
    return subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True,
                          text=True, check=True).stdout


def roff_paragraphs(text):
    paragraph = []
    for line in text.splitlines():
        if line.startswith((".", "'")) or not line.strip():
            if paragraph:
                yield " ".join(paragraph)
            paragraph = []
            continue
        for pattern, repl in ESCAPES:
            line = pattern.sub(repl, line)
        paragraph.append(line.strip())
    if paragraph:
        yield " ".join(paragraph)


def good_sentence(s):
    words = s.split()
    if not 5 <= len(words) <= 40:
        return False
    letters = sum(c.isalpha() for c in s)
    return letters >= 0.75 * sum(not c.isspace() for c in s) and "\\" not in s and "\t" not in s


def page_key(path):
    """The page's identity across languages: man section dir + file name."""
    return "/".join(path.split("/")[-2:])


def is_test_page(key, test_percent):
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % 100 < test_percent


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--test-percent", type=int, default=15)
    ap.add_argument("--train-per-lang", type=int, default=6000)
    ap.add_argument("--test-per-lang", type=int, default=250)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    # sentence -> {lang: (page key, split)}
    found = collections.defaultdict(dict)
    for lang, packages in LANGS.items():
        for package in packages:
            for path in package_pages(package):
                key = page_key(path)
                split = "test" if is_test_page(key, args.test_percent) else "train"
                try:
                    text = gzip.open(path, "rb").read().decode("utf-8")
                except (OSError, UnicodeDecodeError):
                    continue
                for para in roff_paragraphs(text):
                    for s in SENTENCE_END.split(para):
                        s = " ".join(s.split())
                        if good_sentence(s):
                            found[s].setdefault(lang, (key, split))
    by_split = {"train": collections.defaultdict(list), "test": collections.defaultdict(list)}
    dropped = 0
    for s, langs in found.items():
        if len(langs) > 1:
            dropped += 1
            continue
        (lang, (key, split)), = langs.items()
        by_split[split][lang].append(s)

    rng = random.Random(args.seed)
    os.makedirs(args.out_dir, exist_ok=True)
    counts = {}
    for split, cap in (("train", args.train_per_lang), ("test", args.test_per_lang)):
        rows = []
        for lang in sorted(LANGS):
            sentences = sorted(by_split[split][lang])
            rng.shuffle(sentences)
            counts["%s_%s_available" % (split, lang)] = len(sentences)
            rows += [(s, lang) for s in sentences[:cap]]
        rng.shuffle(rows)
        counts[split] = len(rows)
        with open(os.path.join(args.out_dir, split + ".tsv"), "w", encoding="utf-8") as f:
            f.write("".join("%s\t%s\n" % r for r in rows))
    provenance = {
        "packages": {p: package_version(p) for ps in LANGS.values() for p in ps},
        "split": "by page (sha256 of section/file name) %% 100 < %d -> test" % args.test_percent,
        "dropped_multilingual_sentences": dropped,
        "counts": counts,
        "seed": args.seed,
    }
    with open(os.path.join(args.out_dir, "provenance.json"), "w") as f:
        json.dump(provenance, f, indent=2)
        f.write("\n")
    print(json.dumps(provenance, indent=2))


if __name__ == "__main__":
    main()
