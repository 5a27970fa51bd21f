#!/usr/bin/env python3
"""Convert the registry corpus (packages.tsv[.xz]) into a DESIGN §8 registry index (JSON Lines).

Input: tab-separated lines `ecosystem<TAB>name<TAB>version<TAB>summary`, header line first
(/work/shared/registry-corpus/packages.tsv.xz: ~1.04 M PyPI and npm packages). Each line becomes one
tool, one JSON object a line:

    {"id": ..., "version": ..., "title": ..., "description": ..., "keywords": [...]}

Mapping rules
-------------
id        `<ecosystem>.<normalized name>`, matching ^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$, <= 128 chars:
          * the name is lowercased; an npm scoped name `@scope/name` becomes two segments `scope.name`;
          * in each segment every char outside [a-z0-9_] becomes `_` (so `.` and `-` inside a PyPI or
            npm name become `_`: `zope.interface` -> `pypi.zope_interface`), runs of `_` are collapsed;
          * a segment that does not start with a letter gets the prefix `n` (`0-618` -> `n0_618`,
            `_private` -> `n_private`, an empty segment -> `n`);
          * the id is cut to 128 chars (and a trailing `.` dropped).
          Distinct names can collide (`foo-bar` / `foo_bar` / `foo.bar`, case variants, long names):
          by default only the first line of a duplicate (id, version) is written (use
          --keep-duplicates to write all; the index import upserts, so the last would win).
version   coerced to a semantic version MAJOR.MINOR.PATCH[-prerelease][+build]:
          * a leading `v`/`V` is dropped, a PEP 440 epoch `N!` is dropped;
          * up to three leading numeric dot components are taken, missing ones padded with 0, leading
            zeros stripped (`1.0` -> `1.0.0`, `01.2` -> `1.2.0`);
          * the rest of the string (before any `+`), with separators `.`/`-`/`_` at its start removed and
            every char outside [0-9A-Za-z-.] turned into `-`, becomes the prerelease; its dot-separated
            identifiers are kept non-empty and numeric ones lose leading zeros
            (`0.1.2a0` -> `0.1.2-a0`, `0.0.1.dev0` -> `0.0.1-dev0`, `18.0.1.0.0.4` -> `18.0.1-0.0.4`,
            `0.7.post1` -> `0.7.0-post1`; note PEP 440 post-releases thus sort *before* the release);
          * text after the first `+` is sanitized the same way and kept as build metadata;
          * a version that does not start with a digit -> `0.0.0`.
title     the summary, whitespace-collapsed; longer than 80 chars it is cut at the last word boundary
          at or before 80 chars (trailing punctuation removed), without an ellipsis.
description
          the summary, whitespace-collapsed, at most 4096 UTF-8 bytes (cut on a char boundary).
          An empty summary (none in the corpus) falls back to the original name.
keywords  the words of the original name: split on `-`, `_`, `.`, `/`, `@` and camelCase boundaries
          (`XMLHttpRequest` -> xml, http, request; digits stay with their word: `oauth2`, `py3`),
          lowercased, deduplicated, in order of first appearance.

Selection modes (ids are always computed exactly as in the full conversion):
  (default)            every line
  --limit N            the first N lines
  --sample N           a seeded random sample of N lines (--seed, default 42)
  --queries FILE       quality-set sample: every corpus target of a queries.tsv (`query<TAB>id`), plus
                       distractors: for each query up to --per-query entries sharing its salient words
                       (those sharing the most words first, ties broken at random), capped at
                       --distractor-cap in total, then filled with a seeded random sample up to --sample
                       (default 30000) entries in total. Written in corpus order.

Output: a path ending in `.xz` is xz-compressed (--xz-preset, default 6 for small outputs; use 1 or
pipe `-` into `xz -T0` for the full corpus), `-` is stdout. Statistics go to stderr.

Examples:
  python3 corpus_to_index.py /work/shared/registry-corpus/packages.tsv.xz /tmp/index.jsonl
  python3 corpus_to_index.py CORPUS - | xz -T0 -6 > /tmp/index.jsonl.xz
  python3 corpus_to_index.py CORPUS sample.jsonl.xz --queries queries.tsv --sample 30000 --seed 42
"""

import argparse
import json
import lzma
import random
import re
import sys
import time

ID_MAX = 128
DESC_MAX_BYTES = 4096
TITLE_MAX = 80

_BAD_ID_CHARS = re.compile(r"[^a-z0-9_]+")
_UNDERSCORES = re.compile(r"__+")
_WS = re.compile(r"\s+")
_NAME_SPLIT = re.compile(r"[-_./@]+")
_CAMEL = re.compile(r"[A-Z]+[0-9]*(?=[A-Z][a-z])|[A-Z]?[a-z0-9]+|[A-Z0-9]+")
_VERSION_HEAD = re.compile(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?")
_BAD_PRE_CHARS = re.compile(r"[^0-9A-Za-z.-]")
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
_SEMVER_RE = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


def _segment(s):
    s = _UNDERSCORES.sub("_", _BAD_ID_CHARS.sub("_", s))
    if not s or not ("a" <= s[0] <= "z"):
        s = "n" + s
    return s


def normalize_id(ecosystem, name):
    n = name.lower()
    if n.startswith("@") and "/" in n:
        scope, _, rest = n[1:].partition("/")
        segs = [scope, rest]
    else:
        segs = [n]
    tid = ".".join([_segment(ecosystem.lower())] + [_segment(s) for s in segs])
    if len(tid) > ID_MAX:
        tid = tid[:ID_MAX].rstrip(".")
    return tid


def _identifiers(s, strip_zeros):
    out = []
    for part in _BAD_PRE_CHARS.sub("-", s).split("."):
        if not part:
            continue
        if strip_zeros and part.isdigit():
            part = str(int(part))
        out.append(part)
    return ".".join(out)


def coerce_version(v):
    v = v.strip()
    if v[:1] in ("v", "V"):
        v = v[1:]
    if "!" in v:  # PEP 440 epoch
        head, _, tail = v.partition("!")
        if head.isdigit():
            v = tail
    m = _VERSION_HEAD.match(v)
    if not m:
        return "0.0.0"
    core = ".".join(str(int(x)) if x else "0" for x in m.groups())
    rest = v[m.end():]
    rest, plus, build = rest.partition("+")
    pre = _identifiers(rest.lstrip(".-_"), True)
    out = core
    if pre:
        out += "-" + pre
    if plus:
        b = _identifiers(build, False)
        if b:
            out += "+" + b
    return out


def make_title(summary):
    if len(summary) <= TITLE_MAX:
        return summary
    cut = summary.rfind(" ", 0, TITLE_MAX + 1)
    t = summary[:cut] if cut > TITLE_MAX // 3 else summary[:TITLE_MAX]
    return t.rstrip(" ,;:.-(/&") or summary[:TITLE_MAX]


def cut_bytes(s, limit):
    b = s.encode("utf-8")
    if len(b) <= limit:
        return s
    return b[:limit].decode("utf-8", "ignore")


def name_keywords(name):
    seen = {}
    for part in _NAME_SPLIT.split(name):
        for w in _CAMEL.findall(part):
            w = w.lower()
            if w not in seen:
                seen[w] = None
    return list(seen)


def convert(eco, name, version, summary):
    summary = _WS.sub(" ", summary).strip() or name
    return {
        "id": normalize_id(eco, name),
        "version": coerce_version(version),
        "title": make_title(summary),
        "description": cut_bytes(summary, DESC_MAX_BYTES),
        "keywords": name_keywords(name),
    }


def open_text(path, mode="rt", preset=6):
    if path == "-":
        return sys.stdin if "r" in mode else sys.stdout
    if path.endswith(".xz"):
        if "w" in mode:
            return lzma.open(path, mode, encoding="utf-8", preset=preset)
        return lzma.open(path, mode, encoding="utf-8")
    return open(path, mode, encoding="utf-8")


def read_corpus(path):
    """Yields (ecosystem, name, version, summary) tuples; skips the header and malformed lines."""
    with open_text(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 4 or parts[0] == "ecosystem":
                continue
            yield parts


# ---------------------------------------------------------------- quality-set selection

STOPWORDS = set("""a an and are as at be by for from how i in into is it its me my of on or that the
this to with without using use via what which who can do does get make need want some any all""".split())
_WORD = re.compile(r"[a-z0-9]+")


def salient_words(query):
    return {w for w in _WORD.findall(query.lower()) if w not in STOPWORDS and len(w) >= 2}


def select_for_queries(rows, queries_path, total, per_query, cap, seed):
    rng = random.Random(seed)
    queries = []
    with open(queries_path, encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            q, _, tid = line.rstrip("\n").partition("\t")
            queries.append((salient_words(q), tid.strip()))
    targets = {t for _, t in queries}
    allwords = set().union(*(w for w, _ in queries)) if queries else set()
    chosen = set()
    found_targets = set()
    postings = {w: [] for w in allwords}  # salient word -> row indexes containing it
    for i, (eco, name, _, summary) in enumerate(rows):
        tid = normalize_id(eco, name)
        if tid in targets:
            chosen.add(i)
            found_targets.add(tid)
        text = " ".join(name_keywords(name)) + " " + tid.replace(".", " ").replace("_", " ") + " " + summary.lower()
        for w in allwords.intersection(_WORD.findall(text)):
            postings[w].append(i)
    n_targets = len(chosen)
    distract = set()
    for words, _ in queries:
        shared = {}
        for w in sorted(words):
            for i in postings.get(w, ()):
                shared[i] = shared.get(i, 0) + 1
        cands = sorted(shared.items())
        keyed = [(-n, rng.random(), i) for i, n in cands]
        keyed.sort()
        for _, _, i in keyed[:per_query]:
            distract.add(i)
    distract -= chosen
    distract = sorted(distract)
    if len(distract) > cap:
        distract = sorted(rng.sample(distract, cap))
    chosen.update(distract)
    rest = [i for i in range(len(rows)) if i not in chosen]
    fill = max(0, total - len(chosen))
    chosen.update(rng.sample(rest, min(fill, len(rest))))
    missing = sorted(t for t in targets if t not in found_targets)
    print(f"targets found in corpus: {len(found_targets)} of {len(targets)} "
          f"(not in corpus, e.g. starter tools: {missing}); target rows: {n_targets}; "
          f"distractors: {len(distract)}; random fill: {len(chosen) - n_targets - len(distract)}",
          file=sys.stderr)
    return sorted(chosen)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", help="packages.tsv or packages.tsv.xz ('-' = stdin)")
    ap.add_argument("output", help="output .jsonl, .jsonl.xz or '-' for stdout")
    ap.add_argument("--limit", type=int, help="convert only the first N lines")
    ap.add_argument("--sample", type=int, help="seeded random sample of N lines (total size with --queries)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--queries", help="queries.tsv: build the quality-test sample (targets + distractors + random)")
    ap.add_argument("--per-query", type=int, default=100, help="distractors per query (default 100)")
    ap.add_argument("--distractor-cap", type=int, default=20000, help="max distractors in total (default 20000)")
    ap.add_argument("--keep-duplicates", action="store_true", help="also write later lines of a duplicate (id, version)")
    ap.add_argument("--xz-preset", type=int, default=6)
    ap.add_argument("--check", action="store_true", help="validate every id and version (slower)")
    args = ap.parse_args()

    t0 = time.time()
    rows = None
    if args.queries or args.sample:
        rows = list(read_corpus(args.corpus))
        if args.queries:
            idx = select_for_queries(rows, args.queries, args.sample or 30000, args.per_query,
                                     args.distractor_cap, args.seed)
        else:
            idx = sorted(random.Random(args.seed).sample(range(len(rows)), min(args.sample, len(rows))))
        source = (rows[i] for i in idx)
    else:
        source = read_corpus(args.corpus)

    seen = set()
    ids = set()
    n_in = n_out = n_dup = n_idcoll = 0
    dup_examples = []
    first_name = {}
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    out = open_text(args.output, "wt", args.xz_preset)
    try:
        write = out.write
        for eco, name, version, summary in source:
            if args.limit is not None and n_in >= args.limit:
                break
            n_in += 1
            rec = convert(eco, name, version, summary)
            key = (rec["id"], rec["version"])
            if key in seen:
                n_dup += 1
                if len(dup_examples) < 10:
                    dup_examples.append(f"{eco}/{name}@{version} -> {key[0]}@{key[1]} "
                                        f"(first: {first_name.get(key, '?')})")
                if not args.keep_duplicates:
                    continue
            else:
                if key[0] in ids:
                    n_idcoll += 1
                else:
                    ids.add(key[0])
                seen.add(key)
                if len(first_name) < 2_000_000 and n_dup < 10:
                    first_name[key] = f"{eco}/{name}@{version}"
            if args.check:
                assert _ID_RE.match(rec["id"]) and len(rec["id"]) <= ID_MAX, rec
                assert _SEMVER_RE.match(rec["version"]), (version, rec["version"])
            write(dumps(rec))
            write("\n")
            n_out += 1
    finally:
        if out is not sys.stdout:
            out.close()
        else:
            out.flush()
    dt = time.time() - t0
    print(f"read {n_in} entries, wrote {n_out} lines, duplicate (id, version): {n_dup} "
          f"({'kept' if args.keep_duplicates else 'dropped'}), same id with another version: {n_idcoll}, "
          f"distinct ids: {len(ids)}, {dt:.1f} s", file=sys.stderr)
    for e in dup_examples:
        print("  dup: " + e, file=sys.stderr)


if __name__ == "__main__":
    main()
