"""Check a question set's answer spans against its corpus, as ingest would store and chunk it.

    .venv/bin/python scripts/check_question_set.py eval/filings

Every corpus file is read, cleaned and chunked the way `reportbot ingest` does (the same
loader, `clean_pages` and `chunk_text`, no embedding), and `squad.span_problems` lists what is
wrong: an answerable question whose span is not in its `doc` or lies in no single chunk, a
near_topic question with spans or without a `doc`, an off_corpus question with either. Prints
the problems and the counts by kind and language; exits 1 when there is a problem.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from bot import loaders
from bot.chunking import chunk_text
from bot.cleaning import clean_pages
from bot.errors import ReportbotError
from bot.evaluate import DatasetError
from bot.evaluate.squad import CORPUS_NAME, QUESTIONS_NAME, load_questions, span_problems


def corpus_chunks(corpus: Path) -> dict[str, list[str]]:
    """Each corpus file's stem -> its chunks' text, as ingest stores them."""
    out: dict[str, list[str]] = {}
    for source in loaders.iter_sources([corpus]):
        raw = loaders.load(source)
        paginated = raw.format == "pdf"
        clean = clean_pages(raw.pages, reflow=paginated)
        spans = chunk_text(clean.text, clean.page_starts if paginated else None)
        out[Path(source).stem] = [clean.text[s.start : s.end] for s in spans]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dataset", type=Path, help="a folder with corpus/ and questions.jsonl")
    args = parser.parse_args()
    try:
        questions = load_questions(args.dataset / QUESTIONS_NAME)
        chunks = corpus_chunks(args.dataset / CORPUS_NAME)
    except (DatasetError, ReportbotError) as exc:
        sys.exit(str(exc))
    problems = span_problems(questions, chunks)
    for problem in problems:
        print(problem)
    kinds = Counter((q.kind, q.lang) for q in questions)
    print(
        f"{len(questions)} questions over {len(chunks)} documents: "
        + ", ".join(f"{kind}/{lang} {n}" for (kind, lang), n in sorted(kinds.items()))
    )
    print(f"{len(problems)} problem(s)")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
