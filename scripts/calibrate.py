"""Print the abstention signals for tests/questions.py, to choose the thresholds.

    python scripts/calibrate.py [INDEX_DIR]

For each question: the best candidate's cosine and IDF-weighted coverage, whether the first
passage is the expected one, and the decision the current thresholds make.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from questions import ANSWERABLE, UNANSWERABLE, first_passage_matches

from bot import answering, lexical
from bot.embedding import get_embedder
from bot.index import ReportIndex


def signals(index, question):
    q = answering.prepare_question(question)
    qvec = answering.embed_query(index, q)
    terms = answering._weighted_terms(index, q)
    best = (0.0, 0.0)
    for hit in answering.search(index, q, query_vector=qvec)[:5]:
        row = index.chunk(hit.chunk_id)
        cos = hit.dense if hit.dense is not None else answering._cosine(index, qvec, hit.chunk_id)
        cover = answering._coverage(terms, set(lexical.stems(row["text"])))
        best = max(best, (cos, cover), key=lambda s: answering._answers(*s) * 10 + s[0] + s[1])
    return best


def main() -> None:
    index_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("index")
    index = ReportIndex.open(index_dir, get_embedder("all-MiniLM-L6-v2"))
    right = declined = 0
    for question, doc, phrase in ANSWERABLE:
        cos, cover = signals(index, question)
        a = answering.answer(index, question)
        ok = first_passage_matches(a, doc, phrase)
        right += ok
        print(f"{'ok  ' if ok else 'MISS'} cos={cos:.2f} cov={cover:.2f} {a.status:9} {question}")
    for question in UNANSWERABLE:
        cos, cover = signals(index, question)
        a = answering.answer(index, question)
        declined += a.status == "not_found"
        print(
            f"{'ok  ' if a.status == 'not_found' else 'LEAK'} cos={cos:.2f} cov={cover:.2f} {a.status:9} {question}"
        )
    print(
        f"answerable: {right}/{len(ANSWERABLE)} first passage right; "
        f"unanswerable: {declined}/{len(UNANSWERABLE)} declined"
    )


if __name__ == "__main__":
    main()
