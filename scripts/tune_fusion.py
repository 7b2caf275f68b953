"""Tune the fusion constants of bot/answering.py on the *train* split of a BEIR dataset.

    .venv/bin/python scripts/tune_fusion.py ../shared/eval/scifact [--split train]

Builds (or reuses) the evaluation index exactly as `reportbot eval` does, runs each query's dense
and lexical retrieval once at full depth, then replays `answering.search`'s weighted reciprocal
rank fusion offline for every setting of a grid, scoring the document ranking (a document at its
best chunk). Prints the grid's best settings and the current constants' figure. Never point it
at the test split: the test figures are reported, not tuned on.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import answering, lexical, vectors
from bot.embedding import get_embedder
from bot.evaluate import build_or_open_index, load_beir, score_run

DEPTH = 100


def fuse(dense, lexical, *, rrf_k, w_dense, w_lex, depth):
    """The formula of answering.search over precomputed (chunk, score) lists."""
    scores: dict[int, float] = {}
    for rank, (cid, _) in enumerate(dense[:depth]):
        scores[cid] = scores.get(cid, 0.0) + w_dense / (rrf_k + rank + 1)
    for rank, (cid, _) in enumerate(lexical[:depth]):
        scores[cid] = scores.get(cid, 0.0) + w_lex / (rrf_k + rank + 1)
    return sorted(scores, key=lambda c: -scores[c])


def fuse_scores(dense, lexical, *, alpha, norm, depth):
    """Convex combination of per-query normalised scores (an alternative to RRF)."""

    def scaled(pairs):
        if not pairs:
            return {}
        values = [s for _, s in pairs]
        hi, lo = max(values), min(values)
        if norm == "max":
            return {c: s / hi if hi else 0.0 for c, s in pairs}
        return {c: (s - lo) / (hi - lo) if hi > lo else 1.0 for c, s in pairs}

    d, lx = scaled(dense[:depth]), scaled(lexical[:depth])
    d_floor = min(d.values(), default=0.0)
    l_floor = min(lx.values(), default=0.0)
    scores = {
        c: alpha * d.get(c, d_floor) + (1 - alpha) * lx.get(c, l_floor) for c in set(d) | set(lx)
    }
    return sorted(scores, key=lambda c: -scores[c])


def to_docs(chunks, owner, limit=100):
    seen: dict[str, None] = {}
    for cid in chunks:
        seen.setdefault(owner[cid], None)
        if len(seen) >= limit:
            break
    return list(seen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--split", default="train")
    args = parser.parse_args()
    if args.split == "test":
        sys.exit("refusing to tune on the test split")

    data = load_beir(args.dataset, args.split)
    embedder = get_embedder("all-MiniLM-L6-v2")
    index, index_dir, _ = build_or_open_index(data, embedder)
    owner = dict(index.db.execute("SELECT id, doc_id FROM chunks").fetchall())
    print(f"index {index_dir}: {len(owner)} chunks; {len(data.queries)} {args.split} queries")

    start = time.perf_counter()
    dense_lists, lexical_lists = {}, {}
    for qid, text in data.queries.items():
        qvec = answering.embed_query(index, text)
        scores, ids = vectors.search(index.vectors, qvec, DEPTH)
        dense_lists[qid] = [(int(c), float(s)) for c, s in zip(ids, scores, strict=True) if c >= 0]
        lexical_lists[qid] = lexical.search(
            index, text, DEPTH, also=[c for c, _ in dense_lists[qid]]
        )
    print(f"retrieved in {time.perf_counter() - start:.1f}s")

    def evaluate(**kw):
        run = {
            q: to_docs(fuse(dense_lists[q], lexical_lists[q], **kw), owner) for q in data.queries
        }
        return score_run(run, data.qrels)

    def single(lists):
        return score_run(
            {q: to_docs([c for c, _ in lists[q]], owner) for q in data.queries}, data.qrels
        )

    print("dense   ", _fmt(single(dense_lists)))
    print("lexical ", _fmt(single(lexical_lists)))
    current = dict(
        rrf_k=answering.RRF_K,
        w_dense=answering.DENSE_WEIGHT,
        w_lex=answering.LEXICAL_WEIGHT,
        depth=DEPTH,
    )
    print("current ", _fmt(evaluate(**current)), current)

    grid = []
    for rrf_k, w_lex, depth in itertools.product(
        (5, 10, 20, 30, 60), (0.5, 0.75, 1.0, 1.25, 1.5, 2.0), (50, 100)
    ):
        setting = dict(rrf_k=rrf_k, w_dense=1.0, w_lex=w_lex, depth=depth)
        grid.append((evaluate(**setting), setting))
    for alpha, norm, depth in itertools.product((0.4, 0.5, 0.6, 0.7), ("max", "minmax"), (50, 100)):
        setting = dict(alpha=alpha, norm=norm, depth=depth)
        run = {
            q: to_docs(fuse_scores(dense_lists[q], lexical_lists[q], **setting), owner)
            for q in data.queries
        }
        grid.append((score_run(run, data.qrels), {"convex": True, **setting}))
    grid.sort(key=lambda r: -r[0]["ndcg@10"])
    print("best on", args.split)
    for scores, setting in grid[:14]:
        print("  ", _fmt(scores), setting)


def _fmt(scores: dict[str, float]) -> str:
    return " ".join(f"{k}={v:.4f}" for k, v in scores.items())


if __name__ == "__main__":
    main()
