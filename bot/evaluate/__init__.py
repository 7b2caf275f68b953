"""Retrieval quality on public data: a BEIR loader, the metrics, and the runner behind `reportbot eval`.

The runner builds an index of a BEIR corpus through the normal ingestion path (cached in a scratch
directory, keyed by the corpus bytes, the chunk/fusion settings and the model), runs every query of
a split through the normal search path and scores the document ranking: a document ranks at its
best chunk, in hit order. Metrics follow the definitions used by BEIR (pytrec_eval): nDCG with
linear gain `rel / log2(rank + 1)`, Recall@k over the judged-relevant documents, MRR@k of the first
relevant document; every query of the split counts, a query with no hits scores zero.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import math
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import user_cache_dir
from bot.errors import ReportbotError
from bot.models import DocumentMeta, RawDocument

if TYPE_CHECKING:
    from bot.answering import Mode
    from bot.embedding import Embedder
    from bot.index import ReportIndex

log = logging.getLogger(__name__)

MODES = ("hybrid", "dense", "lexical")
CUTOFFS = (10, 100)
SEARCH_LIMIT = 100  # chunks asked of search() per query: the depth of Recall@100
FUSION_SETTINGS = ("RRF_K", "DENSE_WEIGHT", "LEXICAL_WEIGHT", "CANDIDATES")
CACHE_FORMAT = 1  # bump when the cached index layout or the BEIR-to-document mapping changes


class DatasetError(ReportbotError):
    """The dataset directory is not in BEIR layout (missing or malformed files)."""


# --- loading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CorpusRecord:
    doc_id: str
    title: str
    text: str


@dataclass
class BeirDataset:
    """One split of a BEIR dataset: the whole corpus, the split's queries and judgements."""

    name: str
    split: str
    corpus_path: Path
    queries: dict[str, str]  # only the queries judged in this split
    qrels: dict[str, dict[str, int]]  # query id -> {doc id: relevance}

    def corpus(self) -> Iterator[CorpusRecord]:
        return iter_corpus(self.corpus_path)


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    try:
        handle = path.open(encoding="utf-8")
    except FileNotFoundError as exc:
        raise DatasetError(f"{path} is missing: a BEIR dataset needs it") from exc
    with handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{path}:{lineno} is not valid JSON ({exc.msg})") from exc
            if not isinstance(record, dict) or "_id" not in record:
                raise DatasetError(f'{path}:{lineno} has no "_id" field')
            yield record


def iter_corpus(corpus_path: Path) -> Iterator[CorpusRecord]:
    """The records of a BEIR `corpus.jsonl`, in file order."""
    for record in _read_jsonl(corpus_path):
        yield CorpusRecord(
            doc_id=str(record["_id"]),
            title=str(record.get("title") or ""),
            text=str(record.get("text") or ""),
        )


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    """`query-id  corpus-id  score` rows, tab-separated, with a header line."""
    if not path.is_file():
        raise DatasetError(f"{path} is missing: the split has no relevance judgements")
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        for lineno, row in enumerate(rows, 1):
            if not row or (lineno == 1 and not row[-1].strip().lstrip("-").isdigit()):
                continue  # blank line or the header
            if len(row) != 3:
                raise DatasetError(f"{path}:{lineno} should have 3 tab-separated columns")
            query_id, doc_id, score = row
            try:
                qrels.setdefault(query_id, {})[doc_id] = int(score)
            except ValueError as exc:
                raise DatasetError(f"{path}:{lineno}: score {score!r} is not a number") from exc
    return qrels


def load_beir(dataset_dir: Path, split: str = "test") -> BeirDataset:
    """Load the queries and judgements of `split`; the corpus is read lazily by `corpus()`."""
    dataset_dir = Path(dataset_dir)
    corpus_path = dataset_dir / "corpus.jsonl"
    if not corpus_path.is_file():
        raise DatasetError(f"{corpus_path} is missing: is {dataset_dir} a BEIR dataset?")
    qrels = load_qrels(dataset_dir / "qrels" / f"{split}.tsv")
    all_queries = {
        str(r["_id"]): str(r.get("text") or "") for r in _read_jsonl(dataset_dir / "queries.jsonl")
    }
    missing = sorted(set(qrels) - set(all_queries))
    if missing:
        raise DatasetError(
            f"{len(missing)} judged queries are not in queries.jsonl (first: {missing[0]})"
        )
    queries = {qid: all_queries[qid] for qid in all_queries if qid in qrels}
    return BeirDataset(
        name=dataset_dir.resolve().name,
        split=split,
        corpus_path=corpus_path,
        queries=queries,
        qrels=qrels,
    )


def corpus_documents(dataset: BeirDataset) -> Iterator[RawDocument]:
    """One RawDocument per corpus record: the title, a blank line, the text."""
    for record in dataset.corpus():
        body = f"{record.title}\n\n{record.text}" if record.title else record.text
        yield RawDocument(
            source=f"beir://{dataset.name}/{record.doc_id}",
            format="txt",
            pages=[body],
            content_hash=hashlib.sha256(record.text.encode("utf-8")).hexdigest(),
            doc_id=record.doc_id,
            meta=DocumentMeta(title=record.title),
        )


# --- metrics -----------------------------------------------------------------------------------


def dcg_at_k(gains: Sequence[float], k: int) -> float:
    """Discounted cumulative gain of the first k gains: sum of gain_i / log2(i + 1), i from 1."""
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains[:k]) if g)


def ndcg_at_k(ranking: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    """nDCG@k of one ranked list of doc ids against graded judgements (linear gain)."""
    ideal = dcg_at_k(sorted((r for r in relevant.values() if r > 0), reverse=True), k)
    if ideal == 0:
        return 0.0
    gains = [max(relevant.get(doc_id, 0), 0) for doc_id in ranking[:k]]
    return dcg_at_k(gains, k) / ideal


def recall_at_k(ranking: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    """Share of the relevant documents found in the first k."""
    wanted = {d for d, r in relevant.items() if r > 0}
    if not wanted:
        return 0.0
    return len(wanted.intersection(ranking[:k])) / len(wanted)


def mrr_at_k(ranking: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    """Reciprocal rank of the first relevant document within the first k, else 0."""
    for rank, doc_id in enumerate(ranking[:k], 1):
        if relevant.get(doc_id, 0) > 0:
            return 1.0 / rank
    return 0.0


def score_run(
    run: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, int]]
) -> dict[str, float]:
    """Mean metrics over every judged query; a query missing from `run` scores zero."""
    if not qrels:
        raise ValueError("no judged queries to score")
    totals = {"ndcg@10": 0.0, "recall@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0}
    for query_id, relevant in qrels.items():
        ranking = run.get(query_id, ())
        totals["ndcg@10"] += ndcg_at_k(ranking, relevant, 10)
        totals["recall@10"] += recall_at_k(ranking, relevant, 10)
        totals["recall@100"] += recall_at_k(ranking, relevant, 100)
        totals["mrr@10"] += mrr_at_k(ranking, relevant, 10)
    return {name: total / len(qrels) for name, total in totals.items()}


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation, as numpy's default."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def doc_ranking(hits: Iterable[Any], limit: int = 100) -> list[str]:
    """Documents in the order of their best chunk: first occurrence in hit order wins."""
    seen: dict[str, None] = {}
    for hit in hits:
        seen.setdefault(hit.doc_id, None)
        if len(seen) >= limit:
            break
    return list(seen)


# --- the runner --------------------------------------------------------------------------------


@dataclass
class EvalResult:
    dataset: str
    split: str
    mode: str
    model: str
    queries: int
    documents: int
    chunks: int
    ndcg_at_10: float
    recall_at_10: float
    recall_at_100: float
    mrr_at_10: float
    latency_p50_ms: float  # search(): embed query, retrievals, fusion
    latency_p95_ms: float
    answer_p50_ms: float | None = None  # answer(): the above plus quote selection
    answer_p95_ms: float | None = None
    index_build_s: float | None = None  # None when the cached index was reused
    cached: bool = False
    index_dir: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    run: dict[str, list[str]] = field(default_factory=dict, repr=False)  # query -> doc ids

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("run")
        return data


def default_cache_root() -> Path:
    return user_cache_dir("eval", "REPORTBOT_EVAL_CACHE")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def index_settings(embedder: Embedder) -> dict[str, Any]:
    """What decides the content of an index built from a corpus: model, cleaning, chunking."""
    from bot.chunking import MAX_WORDS, MIN_WORDS
    from bot.cleaning import CLEANING_VERSION
    from bot.index import FORMAT_VERSION
    from bot.ingest import SENTENCE_VECTORS_VERSION

    return {
        "cache_format": CACHE_FORMAT,
        "index_format": FORMAT_VERSION,
        "model": embedder.name,
        "dimension": embedder.dimension,
        "chunking": {"max_words": MAX_WORDS, "min_words": MIN_WORDS},
        "cleaning_version": CLEANING_VERSION,
        "sentence_vectors": SENTENCE_VECTORS_VERSION,
    }


def cache_key(corpus_sha256: str, settings: Mapping[str, Any]) -> str:
    blob = json.dumps({"corpus": corpus_sha256, **settings}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def build_or_open_index(
    dataset: BeirDataset,
    embedder: Embedder,
    *,
    cache_root: Path | None = None,
    rebuild: bool = False,
    progress: Callable[..., Any] | None = None,
) -> tuple[ReportIndex, Path, float | None]:
    """Open the cached index of a BEIR corpus, or build it through `ingest_raw` first."""
    from bot.ingest import ingest_raw

    def build(index_dir: Path) -> None:
        ingest_raw(index_dir, corpus_documents(dataset), embedder=embedder, progress=progress)

    return cached_index(
        dataset.name,
        file_sha256(dataset.corpus_path),
        build,
        embedder,
        cache_root=cache_root,
        rebuild=rebuild,
    )


def cached_index(
    name: str,
    corpus_hash: str,
    build: Callable[[Path], Any],
    embedder: Embedder,
    *,
    cache_root: Path | None = None,
    rebuild: bool = False,
) -> tuple[ReportIndex, Path, float | None]:
    """Open the cached index of a corpus (by its hash and the index settings), or `build` it.

    Returns the opened index, its directory and the build time (None when reused). A build that
    did not finish leaves no completion marker, so the next run rebuilds rather than trusting it.
    """
    from filelock import FileLock

    from bot.index import ReportIndex

    settings = index_settings(embedder)
    key = cache_key(corpus_hash, settings)
    root = Path(cache_root) if cache_root else default_cache_root()
    index_dir = root / f"{name}-{key}"
    marker = index_dir / "eval-cache.json"
    root.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root / f"{name}-{key}.lock")):
        build_s: float | None = None
        if rebuild or not marker.is_file():
            if index_dir.exists():
                log.info("removing incomplete or stale eval index %s", index_dir)
                shutil.rmtree(index_dir)
            index_dir.mkdir(parents=True)
            log.info("building eval index of %s in %s", name, index_dir)
            start = time.perf_counter()
            build(index_dir)
            build_s = time.perf_counter() - start
            marker.write_text(
                json.dumps(
                    {"corpus_sha256": corpus_hash, "settings": settings, "build_s": build_s},
                    indent=2,
                    default=str,
                )
            )
        else:
            log.info("reusing eval index %s", index_dir)
        return ReportIndex.open(index_dir, embedder), index_dir, build_s


def _fusion_settings() -> dict[str, Any]:
    from bot import answering

    return {name: getattr(answering, name) for name in FUSION_SETTINGS if hasattr(answering, name)}


def run_eval(
    dataset_dir: Path,
    split: str = "test",
    mode: Mode = "hybrid",
    *,
    embedder: Embedder | None = None,
    model: str | None = None,
    cache_root: Path | None = None,
    rebuild: bool = False,
    time_answers: bool | None = None,
    progress: Callable[..., Any] | None = None,
) -> EvalResult:
    """Score `mode` retrieval on one split of a BEIR dataset, with query latencies.

    `time_answers` (default: in hybrid mode) also times the full `answer()` path per query.
    """
    from bot.answering import _embed_cached, answer, search
    from bot.config import get_settings
    from bot.embedding import get_embedder

    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    dataset = load_beir(Path(dataset_dir), split)
    if embedder is None:
        embedder = get_embedder(model or get_settings().model)
    index, index_dir, build_s = build_or_open_index(
        dataset, embedder, cache_root=cache_root, rebuild=rebuild, progress=progress
    )
    queries = list(dataset.queries.items())
    if queries:  # one untimed query: loads the model and warms the caches
        search(index, queries[0][1], limit=SEARCH_LIMIT, mode=mode)
    _embed_cached.cache_clear()  # time every query's embedding, as a fresh question would be

    run: dict[str, list[str]] = {}
    latencies: list[float] = []
    for query_id, text in queries:
        start = time.perf_counter()
        hits = search(index, text, limit=SEARCH_LIMIT, mode=mode)
        latencies.append((time.perf_counter() - start) * 1000)
        run[query_id] = doc_ranking(hits, max(CUTOFFS))

    answer_ms: list[float] = []
    if time_answers or (time_answers is None and mode == "hybrid"):
        _embed_cached.cache_clear()  # the search loop above cached every query's vector
        for _, text in queries:
            start = time.perf_counter()
            answer(index, text)
            answer_ms.append((time.perf_counter() - start) * 1000)

    scores = score_run(run, dataset.qrels)
    info = index.info()
    result = EvalResult(
        dataset=dataset.name,
        split=split,
        mode=mode,
        model=embedder.name,
        queries=len(queries),
        documents=int(info["documents"]),
        chunks=int(info["chunks"]),
        ndcg_at_10=scores["ndcg@10"],
        recall_at_10=scores["recall@10"],
        recall_at_100=scores["recall@100"],
        mrr_at_10=scores["mrr@10"],
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
        answer_p50_ms=percentile(answer_ms, 50) if answer_ms else None,
        answer_p95_ms=percentile(answer_ms, 95) if answer_ms else None,
        index_build_s=build_s,
        cached=build_s is None,
        index_dir=str(index_dir),
        settings={
            **index_settings(embedder),
            "index_type": index.meta.get("index_type"),
            "fusion": _fusion_settings(),
        },
        run=run,
    )
    return result
