"""Answering: hybrid retrieval over an opened index, then verbatim passages with a highlight.

    answer(index, question) -> Answer

Dense (FAISS, cosine) and lexical (bot/lexical.py: SQLite FTS5, BM25 with Porter stemming and
accent folding) candidates are fused by weighted reciprocal rank fusion, so exact names, numbers
and rare words win even when the embedding misses them. Whether the reports answer at all is
decided from two signals of the best candidates: cosine similarity, and how much of the
question's rare vocabulary (IDF-weighted) the passage contains. The thresholds are calibrated
on the questions in tests/questions.py (see README, "Abstention").

The highlighted sentence of each passage is the one closest to the question (plus a share of
its rare words). Sentence vectors were pooled at ingest from the chunk's own forward pass and
stored with it, so answering runs the model once: on the question.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np

from bot import lexical, vectors
from bot.embedding import LEAN_MAX_TEXTS
from bot.errors import InvalidQuestion, QuestionTooLong
from bot.figures import TIME_KINDS, Figure, parse_figures
from bot.index import ReportIndex
from bot.models import Answer, Passage, SearchFilter
from bot.text import highlight_spans, strip_control

Mode = Literal["hybrid", "dense", "lexical"]

# Fusion (tuned on SciFact train; see docs/benchmarks.md).
RRF_K = 10  # SciFact train nDCG@10: 0.7260 (k=60: 0.7194); scripts/tune_fusion.py
DENSE_WEIGHT = 1.0
LEXICAL_WEIGHT = 1.0
CANDIDATES = 50

# Abstention (calibrated on tests/questions.py with scripts/calibrate.py).
MIN_DENSE = 0.62  # this similar on its own answers the question
MIN_COVERAGE = 0.45  # or: this share of the question's rare words...
MIN_DENSE_WITH_TERMS = 0.20  # ...with at least this similarity
DUPLICATE_JACCARD = 0.8
STEM_BLOCK = 8  # candidates tokenised together while looking for passages that answer
HIGHLIGHT_LEXICAL_WEIGHT = 0.3
MAX_QUESTION_CHARS = 1000
SENTENCE_CACHE = 50_000  # sentence vectors kept per index (~75 MB at 384 dimensions)


@dataclass
class Hit:
    chunk_id: int
    score: float
    dense: float | None = None  # cosine similarity, when the dense side found it
    lexical: float | None = None  # BM25 (higher is better), when the lexical side found it
    doc_id: str = ""


def prepare_question(question: str, max_chars: int = MAX_QUESTION_CHARS) -> str:
    """Normalise a question, refusing empty and over-long ones with a one-line reason."""
    text = " ".join(strip_control(question or "").split())
    if not re.search(r"\w", text):
        raise InvalidQuestion(
            "Please send a question in words, e.g. “How many GPUs does the lab have?”"
        )
    if len(text) > max_chars:
        raise QuestionTooLong(len(text), max_chars)
    return text


def search(
    index: ReportIndex,
    query: str,
    *,
    limit: int = CANDIDATES,
    mode: Mode = "hybrid",
    query_vector: np.ndarray | None = None,
    filters: SearchFilter | None = None,
) -> list[Hit]:
    """Fused ranking of chunks for a query, best first (doc ids filled in).

    `filters` restricts both retrievers to the chunks of the documents it selects.
    """
    hits: dict[int, Hit] = {}
    allowed = allowed_chunks(index, filters)
    if mode in ("hybrid", "dense"):
        qvec = query_vector if query_vector is not None else embed_query(index, query)
        ids_array = None if allowed is None else np.fromiter(allowed, dtype=np.int64)
        scores, ids = vectors.search(index.vectors, qvec, limit, allowed=ids_array)
        for rank, (cid, score) in enumerate(zip(ids.tolist(), scores.tolist(), strict=True)):
            if cid < 0:
                continue
            hit = hits.setdefault(cid, Hit(cid, 0.0))
            hit.dense = float(score)
            hit.score += DENSE_WEIGHT / (RRF_K + rank + 1)
    if mode in ("hybrid", "lexical"):
        for rank, (cid, bm25) in enumerate(
            lexical.search(index, query, limit, also=list(hits), allowed=allowed)
        ):
            hit = hits.setdefault(cid, Hit(cid, 0.0))
            hit.lexical = bm25
            hit.score += LEXICAL_WEIGHT / (RRF_K + rank + 1)
    ranked = sorted(hits.values(), key=lambda h: -h.score)[:limit]
    if ranked:
        marks = ",".join("?" * len(ranked))
        owners = dict(
            index.db.execute(
                f"SELECT id, doc_id FROM chunks WHERE id IN ({marks})", [h.chunk_id for h in ranked]
            ).fetchall()
        )
        for h in ranked:
            h.doc_id = owners.get(h.chunk_id, "")
    return ranked


def allowed_chunks(index: ReportIndex, filters: SearchFilter | None) -> frozenset[int] | None:
    """The chunk ids a filter keeps (None: no filter), once per filter and generation.

    Publishers compare case-insensitively; a date bound compares with the document's date cut
    to the bound's length, so `date_to="2021"` keeps every document dated in 2021. A document
    without a date is outside any date range.
    """
    if not filters:
        return None
    key = f"filter:{filters!r}"
    if key not in index._cache:
        clauses: list[str] = []
        args: list[str] = []
        if filters.doc_ids:
            clauses.append(f"d.id IN ({','.join('?' * len(filters.doc_ids))})")
            args += list(filters.doc_ids)
        if filters.publisher:
            clauses.append("lower(d.publisher) = lower(?)")
            args.append(filters.publisher.strip())
        if filters.date_from:
            clauses.append("d.date != '' AND substr(d.date, 1, length(?)) >= ?")
            args += [filters.date_from] * 2
        if filters.date_to:
            clauses.append("d.date != '' AND substr(d.date, 1, length(?)) <= ?")
            args += [filters.date_to] * 2
        rows = index.db.execute(
            "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE "
            + " AND ".join(clauses),
            args,
        )
        index._cache[key] = frozenset(int(r[0]) for r in rows)
    return index._cache[key]


def answer(
    index: ReportIndex,
    question: str,
    *,
    k: int = 3,
    offset: int = 0,
    max_chars: int = MAX_QUESTION_CHARS,
    filters: SearchFilter | None = None,
) -> Answer:
    """The best `k` passages (from `offset` in the ranking) that answer a question, or not_found.

    `filters` restricts the passages to some documents (ids, publisher, date range).
    """
    q = prepare_question(question, max_chars)
    qvec = embed_query(index, q)
    hits = search(index, q, limit=CANDIDATES, query_vector=qvec, filters=filters)
    terms = _weighted_terms(index, q)
    rows = {r["id"]: r for r in index.chunks([h.chunk_id for h in hits])}

    relevant: list[tuple[Hit, dict]] = []
    kept_stems: list[set[str]] = []
    hits = [h for h in hits if h.chunk_id in rows]
    tokens: list[set[str]] = []
    for i, hit in enumerate(hits):
        row = rows[hit.chunk_id]
        if i == len(tokens):  # tokenise the next few candidates in one pass
            block = [_searchable(rows[h.chunk_id]) for h in hits[i : i + STEM_BLOCK]]
            tokens += map(set, lexical.stems_many(block))
        stems = tokens[i]
        cos = hit.dense if hit.dense is not None else _cosine(index, qvec, hit.chunk_id)
        cover = _coverage(terms, stems)
        if not _answers(cos, cover):
            continue
        if any(_jaccard(stems, other) >= DUPLICATE_JACCARD for other in kept_stems):
            continue
        kept_stems.append(stems)
        relevant.append((hit, row))
        if len(relevant) >= offset + k:
            break

    if not relevant:
        return Answer(q, "not_found", [], suggestions=_suggestions(index, hits))
    chosen = relevant[offset : offset + k]
    passages = _passages(index, qvec, terms, chosen)
    return Answer(q, "found", passages, offset=offset)


def _searchable(row: dict) -> str:
    """What retrieval matched for a chunk: its context (document, section, table header) and text."""
    return (row.get("context") or "") + row["text"]


def _answers(cos: float, coverage: float) -> bool:
    return cos >= MIN_DENSE or (coverage >= MIN_COVERAGE and cos >= MIN_DENSE_WITH_TERMS)


def _passages(index, qvec, terms, chosen) -> list[Passage]:
    sentence_sets = [highlight_spans(row["text"]) for _, row in chosen]
    sims = _sentence_matrix(index, [row for _, row in chosen], sentence_sets) @ qvec.reshape(-1)
    sentence_stems = lexical.stems_many(
        [
            row["text"][s:e]
            for (_, row), spans in zip(chosen, sentence_sets, strict=True)
            for s, e in spans
        ]
    )
    out: list[Passage] = []
    pos = 0
    for (hit, row), spans in zip(chosen, sentence_sets, strict=True):
        best, best_score = spans[0], -math.inf
        for s, e in spans:
            score = float(sims[pos]) + HIGHLIGHT_LEXICAL_WEIGHT * _coverage(
                terms, set(sentence_stems[pos])
            )
            pos += 1
            if score > best_score:
                best, best_score = (s, e), score
        doc = index.document_cached(row["doc_id"])
        abs_start = row["start"] + best[0]
        page = _position(doc["page_starts"], abs_start)
        paragraph = _position(doc["paragraph_starts"], abs_start)
        highlight = row["text"][best[0] : best[1]]
        out.append(
            Passage(
                quote=row["text"],
                highlight=highlight,
                highlight_start=best[0],
                doc_id=row["doc_id"],
                title=doc["title"],
                publisher=doc["publisher"] or "",
                author=doc["author"] or "",
                date=doc["date"] or "",
                url=doc["url"] or "",
                location=f"page {page}" if page else f"paragraph {paragraph}",
                start=row["start"],
                end=row["end"],
                score=round(hit.score, 6),
                chunk_id=row["id"],
                paragraph=paragraph,
                page=page,
                figures=_figures(highlight),
                section=row.get("section") or "",
                format=doc.get("format") or "",
            )
        )
    return out


def _figures(sentence: str) -> list[Figure]:
    """The quantities in a highlighted sentence (dates and periods left out)."""
    return [f for f in parse_figures(sentence) if f.kind not in TIME_KINDS]


def _position(starts: list[int], offset: int) -> int | None:
    return bisect.bisect_right(starts, offset) if starts else None


def _suggestions(index: ReportIndex, hits: list[Hit]) -> list[str]:
    titles: list[str] = []
    for hit in hits:
        title = index.document_cached(hit.doc_id)["title"] if hit.doc_id else ""
        if title and title not in titles:
            titles.append(title)
        if len(titles) == 3:
            break
    return titles


def embed_query(index: ReportIndex, text: str) -> np.ndarray:
    return _embed_cached(index.embedder, text)


@lru_cache(maxsize=2048)
def _embed_cached(embedder, text: str) -> np.ndarray:
    return embedder.encode([text])[0]


def _sentence_matrix(
    index: ReportIndex, rows: list[dict], sentence_sets: list[list[tuple[int, int]]]
) -> np.ndarray:
    """Vectors of every candidate sentence of these chunks, in order.

    They were pooled at ingest and stored with the chunk (no model work here); a chunk
    without them (an index built before they existed, a model without the standard layout)
    has its sentences encoded now.
    """
    if not rows:
        return np.zeros((0, index.vectors.d), dtype=np.float32)
    marks = ",".join("?" * len(rows))
    stored = (
        dict(
            index.db.execute(
                f"SELECT chunk_id, vectors FROM sentence_vectors WHERE chunk_id IN ({marks})",
                [row["id"] for row in rows],
            ).fetchall()
        )
        if index.has_table("sentence_vectors")
        else {}
    )
    dim = index.vectors.d
    blocks = []
    for row, spans in zip(rows, sentence_sets, strict=True):
        blob = stored.get(row["id"])
        vecs = np.frombuffer(blob, dtype=np.float16).reshape(-1, dim) if blob else None
        if vecs is None or len(vecs) != len(spans):
            vecs = _sentence_vectors(index, [row["text"][s:e] for s, e in spans])
        blocks.append(vecs.astype(np.float32))
    return np.vstack(blocks)


def _sentence_vectors(index: ReportIndex, sentences: list[str]) -> np.ndarray:
    """Vectors of candidate sentences encoded now, kept for the generation (bounded LRU)."""
    cache: OrderedDict[str, np.ndarray] = index._cache.setdefault("sentences", OrderedDict())
    missing = [t for t in dict.fromkeys(sentences) if t not in cache]
    # Slices of LEAN_MAX_TEXTS keep a serving process on the light query path (no seconds-long
    # sentence-transformers import in the middle of answering).
    for i in range(0, len(missing), LEAN_MAX_TEXTS):
        part = missing[i : i + LEAN_MAX_TEXTS]
        for text, vec in zip(part, index.embedder.encode(part), strict=True):
            cache[text] = vec
    for text in sentences:
        cache.move_to_end(text)
    while len(cache) > SENTENCE_CACHE:
        cache.popitem(last=False)
    return np.vstack([cache[t] for t in sentences])


def _cosine(index: ReportIndex, qvec: np.ndarray, chunk_id: int) -> float:
    return float(index.vectors.reconstruct(int(chunk_id)) @ qvec)


@dataclass(frozen=True)
class Term:
    """A content word of the question: the index terms that count as it, and its IDF."""

    word: str
    variants: frozenset[str]
    idf: float


def _weighted_terms(index: ReportIndex, query: str) -> list[Term]:
    """The question's content words with their IDF over the index.

    A word the index has never seen (a Spanish word, say) is matched by prefix against the
    index vocabulary, so cognates still count: "presidente" -> president, "exportaron" ->
    export. A word with no match at all keeps the highest IDF: it is a topic the reports
    do not mention, and it pulls coverage down.
    """
    total = index.vectors.ntotal or 1
    out: list[Term] = []
    words = lexical.query_words(query)
    english_of = {w: lexical.glossary().get(w, []) for w in words}
    keys = [w.replace("_", " ") for w in words] + [e for en in english_of.values() for e in en]
    tokens = dict(zip(keys, lexical.word_stems(keys), strict=True))  # every word in one pass
    for word in words:
        stems = tokens[word.replace("_", " ")]
        if not stems:
            continue
        stem = stems[0] if "_" not in word else word
        df = lexical.df(index, stem)
        variants = {stem}
        english = english_of[word]
        if df == 0 and english:
            variants = {s for e in english for s in tokens[e]}
            df = min(total, max(lexical.df(index, v) for v in variants))
        elif df == 0 and len(word) >= lexical.COGNATE_MIN_LEN:
            rows = lexical.prefix_terms(index, word[: lexical.COGNATE_PREFIX])
            variants |= {t for t, _ in rows}
            df = min(total, sum(d for _, d in rows))
        idf = math.log(1 + (total - df + 0.5) / (df + 0.5))
        out.append(Term(word, frozenset(variants), idf))
    return out


def _coverage(terms: list[Term], stems: set[str]) -> float:
    """Share of the question's IDF mass whose words appear in `stems`."""
    total = sum(t.idf for t in terms)
    return sum(t.idf for t in terms if t.variants & stems) / total if total else 0.0


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0
