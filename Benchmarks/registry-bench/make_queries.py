#!/usr/bin/env python3
"""Generate a seeded, reproducible set of benchmark search queries from a converted registry index.

Reads a DESIGN §8 index (JSON Lines, optionally .xz/.gz; e.g. the output of corpus_to_index.py),
builds the vocabulary of title + description + keywords (words = ASCII runs [a-z0-9]+ after
lowercasing that start with a letter; counted as document frequency) and writes
one query per line (1 to 6 words, deduplicated), a mix of four kinds, in equal shares by default:

  common   words drawn uniformly from the 100 most frequent words
           ("python library", "a simple library for data" style: stopwords included)
  freq     words drawn with probability proportional to their document frequency
  rare     1-3 words with document frequency 1..5 (long tail; may be joined by one common word)
  ngram    a contiguous run of 2-6 words taken from a random real summary

Lengths are drawn from a fixed distribution (1: 15 %, 2: 30 %, 3: 25 %, 4: 15 %, 5: 10 %, 6: 5 %;
rare queries are capped at 4 words, n-grams start at 2). The order of the output is shuffled
(seeded). Statistics (length distribution, kinds, the 30 most frequent words) go to stderr.

Usage:
  python3 make_queries.py INDEX.jsonl[.xz] [-n 2400] [--seed 7] [-o queries.txt] [--with-kind]
"""

import argparse
import collections
import gzip
import json
import lzma
import random
import re
import sys
import time

WORD = re.compile(r"[a-z][a-z0-9]*")
LENGTHS = [1, 2, 3, 4, 5, 6]
LENGTH_WEIGHTS = [15, 30, 25, 15, 10, 5]


def open_text(path):
    if path == "-":
        return sys.stdin
    if path.endswith(".xz"):
        return lzma.open(path, "rt", encoding="utf-8")
    if path.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("index")
    ap.add_argument("-n", "--count", type=int, default=2400, help="number of queries (default 2400)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("-o", "--output", default="-")
    ap.add_argument("--with-kind", action="store_true", help="write `kind<TAB>query` instead of the bare query")
    args = ap.parse_args()

    t0 = time.time()
    df = collections.Counter()
    summaries = []  # word lists of descriptions with >= 2 words, for n-grams
    with open_text(args.index) as f:
        for line in f:
            if not line.strip():
                continue
            d = json.loads(line)
            desc = (d.get("description") or "").lower()
            words = WORD.findall(desc)
            text = " ".join([d.get("title") or "", " ".join(d.get("keywords") or [])]).lower()
            df.update(set(words).union(WORD.findall(text)))
            if len(words) >= 2:
                summaries.append(words)
    print(f"read index: {len(summaries)} usable summaries, vocabulary {len(df)} words, {time.time() - t0:.1f} s",
          file=sys.stderr)

    rng = random.Random(args.seed)
    vocab = sorted(df, key=lambda w: (-df[w], w))
    top100 = vocab[:100]
    freq_words = vocab
    freq_cum = []
    acc = 0
    for w in freq_words:
        acc += df[w]
        freq_cum.append(acc)
    rare = [w for w in vocab if df[w] <= 5]
    rare_len_weights = LENGTH_WEIGHTS[:4]

    def length(maxlen=6, minlen=1):
        while True:
            n = rng.choices(LENGTHS, LENGTH_WEIGHTS)[0]
            if minlen <= n <= maxlen:
                return n

    def q_common():
        return " ".join(rng.choice(top100) for _ in range(length()))

    def q_freq():
        return " ".join(rng.choices(freq_words, cum_weights=freq_cum, k=length()))

    def q_rare():
        n = rng.choices([1, 2, 3, 4], rare_len_weights)[0]
        if n >= 2 and rng.random() < 0.5:  # a rare word or two next to a common one
            ws = [rng.choice(rare) for _ in range(n - 1)] + [rng.choice(top100)]
            rng.shuffle(ws)
        else:
            ws = [rng.choice(rare) for _ in range(min(n, 3))]
        return " ".join(ws)

    def q_ngram():
        n = length(minlen=2)
        while True:
            ws = rng.choice(summaries)
            if len(ws) >= n:
                i = rng.randrange(len(ws) - n + 1)
                return " ".join(ws[i:i + n])

    kinds = [("common", q_common), ("freq", q_freq), ("rare", q_rare), ("ngram", q_ngram)]
    per_kind = [args.count // 4 + (1 if i < args.count % 4 else 0) for i in range(4)]
    seen = set()
    out = []
    for (kind, gen), want in zip(kinds, per_kind):
        got = 0
        tries = 0
        while got < want and tries < want * 50:
            tries += 1
            q = gen()
            if q in seen:
                continue
            seen.add(q)
            out.append((kind, q))
            got += 1
    rng.shuffle(out)

    f = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")
    for kind, q in out:
        f.write(f"{kind}\t{q}\n" if args.with_kind else q + "\n")
    if f is not sys.stdout:
        f.close()

    lens = collections.Counter(len(q.split()) for _, q in out)
    kc = collections.Counter(k for k, _ in out)
    print(f"wrote {len(out)} queries; by kind: {dict(kc)}", file=sys.stderr)
    print("length distribution: " + ", ".join(f"{n} words: {lens[n]}" for n in sorted(lens)), file=sys.stderr)
    print("30 most frequent words (document frequency): " +
          ", ".join(f"{w} {df[w]}" for w in vocab[:30]), file=sys.stderr)
    print(f"rare words (df <= 5): {len(rare)}; words with df == 1: {sum(1 for w in vocab if df[w] == 1)}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
