"""The lexical side of retrieval: BM25 over SQLite FTS5 (Porter stemming, accents folded).

    search(index, question, limit) -> [(chunk_id, bm25), ...]  best first, higher is better

A question becomes an OR of its content words, each quoted so no FTS5 syntax leaks through.
Long words also match by prefix (cognates: "exportaciones" finds "export"); a Spanish question
is searched together with its English rendering (bot/language.py), not through a word list.

FTS5 scores every row that matches any word, about 0.7 us a row on a 2-core machine: a
question of common words over a million chunks would score 250,000 to 500,000 rows (over
200 ms). So when the words together match more than LEXICAL_BUDGET rows, FTS5 ranks only by
the rarest words that fit the budget, and its best RESCORE_POOL chunks, with any extra
candidates the caller passes (the dense side's), are rescored in Python with every word by
FTS5's own bm25 formula. When not even the rarest word fits, only the extra candidates are
rescored. Below the budget, the ranking is FTS5's, exhaustive.
"""

from __future__ import annotations

import math
import sqlite3
import threading
from collections.abc import Collection, Iterable

from bot.index import ReportIndex, _varints  # noqa: F401  # _varints: tests
from bot.store import FTS_TOKENIZE
from bot.text import content_words

LEXICAL_BUDGET = 10_000  # rows one FTS5 query may score (about 7 ms here)
RESCORE_POOL = 100  # chunks taken from the rarest words and rescored with all of them
COGNATE_MIN_LEN = 7  # words this long also match by prefix...
COGNATE_PREFIX = 6  # ...of this many letters
MAX_WORDS = 64
BM25_K1, BM25_B = 1.2, 0.75  # FTS5's bm25() constants


def search(
    index: ReportIndex,
    question: str,
    limit: int,
    *,
    also: Iterable[int] = (),
    allowed: Collection[int] | None = None,
) -> list[tuple[int, float]]:
    """Chunks by BM25 over the question's content words, best first.

    `allowed` (chunk ids) restricts the ranking to those chunks, inside the FTS5 query.
    """
    parts = match_parts(question)
    if not parts:
        return []
    word_stems([p.strip('"*') for p in parts])  # tokenise every part in one pass
    costs = {p: part_df(index, p) for p in parts}
    if sum(costs.values()) <= LEXICAL_BUDGET:
        return _fts_bm25(index, parts, limit, allowed)
    also = [c for c in also if allowed is None or c in allowed]
    kept = within_budget(costs) or ([] if also else [min(costs, key=costs.__getitem__)])
    pool = [cid for cid, _ in _fts_bm25(index, kept, RESCORE_POOL, allowed)] if kept else []
    seen = set(pool)
    pool += [c for c in also if c not in seen]
    return _rescore(index, costs, pool)[:limit]


def _fts_bm25(
    index: ReportIndex, parts: list[str], limit: int, allowed: Collection[int] | None = None
) -> list[tuple[int, float]]:
    """BM25 over `parts`, best first: FTS5's own ranking where the backend has it, else the
    candidates its full-text index finds for the parts, rescored here by the same formula."""
    if allowed is not None and not allowed:
        return []
    if index.has_fts5:
        return index.fts_bm25(" OR ".join(parts), limit, allowed)
    terms: set[str] = set()
    words: list[list[str]] = []  # each part's index terms
    one_word = True  # every part is one word (or a prefix): the store may score them itself
    for part in parts:
        stems = _part_terms(part)
        if part.endswith("*") and len(stems) == 1:
            expanded = [t for t, _ in prefix_terms(index, stems[0])]
            terms |= set(expanded)
        elif stems:
            terms.add(stems[0])  # a phrase's rows all hold its first term
            expanded = stems[:1]
        else:
            expanded = []
        words.append(expanded)
        one_word = one_word and len(stems) <= 1
    if one_word:
        scored = index.bm25_of_words(words, limit, allowed, avg_tokens(index))
        if scored is not None:
            return scored
    pool = index.lexical_candidates(sorted(terms), None)
    # The pool is every row that can match, so each part's rows are counted in it: the exact
    # document frequency FTS5 uses (for prefixes and phrases too), not `part_df`'s bound;
    # counted over the whole index, as FTS5 does, before `allowed` keeps some rows.
    scored = _rescore(index, dict.fromkeys(parts, 0), pool, count_df=True)
    if allowed is not None:
        scored = [(c, x) for c, x in scored if c in allowed]
    return scored[:limit]


def within_budget(costs: dict[str, int]) -> list[str]:
    """The rarest parts whose summed document frequencies fit LEXICAL_BUDGET (maybe none)."""
    kept: list[str] = []
    total = 0
    for part, cost in sorted(costs.items(), key=lambda pc: pc[1]):
        if total + cost > LEXICAL_BUDGET:
            break
        kept.append(part)
        total += cost
    return kept


def _rescore(
    index: ReportIndex, costs: dict[str, int], pool: list[int], *, count_df: bool = False
) -> list[tuple[int, float]]:
    """FTS5's bm25 of every part for the chunks in `pool`, computed here, best first.

    Chunk lengths are FTS5's own (`chunks_fts_docsize`); term frequencies come from
    tokenising the pool's texts with the same tokenizer. A prefix part's document frequency is
    its terms' summed (an upper bound: FTS5 counts the rows), which slightly lowers its weight;
    every other input is exactly FTS5's.
    """
    if not pool:
        return []
    # FTS5 indexes two columns, the chunk's text and its context: a term's frequency is its
    # hits in both (a phrase never spans them) and a row's length is both columns' together.
    lengths = index.chunk_lengths(pool)
    phrases = [(_part_terms(part), part.endswith("*")) for part in costs]
    stored = index.term_positions(pool, _wanted_terms(index, phrases))
    if stored is not None:  # the store keeps each chunk's tokens: their positions, as FTS5's
        ids = [c for c in pool if c in stored and c in lengths]
        positions = [stored[c] for c in ids]
    else:
        columns = index.chunk_columns(pool)
        ids = [c for c in pool if c in columns and c in lengths]
        texts = [columns[c][0] for c in ids] + [columns[c][1] for c in ids]
        by_column = _positions(texts, phrases)
        positions = [(by_column[i], by_column[len(ids) + i]) for i in range(len(ids))]
    total = max(index.chunk_count, 1)
    avgdl = avg_tokens(index)
    tfs = [[_tf(found, terms, prefix) for terms, prefix in phrases] for found in positions]
    dfs = (
        [sum(1 for row in tfs if row[k]) for k in range(len(phrases))]
        if count_df
        else costs.values()
    )
    # A prefix's summed frequency can pass the row count; FTS5 floors such an idf as below.
    idfs = [math.log(max((total - df + 0.5) / (df + 0.5), 1e-12)) for df in dfs]
    scored = []
    for row, cid in enumerate(ids):
        norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths[cid] / avgdl)
        score = 0.0
        for tf, idf in zip(tfs[row], idfs, strict=True):
            if tf:
                # FTS5 evaluates idf * (num / denom): in the same order, bit for bit
                score += (idf if idf > 0 else 1e-6) * ((tf * (BM25_K1 + 1)) / (tf + norm))
        if score > 0:
            scored.append((cid, score))
    return sorted(scored, key=lambda cs: -cs[1])


def _tf(
    found: tuple[dict[str, set[int]], dict[str, set[int]]], terms: list[str], prefix: bool
) -> int:
    """A phrase's occurrences in a chunk's two columns (a phrase never spans them)."""
    if len(terms) == 1 and not prefix:  # the common case, without the general path
        return sum(len(column.get(terms[0], ())) for column in found)
    return sum(_phrase_count(column, terms, prefix) for column in found)


def _wanted_terms(index: ReportIndex, phrases: list[tuple[list[str], bool]]) -> list[str]:
    """Every index term the phrases can match (a prefix: the vocabulary's terms under it)."""
    terms = {t for words, prefix in phrases for t in (words[:-1] if prefix else words)}
    for words, prefix in phrases:
        if prefix and words:
            terms |= {t for t, _ in prefix_terms(index, words[-1])}
    return sorted(terms)


def _positions(
    texts: list[str], phrases: list[tuple[list[str], bool]]
) -> list[dict[str, set[int]]]:
    """For each text, the token positions of every term the phrases can match."""
    conn = _tokenizer_conn()
    exact = sorted({t for terms, prefix in phrases for t in (terms[:-1] if prefix else terms)})
    prefixes = sorted({terms[-1] for terms, prefix in phrases if prefix and terms})
    out: list[dict[str, set[int]]] = [{} for _ in texts]
    with conn:
        conn.execute("DELETE FROM t")
        conn.executemany("INSERT INTO t(rowid, x) VALUES (?, ?)", enumerate(texts))
        queries = [("term = ?", [t]) for t in exact]
        queries += [("term >= ? AND term < ?", [p, p + "\uffff"]) for p in prefixes]
        for where, args in queries:
            for doc, term, offset in conn.execute(
                f"SELECT doc, term, offset FROM v WHERE {where}", args
            ):
                out[doc].setdefault(term, set()).add(offset)  # a term can match twice
    return out


def _phrase_count(positions: dict[str, set[int]], terms: list[str], prefix: bool) -> int:
    """How often the phrase occurs (its last term a prefix if `prefix`), like FTS5 counts."""
    if not terms:
        return 0

    def at(term: str, last: bool) -> set[int]:
        if last and prefix:
            return {o for t, offs in positions.items() if t.startswith(term) for o in offs}
        return set(positions.get(term, ()))

    starts = at(terms[0], len(terms) == 1)
    for k, term in enumerate(terms[1:], start=1):
        starts &= {o - k for o in at(term, k == len(terms) - 1)}
    return len(starts)


def _part_terms(part: str) -> list[str]:
    return word_stems([part.strip('"*')])[0]


# --- the question's words -------------------------------------------------------------------


def match_parts(question: str) -> list[str]:
    """The FTS5 phrases, to be OR-ed, for the question's content words."""
    parts: list[str] = []
    for word in query_words(question)[:MAX_WORDS]:
        parts.append(f'"{word}"')
        if len(word) >= COGNATE_MIN_LEN:
            parts.append(f'"{word[:COGNATE_PREFIX]}"*')
    return list(dict.fromkeys(parts))


def match_expression(question: str) -> str:
    """The whole FTS5 query for a question (every part, OR-ed)."""
    return " OR ".join(match_parts(question))


def query_words(question: str) -> list[str]:
    """The question's content words (folded, stop words out), each once, in order."""
    return list(dict.fromkeys(content_words(question)))


# --- the index's vocabulary -----------------------------------------------------------------


def part_df(index: ReportIndex, part: str) -> int:
    """Rows a phrase matches: its first term's frequency, or a prefix's terms' summed."""
    terms = _part_terms(part)
    if not terms:
        return 0
    if part.endswith("*") and len(terms) == 1:
        return sum(df for _, df in prefix_terms(index, terms[0]))
    return df(index, terms[0])


def df(index: ReportIndex, term: str) -> int:
    return index.term_df(term)


def prefix_terms(index: ReportIndex, prefix: str) -> list[tuple[str, int]]:
    return index.prefix_terms(prefix)


def avg_tokens(index: ReportIndex) -> float:
    """Average chunk length in tokens (BM25's avgdl), once per generation."""
    if "avg_tokens" not in index._cache:
        total = index.total_tokens()
        index._cache["avg_tokens"] = max(total / max(index.chunk_count, 1), 1.0)
    return index._cache["avg_tokens"]


# --- tokens, exactly as the index sees them -------------------------------------------------

_tokenizer = threading.local()


def stems(text: str) -> list[str]:
    """Tokens of a text exactly as the FTS index sees them (stemmed, folded), in order."""
    return stems_many([text])[0]


def _tokenizer_conn() -> sqlite3.Connection:
    """This thread's in-memory FTS5 table (same tokenizer as the index) and its instances."""
    conn = getattr(_tokenizer, "conn", None)
    if conn is None:
        conn = _tokenizer.conn = sqlite3.connect(":memory:")
        conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize='{FTS_TOKENIZE}')")
        conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    return conn


_word_cache: dict[str, list[str]] = {}
WORD_CACHE = 100_000  # words whose tokens are kept (cleared when full)


def word_stems(words: list[str]) -> list[list[str]]:
    """`stems` of short texts (a question's words), remembered, the new ones in one pass."""
    found: dict[str, list[str] | None] = {w: _word_cache.get(w) for w in words}  # local view
    missing = [w for w, toks in found.items() if toks is None]
    if missing:
        fresh = dict(zip(missing, stems_many(missing), strict=True))
        found.update(fresh)
        if len(_word_cache) + len(fresh) > WORD_CACHE:
            _word_cache.clear()
        _word_cache.update(fresh)
    return [found[w] or [] for w in words]  # every word is found by now


def stems_many(texts: list[str]) -> list[list[str]]:
    """`stems` of many texts in one pass (an in-memory FTS5 table with the same tokenizer)."""
    conn = _tokenizer_conn()
    out: list[list[str]] = [[] for _ in texts]
    with conn:
        conn.execute("DELETE FROM t")
        conn.executemany("INSERT INTO t(rowid, x) VALUES (?, ?)", enumerate(texts))
        for doc, term in conn.execute("SELECT doc, term FROM v ORDER BY doc, offset"):
            out[doc].append(term)
    return out
