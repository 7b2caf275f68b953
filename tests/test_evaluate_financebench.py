"""bot/evaluate/financebench.py: page scoring by hand, and a small filing set run end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.embedding import HashEmbedder
from bot.errors import ReportbotError
from bot.evaluate.financebench import Question, run_financebench, score
from tests.test_loaders import make_pdf


def q(doc: str, *pages: int) -> Question:
    return Question(id=doc, question="?", doc_name=doc, pages=frozenset(pages))


def test_scores_count_pages_of_the_right_filing_only():
    questions = [q("A", 3), q("A", 3), q("B", 7), q("B", 7)]
    found = [
        [("A", 3), ("A", 9)],  # right page first
        [("A", 1), ("B", 3), ("A", 3)],  # right page third; page 3 of B does not count
        [("A", 7)],  # right page number, wrong filing
        [],  # declined
    ]
    s = score(questions, found)
    assert (s.page_at_1, s.page_at_5, s.doc_at_1, s.declined) == (0.25, 0.5, 0.5, 0.25)


def _dataset(root: Path) -> Path:
    (root / "pdfs").mkdir(parents=True)
    (root / "pdfs" / "ACME_2020_10K.pdf").write_bytes(
        make_pdf(["Acme annual report.", "Net revenue was 1,200 million dollars in 2020."])
    )
    (root / "pdfs" / "OTHER_2021_10K.pdf").write_bytes(
        make_pdf(["Other company filing.", "Inventory of widgets fell sharply."])
    )
    rows = [
        {
            "question": "What was Acme's net revenue in 2020?",
            "doc_name": "ACME_2020_10K",
            "evidence": [{"evidence_text": "Net revenue", "evidence_page_num": 1}],
        }
    ]
    (root / "questions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return root


def test_a_run_builds_once_then_reuses_its_cached_index(tmp_path: Path):
    dataset, cache = _dataset(tmp_path / "fb"), tmp_path / "cache"
    first = run_financebench(dataset, embedder=HashEmbedder(), cache_root=cache)
    assert (first.questions, first.documents, first.cached) == (1, 2, False)
    assert first.within_filing is not None  # asked within the named filing too
    (outcome,) = first.outcomes
    assert outcome.evidence_pages == [2]  # 0-based in the file, 1-based like a citation
    assert outcome.found_within is not None
    assert {doc for doc, _ in outcome.found_within} <= {"ACME_2020_10K"}
    again = run_financebench(dataset, embedder=HashEmbedder(), cache_root=cache)
    assert again.cached and again.collection == first.collection


def test_a_directory_without_filings_is_one_sentence(tmp_path: Path):
    (tmp_path / "questions.jsonl").write_text("")
    with pytest.raises(ReportbotError, match="holds no PDF filings"):
        run_financebench(tmp_path, embedder=HashEmbedder(), cache_root=tmp_path / "c")
