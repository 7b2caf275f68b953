import numpy as np
import pytest

from bot.answering import answer, prepare_question, search
from bot.errors import InvalidQuestion
from bot.index import ReportIndex
from bot.ingest import ingest_raw
from bot.lexical import match_expression
from bot.models import DocumentMeta, RawDocument, SearchFilter
from bot.text import highlight_spans


def test_quotes_are_exact_slices_of_the_cleaned_document(corpus_index):
    result = answer(corpus_index, "Córdoba GPUs research cluster", k=3)
    assert result.status == "found"
    for p in result.passages:
        text = corpus_index.document(p.doc_id)["text"]
        assert p.quote == text[p.start : p.end]
        assert p.highlight == p.quote[p.highlight_start : p.highlight_start + len(p.highlight)]
        assert p.title and p.location.startswith("paragraph ")


@pytest.mark.parametrize("spelling", ["Córdoba", "cordoba", "CORDOBA", "CÓRDOBA"])
def test_case_and_accents_do_not_matter(corpus_index, spelling):
    hits = search(corpus_index, f"{spelling} lab", mode="lexical")
    top = corpus_index.chunk(hits[0].chunk_id)["text"]
    assert "Córdoba" in top


@pytest.mark.parametrize(
    "question",
    [
        'GPUs" OR "x',
        "NEAR(Córdoba GPUs)",
        "Córdoba AND OR NOT *",
        "(((unbalanced",
        "'; DROP TABLE chunks; --",
        "<b>bold</b> & <i>",
        "**markdown** _under_ [link](http://x)",
        "مرحبا كيف حالك",
        "e\u0301\u0301\u0301 combining",
        "🤖🤖🤖",
        "-GPUs ^Córdoba",
    ],
)
def test_query_syntax_and_odd_text_are_answered_or_politely_refused(corpus_index, question):
    try:
        result = answer(corpus_index, question)
    except InvalidQuestion as exc:
        assert "question" in str(exc)
    else:
        assert result.status in ("found", "not_found")


@pytest.mark.parametrize("question", ["", "   ", "\n\t", "???", "\x00\x01"])
def test_empty_questions_are_refused_with_a_reason(question):
    with pytest.raises(InvalidQuestion, match="question"):
        prepare_question(question)


def test_overlong_questions_are_refused():
    with pytest.raises(InvalidQuestion, match="10,000 characters"):
        prepare_question("a" * 10_000)
    with pytest.raises(InvalidQuestion):
        prepare_question("why " * 25_000)


def test_match_expression_quotes_every_word():
    assert match_expression('GPUs" OR NEAR') == '"gpus" OR "near"'
    assert '"export"*' in match_expression("exportaciones")


def test_near_duplicate_passages_collapse(tmp_path, hash_embedder):
    para = "Exports of knowledge-based services reached USD 9.685 billion last year."
    docs = [
        RawDocument(
            source=f"{name}.txt",
            format="txt",
            pages=[f"Heading {name}\n\n{para}\n\nSomething else entirely about {name}."],
            content_hash=name,
            doc_id=name,
            meta=DocumentMeta(title=name),
        )
        for name in ("first", "second")
    ]
    ingest_raw(tmp_path, docs, embedder=hash_embedder)
    index = ReportIndex.open(tmp_path, hash_embedder)
    result = answer(index, "knowledge-based services exports billion", k=3)
    quotes = [p.quote for p in result.passages]
    assert sum(para in q for q in quotes) == 1


def test_more_pages_through_the_ranking(corpus_index):
    first = answer(corpus_index, "Argentina exports services", k=2)
    more = answer(corpus_index, "Argentina exports services", k=2, offset=2)
    assert first.status == more.status == "found"
    assert not {p.chunk_id for p in first.passages} & {p.chunk_id for p in more.passages}


def test_json_shape(corpus_index):
    data = answer(
        corpus_index, "He even celebrates a $500 million investment pledge from Salesforce"
    ).to_dict()
    assert set(data) >= {"question", "status", "passages"}
    passage = data["passages"][0]
    for key in (
        "quote",
        "highlight",
        "doc_id",
        "title",
        "publisher",
        "author",
        "date",
        "url",
        "location",
        "start",
        "end",
        "score",
    ):
        assert key in passage


def test_highlight_figures_are_quantities_not_dates(corpus_index):
    result = answer(
        corpus_index,
        "exports of knowledge-based services reached an all-time record of USD $9.685 billion",
        k=1,
    )
    top = result.passages[0]
    assert "between July 2024 and June 2025" in top.highlight
    texts = [f.text for f in top.figures]
    assert "USD $9.685 billion" in texts and "20.8%" in texts
    assert not any("2024" in t or "2025" in t for t in texts)


def test_highlights_come_from_stored_sentence_vectors_without_the_model(corpus_index_dir):
    from bot.embedding import HashEmbedder

    seen: list[str] = []

    class Counting(HashEmbedder):
        def encode(self, texts, **kw):
            seen.extend(texts)
            return super().encode(texts, **kw)

    index = ReportIndex.open(corpus_index_dir, Counting())
    result = answer(index, "Córdoba GPUs research cluster", k=3)
    assert result.status == "found"
    assert len(highlight_spans(result.passages[0].quote)) > 1  # a highlight was chosen
    assert seen == ["Córdoba GPUs research cluster"]  # the question only


def test_an_index_from_an_older_format_is_refused_with_the_rebuild_hint(
    corpus_index_dir, tmp_path, hash_embedder
):
    # Answering keeps no fallbacks for indexes without sentence vectors or the vocabulary
    # copy: an index of an older FORMAT_VERSION is refused when opened, with what to run.
    import json
    import shutil

    from bot import index as idx
    from bot.errors import IndexMismatch

    old_dir = shutil.copytree(corpus_index_dir, tmp_path / "old")
    meta_path = idx.generation_dir(old_dir) / idx.META_NAME
    meta = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps({**meta, "format_version": idx.FORMAT_VERSION - 1}))
    with pytest.raises(IndexMismatch, match="reportbot ingest --rebuild"):
        ReportIndex.open(old_dir, hash_embedder)


def test_a_question_of_common_words_scores_only_its_rarest_ones(corpus_index, monkeypatch):
    from bot import lexical

    question = "Argentina talent GPUs Córdoba"
    costs = {p: lexical.part_df(corpus_index, p) for p in lexical.match_parts(question)}
    lowest = min(costs.values())
    monkeypatch.setattr(lexical, "LEXICAL_BUDGET", lowest + 1)
    kept = lexical.within_budget(costs)
    assert 0 < len(kept) < len(costs) and all(costs[p] == lowest for p in kept)
    monkeypatch.setattr(lexical, "LEXICAL_BUDGET", lowest - 1)  # not even the rarest fits
    assert lexical.within_budget(costs) == []
    # Then only the caller's candidates are ranked, or, with none, the rarest word's chunks.
    some = [r[0] for r in corpus_index.db.execute("SELECT id FROM chunks LIMIT 3")]
    assert {c for c, _ in lexical.search(corpus_index, question, 50, also=some)} <= set(some)
    assert lexical.search(corpus_index, question, 50)


def test_over_the_budget_the_rarest_words_candidates_are_rescored_exactly(
    corpus_index, monkeypatch
):
    from bot import lexical

    question = "Argentina talent GPUs research Córdoba"
    exhaustive = lexical.search(corpus_index, question, 50)
    # Every chunk in the pool: the rescoring reproduces FTS5's own bm25 and its ranking.
    everything = [r[0] for r in corpus_index.db.execute("SELECT id FROM chunks")]
    costs = {p: lexical.part_df(corpus_index, p) for p in lexical.match_parts(question)}
    rescored = lexical._rescore(corpus_index, costs, everything)
    assert [c for c, _ in rescored] == [c for c, _ in exhaustive]
    assert [round(s, 6) for _, s in rescored] == [round(s, 6) for _, s in exhaustive]

    monkeypatch.setattr(lexical, "LEXICAL_BUDGET", 1)
    pooled = lexical.search(corpus_index, question, 50)
    rarest = lexical.within_budget(costs)[0].strip('"*')
    fts_pool = {c for c, _ in lexical._fts_bm25(corpus_index, [f'"{rarest}"'], 200)}
    assert {c for c, _ in pooled} == fts_pool  # only chunks with the rarest word...
    assert pooled == [(c, s) for c, s in exhaustive if c in fts_pool]  # ...scored with all
    extra = next(c for c, _ in exhaustive if c not in fts_pool)
    assert extra in dict(lexical.search(corpus_index, question, 50, also=[extra]))


def _filter_corpus(tmp_path, hash_embedder):
    filler = " ".join(f"word{i}" for i in range(60))  # one chunk a paragraph
    docs = [
        RawDocument(
            source=f"{name}.txt",
            format="txt",
            pages=[
                f"Report {name}\n\n"
                + "\n\n".join(f"{topic} in paragraph {i}. " + filler for i in range(8))
            ],
            content_hash=name,
            doc_id=name,
            meta=DocumentMeta(title=name, publisher=publisher, date=date),
        )
        for name, publisher, date, topic in [
            ("alpha", "Argencon", "2021-05-01", "Lithium exports grew"),
            ("beta", "Techloy", "2024-02-10", "Lithium exports grew"),
            ("gamma", "Techloy", "", "Lithium exports grew"),
        ]
    ]
    ingest_raw(tmp_path / "index", docs, embedder=hash_embedder)
    return ReportIndex.open(tmp_path / "index", hash_embedder)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (SearchFilter(doc_ids=("beta",)), {"beta"}),
        (SearchFilter(publisher="techloy"), {"beta", "gamma"}),
        (SearchFilter(date_from="2022"), {"beta"}),
        (SearchFilter(date_to="2021"), {"alpha"}),
        (SearchFilter(publisher="Techloy", date_to="2023-12-31"), set()),
        (SearchFilter(), {"alpha", "beta", "gamma"}),
    ],
)
@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_filters_restrict_both_retrievers_and_still_fill_k(
    tmp_path, hash_embedder, filters, expected, mode
):
    index = _filter_corpus(tmp_path, hash_embedder)
    hits = search(index, "lithium exports paragraph", limit=5, mode=mode, filters=filters)
    assert {h.doc_id for h in hits} <= expected
    if expected:  # every document has 9 chunks or so: a filtered query still returns k
        assert len(hits) == 5


def test_answer_takes_filters(tmp_path, hash_embedder):
    index = _filter_corpus(tmp_path, hash_embedder)
    result = answer(
        index, "Lithium exports grew paragraph", filters=SearchFilter(doc_ids=("gamma",))
    )
    assert {p.doc_id for p in result.passages} <= {"gamma"}


def test_locate_gives_pages_first_then_paragraphs():
    from bot.answering import locate

    assert locate({"page_starts": [0, 100], "paragraph_starts": [0, 50]}, 120) == (
        "page 2",
        2,
        2,
    )
    assert locate({"page_starts": [], "paragraph_starts": [0, 50, 90]}, 60) == (
        "paragraph 2",
        None,
        2,
    )
    assert locate({}, 10) == ("", None, None)


def test_only_passages_the_model_accepts_are_shown_best_first(corpus_index):
    from bot import decision
    from bot.answering import candidates, embed_query, understand

    question = "How many GPUs does the Córdoba lab have?"
    result = answer(corpus_index, question, k=5)
    model = decision.shipped(corpus_index.embedder.name)
    scores = [p.score for p in result.passages]
    assert scores and scores == sorted(scores, reverse=True)
    assert all(s >= model.threshold for s in scores)
    # Each highlight is the sentence the fitted sentence model scores highest.
    query = understand(question)
    found = {
        c.row["id"]: c
        for c in candidates(corpus_index, query, embed_query(corpus_index, query.semantic))
    }
    for p in result.passages:
        c = found[p.chunk_id]
        s, e = c.spans[int(np.argmax(model.sentence_score(c.sentence_features)))]
        assert p.highlight_start == s and p.highlight == p.quote[s:e]


def test_a_spanish_question_is_searched_in_english_too(corpus_index):
    from bot.answering import understand
    from bot.language import available

    query = understand("¿Cuántas GPU tiene el laboratorio de Córdoba?")
    assert query.lang == "es"
    if available():
        assert query.english and "laborator" in query.english.lower()
        assert query.english in query.lexical and query.text in query.lexical
    else:
        assert query.english is None and query.lexical == query.text
    assert understand("How many GPUs?", lang="es").lang == "es"  # a hint (Telegram) wins


def _terms(*words: str, idf: float = 1.0):
    from bot.answering import Term

    return [Term(w, frozenset({w}), idf) for w in words]


def test_proximity_is_matched_words_over_the_shortest_run_holding_them():
    from bot.answering import _proximity

    terms = _terms("oil", "price", "rise")
    tokens = ["oil", "x", "x", "x", "price", "x", "rise", "oil", "x", "price"]
    assert _proximity(terms, tokens) == pytest.approx(3 / 4)  # "price x rise oil"
    assert _proximity(terms, ["oil", "x", "x", "price"]) == pytest.approx(2 / 4)
    assert _proximity(terms, ["oil", "x", "oil"]) == 0.0  # one word alone says nothing


def test_pairs_counts_adjacent_question_words_found_near_each_other():
    from bot.answering import _pairs

    terms = _terms("black", "death", "europe")
    assert _pairs(terms, ["death", "black", "x", "x", "x", "x", "europe"]) == pytest.approx(1 / 2)
    assert _pairs(terms, ["black", "x", "death", "europe"]) == pytest.approx(1.0)
    assert _pairs(terms[:1], ["black"]) == 0.0


def test_missing_and_local_weights_weigh_words_by_rarity():
    from bot.answering import Term, _local_weights, _missing

    terms = [Term("plague", frozenset({"plague"}), 4.0), Term("year", frozenset({"year"}), 1.0)]
    assert _missing(terms, {"year"}) == 1.0
    assert _missing(terms, {"plague"}) == 0.25
    assert _missing(terms, {"plague", "year"}) == 0.0
    # "plague" is in all three candidates: it no longer tells them apart.
    w = _local_weights(terms, [{"plague"}, {"plague", "year"}, {"plague"}])
    assert w[0] < w[1] < 1.0  # although its IDF is four times the other's
