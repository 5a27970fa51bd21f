#!/usr/bin/env python3
"""FTS5/BM25 reference figures for the registry search quality set (python3 stdlib only).

Loads a DESIGN §8 index (JSON Lines, optionally .xz/.gz) plus the starter manifests
(Manifests/*/omega.json) into an SQLite FTS5 table with the columns
    idwords (the id, `.`/`_` turned into spaces), title, description, keywords (space-joined)
once per tokenizer (`unicode61` and `porter unicode61` by default), runs every labelled query of a
queries.tsv (`query<TAB>expected id`, `#` comments) as

    SELECT id FROM t WHERE t MATCH '"w1" OR "w2" OR ...' ORDER BY bm25(t) LIMIT ...

(each whitespace-separated word of the query quoted, so `snake_case` is the phrase "snake case"),
keeps the first 10 distinct ids and prints recall@5, recall@10 and MRR (reciprocal rank of the
expected id within the top 10, 0 if absent), plus query latency. Rows with the same (id) but another
version count once.

Usage:
  python3 fts5_quality.py INDEX.jsonl[.xz] [--queries Tests/RegistryTests/Fixtures/quality/queries.tsv]
        [--manifests Manifests] [--tokenizers "unicode61,porter unicode61"] [--misses] [--db PATH]
        [--weights 4,2,1,2]   (optional column weights; the reference figures use plain bm25())
"""

import argparse
import glob
import gzip
import json
import lzma
import os
import re
import sqlite3
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))


def open_text(path):
    if path.endswith(".xz"):
        return lzma.open(path, "rt", encoding="utf-8")
    if path.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def id_words(tid):
    return tid.replace(".", " ").replace("_", " ")


def records(index_path, manifests_dir):
    for path in sorted(glob.glob(os.path.join(manifests_dir, "*", "omega.json"))):
        with open(path, encoding="utf-8") as f:
            yield json.load(f)
    with open_text(index_path) as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def row(d):
    kw = d.get("keywords") or []
    return (d["id"], id_words(d["id"]), d.get("title") or "", d.get("description") or "", " ".join(kw))


def build(db, tokenizer, rows):
    db.execute("DROP TABLE IF EXISTS t")
    db.execute(f"CREATE VIRTUAL TABLE t USING fts5(id UNINDEXED, idwords, title, description, keywords, "
               f"tokenize = '{tokenizer}')")
    t0 = time.time()
    db.executemany("INSERT INTO t VALUES (?,?,?,?,?)", rows)
    db.execute("INSERT INTO t(t) VALUES ('optimize')")
    db.commit()
    return time.time() - t0


def load_queries(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            q, _, expected = line.partition("\t")
            out.append((q.strip(), expected.strip()))
    return out


def match_expr(query):
    words = [w for w in query.split() if re.search(r"\w", w)]
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in words)


def evaluate(db, queries, k=10, misses=False, label="", weights=""):
    r5 = r10 = rr = 0.0
    lat = []
    ranks = []
    for q, expected in queries:
        expr = match_expr(q)
        t0 = time.perf_counter()
        ids = []
        if expr:
            for (tid,) in db.execute(f"SELECT id FROM t WHERE t MATCH ? ORDER BY bm25(t{weights}) LIMIT ?", (expr, k * 5)):
                if tid not in ids:
                    ids.append(tid)
                    if len(ids) == k:
                        break
        lat.append(time.perf_counter() - t0)
        rank = ids.index(expected) + 1 if expected in ids else 0
        ranks.append(rank)
        if rank and rank <= 5:
            r5 += 1
        if rank:
            r10 += 1
            rr += 1.0 / rank
        if misses and rank != 1:
            print(f"  [{label}] rank {rank or '>10'}: {q!r} -> {expected}; top: {', '.join(ids[:3])}")
    n = len(queries)
    lat.sort()
    return {"recall@5": r5 / n, "recall@10": r10 / n, "MRR": rr / n,
            "p50_ms": 1000 * lat[n // 2], "max_ms": 1000 * lat[-1], "ranks": ranks}


def summarize(ranks):
    n = len(ranks) or 1
    return (sum(1 for r in ranks if 0 < r <= 5) / n, sum(1 for r in ranks if r) / n,
            sum(1.0 / r for r in ranks if r) / n)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("index", help="index .jsonl / .jsonl.xz / .jsonl.gz")
    ap.add_argument("--queries", default=os.path.join(ROOT, "Tests/RegistryTests/Fixtures/quality/queries.tsv"))
    ap.add_argument("--manifests", default=os.path.join(ROOT, "Manifests"))
    ap.add_argument("--tokenizers", default="unicode61,porter unicode61")
    ap.add_argument("--db", default=":memory:", help="SQLite file to build in (default: in memory)")
    ap.add_argument("--weights", default="", help="bm25 column weights idwords,title,description,keywords "
                    "(default: none, i.e. plain bm25() with all weights 1)")
    ap.add_argument("--misses", action="store_true", help="print every query whose expected id is not ranked 1st")
    args = ap.parse_args()

    queries = load_queries(args.queries)
    weights = ""
    if args.weights:
        ws = [float(x) for x in args.weights.split(",")]
        assert len(ws) == 4, "--weights takes 4 numbers"
        weights = ", 0, " + ", ".join(repr(w) for w in ws)  # column 0 (id) is UNINDEXED
    t0 = time.time()
    rows = [row(d) for d in records(args.index, args.manifests)]
    print(f"index: {args.index}: {len(rows)} rows (incl. starter manifests), loaded in {time.time() - t0:.1f} s; "
          f"{len(queries)} queries", file=sys.stderr)
    known = {r[0] for r in rows}
    starters = {json.load(open(p, encoding="utf-8"))["id"]
                for p in glob.glob(os.path.join(args.manifests, "*", "omega.json"))}
    absent = [e for _, e in queries if e not in known]
    if absent:
        print(f"WARNING: {len(absent)} expected ids not in the index: {sorted(set(absent))}", file=sys.stderr)

    print(f"{'tokenizer':<22} {'recall@5':>9} {'recall@10':>10} {'MRR':>7} {'p50 ms':>8} {'max ms':>8} {'build s':>8}")
    for tok in [t.strip() for t in args.tokenizers.split(",") if t.strip()]:
        db = sqlite3.connect(args.db)
        build_s = build(db, tok, rows)
        m = evaluate(db, queries, misses=args.misses, label=tok, weights=weights)
        print(f"{tok:<22} {m['recall@5']:9.3f} {m['recall@10']:10.3f} {m['MRR']:7.3f} "
              f"{m['p50_ms']:8.2f} {m['max_ms']:8.1f} {build_s:8.1f}", flush=True)
        for label, sel in (("  starter tools", True), ("  corpus targets", False)):
            rs = [r for r, (_, e) in zip(m["ranks"], queries) if (e in starters) == sel]
            a, b, c = summarize(rs)
            print(f"{label + f' ({len(rs)})':<22} {a:9.3f} {b:10.3f} {c:7.3f}", flush=True)
        db.execute("DROP TABLE t")
        db.close()


if __name__ == "__main__":
    main()
