"""Evidence candidates: every figure in the sentences and table rows of the retrieved passages,
read with its subject (the sentence's words, or the row label) and its period (the sentence's,
the column header's, or the document title's)."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, replace
from typing import Any

from bot.answering import Mode, allowed_chunks, search
from bot.factcheck.subject import (
    content_stems,
    describe_subject,
    document_words,
    head_stem,
    mentions_name,
    weigh_by_distance,
)
from bot.figures import TIME_KINDS, Figure, parse_figures
from bot.figures.tables import read_row
from bot.figures.tokens import detect_locale
from bot.figures.types import APPROXIMATE_TOLERANCE
from bot.index import ReportIndex
from bot.models import SearchFilter
from bot.text import sentence_spans

SEARCH_LIMIT = 20  # passages retrieved per query
VALUE_LOOKUP_LIMIT = 30  # chunks that state a claim figure, taken besides the retrieved ones
STATED_SCALES = (1.0, 1e3, 1e6, 1e9)  # a figure read as written, in thousands, millions, billions
EVIDENCE_DECAY = 12  # the same in the reports' longer sentences
CONTEXT_WEIGHT = 0.4  # words of the table header and title, or of the sentences before


@dataclass
class Candidate:
    """A figure in a retrieved sentence or table row, read with its subject and period."""

    figure: Figure  # offsets into the document; table cells scaled
    span: tuple[int, int]  # the quoted sentence or row, document offsets
    doc_id: str
    rank: int
    context: dict[str, float]  # stem -> weight
    subject: str  # the row label or the sentence, as written
    period: Figure | None
    period_from: str  # "column", "row", "sentence", "document" or ""
    aligned: bool = True  # False: a table cell whose column could not be read
    in_table: bool = False
    subject_score: float = 0.0  # share of the claim's weighted subject words found
    head: str | None = None
    vector_score: float = 0.0


def document_period(index: ReportIndex, doc_id: str) -> Figure | None:
    """The period a document's title states ("for the fiscal year ended December 31, 2018")."""
    key = f"factcheck:period:{doc_id}"
    if key not in index._cache:
        title = index.document_cached(doc_id)["title"] or ""
        times = [f for f in parse_figures(title) if f.kind in TIME_KINDS]
        index._cache[key] = times[-1] if times else None
    return index._cache[key]


def named_documents(
    index: ReportIndex, names: list[str], filters: SearchFilter | None
) -> SearchFilter | None:
    """`filters` narrowed to the documents that mention every name in the claim ("Netflix")."""
    if not names:
        return filters
    docs = [d["id"] for d in index.documents()]
    if filters and filters.doc_ids:
        docs = [d for d in docs if d in filters.doc_ids]
    named = tuple(d for d in docs if all(mentions_name(document_words(index, d), n) for n in names))
    if not named or len(named) == len(docs):
        return filters
    base = filters or SearchFilter()
    return SearchFilter(named, base.publisher, base.date_from, base.date_to)


def page_start_of(doc: dict[str, Any], offset: int) -> int:
    pages = doc.get("page_starts") or []
    k = bisect.bisect_right(pages, offset)
    return pages[k - 1] if k else 0


def gather_candidates(
    index: ReportIndex, claim: str, claim_figures: list[Figure], filters: SearchFilter | None
) -> list[Candidate]:
    """Every figure in the sentences and table rows of the passages retrieved for the claim."""
    words_only = claim
    for f in sorted(claim_figures, key=lambda f: -f.start):
        words_only = words_only[: f.start] + " " + words_only[f.end :]
    ranked: dict[int, int] = {}
    # The claim as written (hybrid), its words without the figures, and each figure's subject
    # on its own ("Verizon's inventories": a table row's label is short) (lexical: one model
    # call per claim is the budget).
    subjects = [
        describe_subject(claim, f, claim_figures) for f in claim_figures if f.kind not in TIME_KINDS
    ]
    queries: list[tuple[str, Mode]] = [(claim, "hybrid"), (words_only, "lexical")]
    queries += [(s, "lexical") for s in dict.fromkeys(subjects) if s != claim]
    for query, mode in queries:
        if not re.search(r"\w", query):
            continue
        hits = search(index, query, limit=SEARCH_LIMIT, mode=mode, filters=filters)
        for rank, hit in enumerate(hits):
            ranked[hit.chunk_id] = min(ranked.get(hit.chunk_id, rank), rank)
    # And the passages that state the claim's figure itself, in whatever scale: a table row
    # ("Inventories 3,055") is rarely among the best passages for the claim's words.
    # Only their lines that hold the figure are read.
    stating: dict[int, list[int]] = {}
    for fig in claim_figures:
        for chunk_id, offset in chunks_stating(index, fig, filters):
            if chunk_id not in ranked or chunk_id in stating:
                stating.setdefault(chunk_id, []).append(offset)
                ranked.setdefault(chunk_id, SEARCH_LIMIT)
    seen: set[tuple[str, int]] = set()
    out: list[Candidate] = []
    for row in sorted(index.chunks(list(ranked)), key=lambda r: ranked[r["id"]]):
        doc = index.document_cached(row["doc_id"])
        text, base = doc["text"], row["start"]
        lang = detect_locale(row["text"])
        lines = line_spans(text, base, row["end"])
        if row["id"] in stating:
            offsets = stating[row["id"]]
            lines = [(a, b) for a, b in lines if any(a <= o < b for o in offsets)]
        for a, b in lines:
            cells = read_row(text, a, b, page_start_of(doc, a))
            if cells:
                out += _row_candidates(cells, text, a, b, row, ranked, lang, seen)
            else:
                out += _sentence_candidates(index, text, a, b, row, ranked, lang, seen)
    return out


def chunks_stating(
    index: ReportIndex, fig: Figure, filters: SearchFilter | None
) -> list[tuple[int, int]]:
    """(chunk id, document offset) of figures equal to `fig` within its rounding, read as
    written or in thousands, millions or billions, sign aside (tables state "in millions" and
    put outflows in parentheses); at most `VALUE_LOOKUP_LIMIT` chunks, within `filters`."""
    if fig.kind in TIME_KINDS or fig.qualifier not in ("exact", "approximate") or not fig.value:
        return []
    half = max(fig.precision, abs(fig.value) * 1e-9) / 2
    if fig.qualifier == "approximate":
        half = max(half, abs(fig.value) * APPROXIMATE_TOLERANCE)  # as `compare`
    scales = (1.0,) if fig.unit == "%" else STATED_SCALES
    ranges = []
    for scale in scales:
        for sign in (1, -1):
            low, high = sorted(
                (sign * (fig.value - half) / scale, sign * (fig.value + half) / scale)
            )
            ranges.append((low, high))
    doc_ids = filters.doc_ids if filters is not None and filters.doc_ids else None
    allowed = allowed_chunks(index, filters)
    found = [
        (c, o) for c, o in index.figures_valued(ranges, doc_ids) if allowed is None or c in allowed
    ]
    keep = set(list(dict.fromkeys(c for c, _ in found))[:VALUE_LOOKUP_LIMIT])
    return [(c, o) for c, o in found if c in keep]


def line_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out, pos = [], start
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl < 0 else nl
        if text[pos:stop].strip():
            out.append((pos, stop))
        pos = stop + 1
    return out


def _row_candidates(cells, text, a, b, row, ranked, lang, seen) -> list[Candidate]:
    out = []
    label = cells[0].label
    header = cells[0].header
    label_words = content_stems(label, lang)
    context = {s: 1.0 for s, _, _ in label_words}
    for s, _, _ in content_stems(header, lang):
        context.setdefault(s, CONTEXT_WEIGHT)
    for cell in cells:
        key = (row["doc_id"], cell.figure.start)
        if key in seen or cell.figure.kind in TIME_KINDS:
            continue
        seen.add(key)
        period_from = "column" if cell.period is not None else ""
        out.append(
            Candidate(
                figure=cell.figure,
                span=(a, b),
                doc_id=row["doc_id"],
                rank=ranked[row["id"]],
                context=context,
                subject=label,
                period=cell.period,
                period_from=period_from,
                aligned=cell.aligned,
                in_table=True,
            )
        )
    return out


def _sentence_candidates(index, text, a, b, row, ranked, lang, seen) -> list[Candidate]:
    out = []
    for s, e in sentence_spans(text, a, b):
        sentence = text[s:e]
        figures = parse_figures(sentence)
        if not figures:
            continue
        times = [f for f in figures if f.kind in TIME_KINDS]
        words = content_stems(sentence, lang)
        spans = [(f.start, f.end) for f in figures]
        before = _previous_sentences(text, s)
        before_words = {w for w, _, _ in content_stems(before, lang)}
        for fig in figures:
            key = (row["doc_id"], s + fig.start)
            if key in seen or fig.kind in TIME_KINDS:
                continue
            seen.add(key)
            context = weigh_by_distance(words, fig.start, fig.end, spans, EVIDENCE_DECAY)
            for w in before_words:
                context.setdefault(w, CONTEXT_WEIGHT)
            period = min(times, key=lambda t: abs(t.start - fig.start), default=None)
            period_from = "sentence" if period is not None else ""
            if period is None:
                period = document_period(index, row["doc_id"])
                period_from = "document" if period is not None else ""
            elif period_from == "sentence":
                period = replace(period, start=s + period.start, end=s + period.end)
            out.append(
                Candidate(
                    figure=replace(fig, start=s + fig.start, end=s + fig.end),
                    span=(s, e),
                    doc_id=row["doc_id"],
                    rank=ranked[row["id"]],
                    context=context,
                    subject=sentence,
                    period=period,
                    period_from=period_from,
                    head=head_stem(sentence, fig.end, lang),
                )
            )
    return out


def _previous_sentences(text: str, start: int, count: int = 2) -> str:
    """The `count` sentences before document offset `start` (a figure's subject often sits there)."""
    spans = sentence_spans(text, max(0, start - 800), start)
    return " ".join(text[a:b] for a, b in spans[-count:])
