"""Answering: hybrid retrieval over an opened index, then verbatim passages with a highlight.

    answer(index, question) -> Answer

Dense (FAISS, cosine) and lexical (bot/lexical.py: SQLite FTS5, BM25 with Porter stemming and
accent folding) candidates are fused by weighted reciprocal rank fusion, so exact names, numbers
and rare words win even when the embedding misses them. The first RESCORE candidates are then
re-ranked, and each one shown or not, by small fitted models (bot/decision.py) over their
signals: chunk, best-sentence and sentence-window cosine, IDF-weighted coverage of the
question's words (also weighed by their rarity among the candidates), BM25, the nearness of the
matched words, words the index has never seen, each retriever's rank (see README, "Abstention").

A Spanish question (bot/language.py) is also searched with its English rendering.

The highlighted sentence of each passage is the one a fitted sentence model scores highest
(its cosine and coverage, and its neighbours', position and length). Sentence vectors were
pooled at ingest from the chunk's own forward pass and stored with it, so answering runs the
model once: on the question.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import numpy as np

from bot import decision, language, lexical
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

# Answer or decline: bot/decision.py's model over the first RESCORE candidates.
RESCORE = 20  # candidates whose features are computed and that the model re-ranks
DUPLICATE_JACCARD = 0.8
PAIR_REACH = 3  # tokens apart that still count as a phrase (`_pairs`)
MAX_QUESTION_CHARS = 1000
SENTENCE_CACHE = 50_000  # sentence vectors kept per index (~75 MB at 384 dimensions)


@dataclass
class Hit:
    chunk_id: int
    score: float
    dense: float | None = None  # cosine similarity, when the dense side found it
    lexical: float | None = None  # BM25 (higher is better), when the lexical side found it
    doc_id: str = ""
    dense_rank: int | None = None  # 0-based rank on each side, when that side found it
    lexical_rank: int | None = None


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
        scores, ids = index.dense_search(qvec, limit, allowed=ids_array)
        for rank, (cid, score) in enumerate(zip(ids.tolist(), scores.tolist(), strict=True)):
            if cid < 0:
                continue
            hit = hits.setdefault(cid, Hit(cid, 0.0))
            hit.dense = float(score)
            hit.dense_rank = rank
            hit.score += DENSE_WEIGHT / (RRF_K + rank + 1)
    if mode in ("hybrid", "lexical"):
        for rank, (cid, bm25) in enumerate(
            lexical.search(index, query, limit, also=list(hits), allowed=allowed)
        ):
            hit = hits.setdefault(cid, Hit(cid, 0.0))
            hit.lexical = bm25
            hit.lexical_rank = rank
            hit.score += LEXICAL_WEIGHT / (RRF_K + rank + 1)
    ranked = sorted(hits.values(), key=lambda h: -h.score)[:limit]
    owners = index.doc_ids_of([h.chunk_id for h in ranked])
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
        index._cache[key] = index.filter_chunk_ids(filters)
    return index._cache[key]


@dataclass(frozen=True)
class Query:
    """A question as searched: its words, its language, and an English rendering if Spanish."""

    text: str
    lang: str = "en"
    english: str | None = None  # Apertium's rendering of a Spanish question

    @property
    def semantic(self) -> str:
        """What the embedding and the question's rare words are taken from."""
        return self.english or self.text

    @property
    def lexical(self) -> str:
        """What BM25 searches: the rendering and the original words (names, figures)."""
        return f"{self.english} {self.text}" if self.english else self.text


def understand(question: str, lang: str | None = None) -> Query:
    """The question's language (detected unless `lang` is "en"/"es") and, for Spanish,
    its English rendering (None when the translator is not installed)."""
    lang = lang if lang in language.LANGUAGES else language.detect(question)
    if lang != "es":
        return Query(question, lang)
    return Query(question, lang, language.to_english(question))


@dataclass
class Candidate:
    """A retrieved chunk with the decision model's features and its sentences'."""

    hit: Hit
    row: dict[str, Any]
    stems: set[str]
    spans: list[tuple[int, int]]  # the chunk's candidate sentences, offsets inside it
    features: np.ndarray = field(repr=False)
    sentence_features: np.ndarray = field(repr=False)  # a row per span
    probability: float = 0.0
    span: tuple[int, int] = (0, 0)  # the highlighted sentence (`highlight`)


def candidates(
    index: ReportIndex,
    query: Query,
    qvec: np.ndarray,
    *,
    filters: SearchFilter | None = None,
    limit: int = RESCORE,
) -> list[Candidate]:
    """The fused ranking's first `limit` chunks with the features of `decision.FEATURES`
    and, for each of their sentences, of `decision.SENTENCE_FEATURES`."""
    hits = search(index, query.lexical, limit=CANDIDATES, query_vector=qvec, filters=filters)
    rows = {r["id"]: r for r in index.chunks([h.chunk_id for h in hits[:limit]])}
    top = [h for h in hits[:limit] if h.chunk_id in rows]
    if not top:
        return []
    terms = _weighted_terms(index, query.semantic)
    idf_total = sum(t.idf for t in terms) or 1.0
    unseen = sum(t.idf for t in terms if t.unseen) / idf_total
    chosen = [rows[h.chunk_id] for h in top]
    texts = [r["text"] for r in chosen]
    sentence_sets = [highlight_spans(t) for t in texts]
    sims = _sentence_matrix(index, chosen, sentence_sets) @ qvec.reshape(-1)
    pieces = [t[s:e] for t, spans in zip(texts, sentence_sets, strict=True) for s, e in spans]
    stems_all = lexical.stems_many([_searchable(r) for r in chosen] + pieces)
    chunk_tokens = stems_all[: len(texts)]
    sentence_stems = [set(x) for x in stems_all[len(texts) :]]
    dense = [h.dense if h.dense is not None else _cosine(index, qvec, h.chunk_id) for h in top]
    local = _local_weights(terms, [set(t) for t in chunk_tokens])
    raw = []
    pos = 0
    for hit, spans, tokens, cos in zip(top, sentence_sets, chunk_tokens, dense, strict=True):
        n = len(spans)
        sim = sims[pos : pos + n].astype(np.float64)
        own = sentence_stems[pos : pos + n]
        pos += n
        cover = np.array([_coverage(terms, st) for st in own])
        local_cover = np.array([_coverage(terms, st, local) for st in own])
        pairs = [own[i] | own[i + 1] for i in range(n - 1)]
        window = float(((sim[:-1] + sim[1:]) / 2).max()) if n > 1 else float(sim[0])
        window_cover = max((_coverage(terms, st) for st in pairs), default=float(cover[0]))
        raw.append(
            (hit, set(tokens), spans, cos, sim, cover, local_cover, window, window_cover, tokens)
        )
    max_dense = max(r[3] for r in raw)
    max_sent = max(float(r[4].max()) for r in raw)
    max_bm25 = max((h.lexical or 0.0) for h in top) or 1.0
    local_chunk = [_coverage(terms, r[1], local) for r in raw]
    max_local = max(local_chunk)
    out: list[Candidate] = []
    for row, lc, (hit, stems, spans, cos, sim, cover, local_cover, window, wcover, tokens) in zip(
        chosen, local_chunk, raw, strict=True
    ):
        bm25 = hit.lexical or 0.0
        values = {
            "dense": cos,
            "sentence": float(sim.max()),
            "dense_gap": cos - max_dense,
            "sentence_gap": float(sim.max()) - max_sent,
            "coverage": _coverage(terms, stems),
            "sentence_coverage": float(cover.max()),
            "bm25": bm25 / idf_total,
            "bm25_rel": bm25 / max_bm25,
            "unseen": unseen,
            "dense_rank": 1 / (1 + hit.dense_rank) if hit.dense_rank is not None else 0.0,
            "lexical_rank": 1 / (1 + hit.lexical_rank) if hit.lexical_rank is not None else 0.0,
            "translated": 1.0 if query.english else 0.0,
            "window": window,
            "window_coverage": wcover,
            "proximity": _proximity(terms, tokens),
            "local_coverage": lc,
            "local_sentence_coverage": float(local_cover.max()),
            "local_coverage_gap": lc - max_local,
            "pairs": _pairs(terms, tokens),
            "missing": _missing(terms, stems),
            "terms": math.log1p(len(terms)),
        }
        features = np.array([values[f] for f in decision.FEATURES], dtype=np.float64)
        sentence = _sentence_features(spans, sim, cover, local_cover)
        out.append(Candidate(hit, row, stems, spans, features, sentence))
    return out


def _sentence_features(
    spans: list[tuple[int, int]], sim: np.ndarray, cover: np.ndarray, local_cover: np.ndarray
) -> np.ndarray:
    """The rows of `decision.SENTENCE_FEATURES` for one passage's sentences."""
    n = len(spans)

    def beside(v: np.ndarray) -> np.ndarray:
        if n == 1:
            return v.copy()
        left = np.r_[-np.inf, v[:-1]]
        right = np.r_[v[1:], -np.inf]
        return np.maximum(left, right)

    values = {
        "sim": sim,
        "coverage": cover,
        "sim_gap": sim - sim.max(),
        "coverage_gap": cover - cover.max(),
        "local_coverage": local_cover,
        "neighbour": beside(sim),
        "neighbour_coverage": beside(cover),
        "position": np.arange(n) / max(1, n - 1),
        "length": np.log1p([e - s for s, e in spans]),
    }
    return np.column_stack([values[f] for f in decision.SENTENCE_FEATURES]).astype(np.float64)


def _proximity(terms: list[Term], tokens: list[str]) -> float:
    """Distinct question words matched, over the shortest run of tokens holding them all
    (0 when fewer than two match): near one another, they more likely say one thing."""
    owner: dict[str, int] = {}
    for n, t in enumerate(terms):
        for v in t.variants:
            owner.setdefault(v, n)
    hits = [(i, owner[tok]) for i, tok in enumerate(tokens) if tok in owner]
    wanted = len({w for _, w in hits})
    if wanted < 2:
        return 0.0
    counts: dict[int, int] = {}
    best = len(tokens)
    left = 0
    for i, word in hits:
        counts[word] = counts.get(word, 0) + 1
        while len(counts) == wanted:
            j, first = hits[left]
            best = min(best, i - j + 1)
            counts[first] -= 1
            if not counts[first]:
                del counts[first]
            left += 1
    return wanted / best


def answer(
    index: ReportIndex,
    question: str,
    *,
    k: int = 3,
    offset: int = 0,
    max_chars: int = MAX_QUESTION_CHARS,
    filters: SearchFilter | None = None,
    lang: str | None = None,
) -> Answer:
    """The best `k` passages (from `offset` in the ranking) that answer a question, or not_found.

    Candidates are ranked by the decision model's probability that they hold the answer, and
    only those at or above its threshold are shown; each one's highlight is the sentence the
    model's sentence part scores highest. `filters` restricts the passages to some
    documents; `lang` ("en"/"es", e.g. from Telegram) overrides language detection.
    """
    q = prepare_question(question, max_chars)
    query = understand(q, lang)
    qvec = embed_query(index, query.semantic)
    found = candidates(index, query, qvec, filters=filters)
    model = decision.shipped(index.embedder.name)
    if found:
        x = np.vstack([c.features for c in found])
        for c, p in zip(found, model.probability(x).tolist(), strict=True):
            c.probability = p
    ranked = sorted(found, key=lambda c: -c.probability)
    relevant: list[Candidate] = []
    for c in ranked:
        if len(relevant) >= offset + k:
            break
        if c.probability < model.threshold or any(
            _jaccard(c.stems, other.stems) >= DUPLICATE_JACCARD for other in relevant
        ):
            continue
        c.span = c.spans[int(np.argmax(model.sentence_score(c.sentence_features)))]
        relevant.append(c)
    if not relevant:
        return Answer(q, "not_found", [], suggestions=_suggestions(index, [c.hit for c in found]))
    return Answer(q, "found", [_passage(index, c) for c in relevant[offset:]], offset=offset)


def _searchable(row: dict) -> str:
    """What retrieval matched for a chunk: its context (section, table header) and its text."""
    return (row.get("context") or "") + row["text"]


def _passage(index: ReportIndex, c: Candidate) -> Passage:
    row, (s, e) = c.row, c.span
    doc = index.document_cached(row["doc_id"])
    location, page, paragraph = locate(doc, row["start"] + s)
    highlight = row["text"][s:e]
    return Passage(
        quote=row["text"],
        highlight=highlight,
        highlight_start=s,
        doc_id=row["doc_id"],
        title=doc["title"],
        publisher=doc["publisher"] or "",
        author=doc["author"] or "",
        date=doc["date"] or "",
        url=doc["url"] or "",
        location=location,
        start=row["start"],
        end=row["end"],
        score=round(c.probability, 6),
        chunk_id=row["id"],
        paragraph=paragraph,
        page=page,
        figures=_figures(highlight),
        section=row.get("section") or "",
        format=doc.get("format") or "",
    )


def _figures(sentence: str) -> list[Figure]:
    """The quantities in a highlighted sentence (dates and periods left out)."""
    return [f for f in parse_figures(sentence) if f.kind not in TIME_KINDS]


def locate(doc: dict[str, Any], offset: int) -> tuple[str, int | None, int | None]:
    """Where an offset of a document's text is: ("page 2" or "paragraph 4", page, paragraph).

    The one offset-to-location function (answers and fact-check evidence); the label is ""
    when the document has neither page nor paragraph starts.
    """
    page = _position(doc.get("page_starts") or [], offset)
    paragraph = _position(doc.get("paragraph_starts") or [], offset)
    if page:
        return f"page {page}", page, paragraph
    return (f"paragraph {paragraph}" if paragraph else ""), page, paragraph


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
    without them (a model without the standard layout) has its sentences encoded now.
    """
    if not rows:
        return np.zeros((0, index.dimension), dtype=np.float32)
    stored = index.sentence_vector_blobs([row["id"] for row in rows])
    dim = index.dimension
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
    return float(index.vector(int(chunk_id)) @ qvec)


@dataclass(frozen=True)
class Term:
    """A content word of the question: the index terms that count as it, and its IDF."""

    word: str
    variants: frozenset[str]
    idf: float
    unseen: bool = False  # the index has never seen the word itself


def _weighted_terms(index: ReportIndex, query: str) -> list[Term]:
    """The question's content words with their IDF over the index.

    A long word the index has never seen is matched by prefix against the index vocabulary,
    so cognates still count ("presidente" -> president); a word with no match at all keeps the
    highest IDF: it is a topic the reports do not mention, and it pulls coverage down.
    """
    total = index.chunk_count or 1
    out: list[Term] = []
    words = lexical.query_words(query)
    tokens = dict(zip(words, lexical.word_stems(words), strict=True))  # every word in one pass
    for word in words:
        stems = tokens[word]
        if not stems:
            continue
        stem = stems[0]
        df = lexical.df(index, stem)
        unseen = df == 0
        variants = {stem}
        if unseen and len(word) >= lexical.COGNATE_MIN_LEN:
            rows = lexical.prefix_terms(index, word[: lexical.COGNATE_PREFIX])
            variants |= {t for t, _ in rows}
            df = min(total, sum(d for _, d in rows))
        idf = math.log(1 + (total - df + 0.5) / (df + 0.5))
        out.append(Term(word, frozenset(variants), idf, unseen))
    return out


def _coverage(terms: list[Term], stems: set[str], weights: list[float] | None = None) -> float:
    """Share of the question's IDF mass (or of `weights`, one per term) whose words appear
    in `stems`."""
    w = weights if weights is not None else [t.idf for t in terms]
    total = sum(w)
    return (
        sum(x for t, x in zip(terms, w, strict=True) if t.variants & stems) / total
        if total
        else 0.0
    )


def _missing(terms: list[Term], stems: set[str]) -> float:
    """The IDF of the rarest question word absent from `stems`, over the rarest word's: 1
    when the question's most telling word is missing, 0 when every word is there."""
    top = max((t.idf for t in terms), default=0.0)
    absent = max((t.idf for t in terms if not t.variants & stems), default=0.0)
    return absent / top if top else 0.0


def _local_weights(terms: list[Term], passages: list[set[str]]) -> list[float]:
    """Each term's IDF times its IDF among the candidate passages: a word every candidate
    holds (the article's subject) tells them apart no better than a stop word."""
    n = len(passages)
    out = []
    for t in terms:
        df = sum(1 for p in passages if t.variants & p)
        out.append(t.idf * math.log(1 + (n - df + 0.5) / (df + 0.5)))
    return out


def _pairs(terms: list[Term], tokens: list[str], reach: int = PAIR_REACH) -> float:
    """Share of the question's adjacent content-word pairs whose two words occur within
    `reach` tokens of each other in the passage (either order): phrases, not just words."""
    if len(terms) < 2:
        return 0.0
    where: dict[int, list[int]] = {}
    owner: dict[str, list[int]] = {}
    for n, t in enumerate(terms):
        for v in t.variants:
            owner.setdefault(v, []).append(n)
    for i, tok in enumerate(tokens):
        for n in owner.get(tok, ()):
            where.setdefault(n, []).append(i)
    found = 0
    for a in range(len(terms) - 1):
        left, right = where.get(a, []), where.get(a + 1, [])
        if left and right and any(abs(i - j) <= reach for i in left for j in right):
            found += 1
    return found / (len(terms) - 1)


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0
