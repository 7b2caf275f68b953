"""BM25 over FTS5: questions become quoted phrases, Spanish reaches English, scores are FTS5's."""

from __future__ import annotations

import re

import pytest

from bot import lexical
from bot.index import ReportIndex

PHRASE = re.compile(r'"[^"]+"\*?')


@pytest.mark.parametrize(
    "question",
    [
        'NEAR(lithium copper, 2) OR "exports" AND NOT col:* ^start',
        "what's the 20.8% figure -- (really)?",
        '"""',
    ],
)
def test_fts_syntax_in_a_question_never_reaches_fts5(corpus_index: ReportIndex, question: str):
    parts = lexical.match_parts(question)
    assert all(PHRASE.fullmatch(p) for p in parts), parts
    lexical.search(corpus_index, question, 10)  # FTS5 would raise on a syntax error


def test_long_words_also_match_by_their_first_letters():
    # English renderings of Spanish questions come from the translator (bot/language.py); the
    # lexical side itself only adds a prefix for long words, which finds cognates.
    parts = lexical.match_parts("¿Cuántas exportaciones a Estados Unidos?")
    assert parts == ['"exportaciones"', '"export"*', '"estados"', '"estado"*', '"unidos"']
    assert lexical.match_expression("de la el") == ""  # only stopwords: nothing to match


def test_the_tokeniser_counts_tokens_as_the_index_does(corpus_index: ReportIndex):
    rows = corpus_index.db.execute(
        "SELECT c.text, coalesce(c.context, ''), s.sz FROM chunks c "
        "JOIN chunks_fts_docsize s ON s.id = c.id"
    ).fetchall()
    assert rows
    counts = [[len(lexical.stems(text)), len(lexical.stems(context))] for text, context, _ in rows]
    assert counts == [lexical._varints(size) for _, _, size in rows]  # one count per column
    assert lexical.word_stems(["Exported", "Córdoba"]) == [["export"], ["cordoba"]]


def test_search_ranks_chunks_with_the_words_best_first(corpus_index: ReportIndex):
    hits = lexical.search(corpus_index, "Córdoba research cluster", 5)
    assert 0 < len(hits) <= 5
    scores = [s for _, s in hits]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)
    texts = {c["id"]: c["text"] for c in corpus_index.chunks([cid for cid, _ in hits])}
    assert all(
        {"cordoba", "research", "cluster"} & set(lexical.stems(texts[cid])) for cid, _ in hits
    )
    assert lexical.search(corpus_index, "the of and", 5) == []
