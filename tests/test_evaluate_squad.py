"""bot.evaluate.squad: the question-set metrics against hand-computed cases, and a tiny run."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bot.evaluate import DatasetError
from bot.evaluate.squad import (
    Outcome,
    holds,
    is_question_set,
    load_questions,
    run_question_set,
    score,
    span_problems,
    subsample,
)

FILINGS = Path(__file__).resolve().parent.parent / "eval" / "filings"


def test_answer_spans_match_with_case_and_white_space_folded():
    assert holds("The  crisis began in\nOctober 1973.", ["october 1973"])
    assert not holds("The crisis began in 1974.", ["1973", ""])


def test_metrics_by_hand():
    outcomes = [
        Outcome("answerable", "en", True, (True, False), True, 10.0),
        Outcome("answerable", "en", True, (False, True), False, 20.0),
        Outcome("answerable", "en", True, (False, False, False, True), False, 30.0),
        Outcome("answerable", "en", False, (), False, 40.0),
        Outcome("near_topic", "en", True, (), False, 50.0),
        Outcome("near_topic", "en", False, (), False, 60.0),
        Outcome("off_corpus", "en", False, (), False, 70.0),
    ]
    s = score(outcomes)
    assert (s.questions, s.answerable, s.near_topic, s.off_corpus) == (7, 4, 2, 1)
    assert s.answer_rate == 3 / 4
    assert s.hit_at_1 == 1 / 4  # a declined question is a miss
    assert s.hit_at_3 == 2 / 4  # the fourth passage is past 3
    assert s.highlight_at_1 == 1 / 4
    assert s.near_topic_declined == 1 / 2 and s.off_corpus_declined == 1.0
    assert s.latency_p50_ms == 40.0
    assert score([Outcome("off_corpus", "es", True)]).hit_at_1 is None


def test_subsample_spreads_evenly_within_a_language():
    qs = [f"q{i}" for i in range(10)]
    from bot.evaluate.squad import Question

    questions = [Question(q, q, "off_corpus", "es" if i % 2 else "en") for i, q in enumerate(qs)]
    assert [q.id for q in subsample(questions, 2, "en")] == ["q0", "q4"]
    assert len(subsample(questions, None, None)) == 10


def _write_set(root: Path, lines: list[dict]) -> Path:
    (root / "corpus").mkdir(parents=True)
    (root / "corpus" / "lithium.txt").write_text(
        "Lithium report\n\nArgentina exported 52,000 tonnes of lithium in 2023, "
        "mostly from the salt flats of Jujuy and Catamarca.\n\n"
        "The mines employ about 4,000 people across three provinces."
    )
    (root / "questions.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return root


def test_malformed_question_sets_are_refused_with_the_line(tmp_path):
    root = _write_set(tmp_path / "bad", [{"question": "Who?", "kind": "maybe"}])
    assert is_question_set(root)
    with pytest.raises(DatasetError, match=r"questions.jsonl:1: kind 'maybe'"):
        load_questions(root / "questions.jsonl")
    (root / "questions.jsonl").write_text('{"question": "How much?", "kind": "answerable"}\n')
    with pytest.raises(DatasetError, match="needs answers"):
        load_questions(root / "questions.jsonl")


def test_a_tiny_question_set_runs_through_ingest_and_answer(tmp_path, hash_embedder):
    root = _write_set(
        tmp_path / "tiny",
        [
            {
                "id": "a",
                "question": "How much lithium did Argentina export in 2023?",
                "kind": "answerable",
                "lang": "en",
                "answers": ["52,000 tonnes"],
            },
            {"id": "b", "question": "Who won the 1950 World Cup?", "kind": "off_corpus"},
        ],
    )
    result = run_question_set(root, embedder=hash_embedder, cache_root=tmp_path / "cache")
    assert (result.documents, result.overall.questions, result.overall.answerable) == (1, 2, 1)
    assert set(result.by_language) == {"en"}
    again = run_question_set(root, embedder=hash_embedder, cache_root=tmp_path / "cache")
    assert again.cached and again.overall.hit_at_1 == result.overall.hit_at_1
    assert "overall" in result.to_dict() and "outcomes" not in result.to_dict()


def test_span_problems_name_each_broken_rule():
    from bot.evaluate.squad import Question

    chunks = {"lithium": ["Argentina exported 52,000 tonnes", "of lithium in 2023."]}
    good = [
        Question("a", "How much?", "answerable", answers=("52,000  TONNES",), doc="lithium"),
        Question("n", "Who owns the mines?", "near_topic", doc="lithium"),
        Question("o", "Who won in 1950?", "off_corpus"),
    ]
    assert span_problems(good, chunks) == []
    bad = [
        Question("a", "How much?", "answerable", answers=("53,000 tonnes",), doc="lithium"),
        Question("b", "When?", "answerable", answers=("tonnes of lithium",), doc="lithium"),
        Question("c", "Where?", "answerable", answers=("Argentina",), doc="copper"),
        Question("d", "Who?", "near_topic", answers=("x",), doc="lithium"),
        Question("e", "Why?", "off_corpus", doc="lithium"),
        Question("e", "Again?", "off_corpus"),
    ]
    found = span_problems(bad, chunks)
    assert len(found) == 6
    assert "['53,000 tonnes'] not in lithium" in found[0]
    assert "within one chunk" in found[1]  # it runs across the two chunks
    assert "'copper' is not a file" in found[2]
    assert "near_topic question has no answers" in found[3]
    assert "off_corpus question names no doc" in found[4]
    assert "used twice" in found[5]


def test_the_filings_question_set_is_shaped_as_its_readme_says():
    questions = load_questions(FILINGS / "questions.jsonl")
    assert len(questions) >= 200
    by_kind = Counter(q.kind for q in questions)
    assert by_kind["near_topic"] >= 0.1 * len(questions)
    assert by_kind["off_corpus"] >= 0.1 * len(questions)
    assert 0.2 <= sum(q.lang == "es" for q in questions) / len(questions) <= 0.35
    per_filing = Counter(q.doc for q in questions if q.kind == "answerable")
    assert len(per_filing) == 11 and min(per_filing.values()) >= 12
    corpus = FILINGS / "corpus"
    if corpus.is_dir():  # the symlink to ../shared resolves (CI and the work tree)
        stems = {p.stem for p in corpus.glob("*.pdf")}
        assert {q.doc for q in questions if q.doc} <= stems


@pytest.mark.slow
@pytest.mark.skipif(
    not (FILINGS / "corpus").is_dir(), reason="../shared/eval/financebench/pdfs is not here"
)
def test_every_filings_answer_span_is_in_its_filing_as_ingest_chunks_it():
    """The spans hold against the text ingest stores; a change of extraction that breaks one fails."""
    import importlib.util

    path = FILINGS.parent.parent / "scripts" / "check_question_set.py"
    spec = importlib.util.spec_from_file_location("check_question_set", path)
    assert spec and spec.loader
    checker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(checker)
    chunks = checker.corpus_chunks(FILINGS / "corpus")
    assert span_problems(load_questions(FILINGS / "questions.jsonl"), chunks) == []
