"""Fact-check a claim's figures against the reports: `check(index, claim) -> Verdict`.

1. Read the claim's figures (`bot.figures.parse_figures`). Time figures (years, quarters,
   periods) qualify the quantities rather than being checked on their own, unless the claim has
   nothing else.
2. Retrieve passages for the claim (the same hybrid search as `ask`), split them into sentences
   and read every figure in them.
3. Match each claim figure to one evidence figure that measures the same thing: the same unit
   family (`bot.figures.unit_family`) and the same context words near the figure, weighted by
   how close they sit to it and how rare they are among the retrieved sentences. A period named
   in both the claim and the evidence sentence adds to the match. Below `MIN_CONTEXT` there is
   no match.
4. Compare matched pairs with `bot.figures.compare` (its docstring gives the tolerance rule).
   A matched figure whose evidence sentence names a different period than the claim is a
   contradiction too ("Q3" for a figure the report gives for Q2).

Verdict: `contradicted` if any matched figure disagrees; `supported` if every quantity in the
claim is matched and agrees; otherwise `not_found`. Every `supported` or `contradicted` verdict
carries the quoted sentence, and `quote == document_text[start:end]` for each piece of evidence.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from bot.answering import MAX_QUESTION_CHARS, prepare_question, search
from bot.figures import (
    TIME_KINDS,
    Comparison,
    Figure,
    compare,
    figure_rows,
    format_value,
    parse_figures,
    unit_family,
)
from bot.index import ReportIndex
from bot.models import Evidence, Verdict, VerdictKind
from bot.text import STOPWORDS, fold, sentence_spans

MIN_CONTEXT = 0.3  # share of the claim's (idf- and distance-weighted) context words matched
SEARCH_LIMIT = 20  # passages retrieved per query
CONTEXT_DECAY = 8  # a context word this many words from the figure counts half
PERIOD_BONUS = 0.25  # the evidence sentence names a period that overlaps the claim's
PREVIOUS_SENTENCE_WEIGHT = 0.4  # context words of the sentence before count this much
FIGURE_COLUMNS = (
    "doc_id",
    "chunk_id",
    "start",
    "end",
    "text",
    "value",
    "low",
    "high",
    "unit",
    "kind",
    "qualifier",
    "sentence",
)

_WORD_RE = re.compile(r"[^\W\d_]+")
_EXTRA_STOPWORDS = frozenset(
    [
        "than",
        "more",
        "over",
        "least",
        "about",
        "roughly",
        "nearly",
        "around",
        "some",
        "up",
        "per",
        "cent",
        "percent",
        "times",
        "fold",
        "million",
        "billion",
        "thousand",
        "trillion",
        "bn",
        "mn",
        "usd",
        "dollars",
        "pesos",
        "since",
        "said",
        "says",
        "say",
        "claim",
        "report",
        "reports",
        "according",
        "also",
        "only",
        "just",
    ]
)


@dataclass
class _Candidate:
    """A figure in a retrieved sentence, with what is needed to quote and match it."""

    figure: Figure  # offsets into the document
    sentence: tuple[int, int]  # document offsets
    doc_id: str
    rank: int
    context: dict[str, float]  # stem -> weight by closeness to the figure
    times: list[Figure]  # time figures in the same sentence
    scope: str = ""  # folded text the claim's names must appear in: sentence, before, title
    head: str | None = None  # the word right after the figure ("65,000 professionals")


@dataclass
class _Check:
    claim_figure: Figure
    candidate: _Candidate | None = None
    comparison: Comparison | None = None
    period_clash: bool = False
    claim_times: list[Figure] = field(default_factory=list)

    @property
    def status(self) -> VerdictKind:
        if self.candidate is None or self.comparison is None:
            return "not_found"
        ok = self.comparison.same and not self.period_clash
        return "supported" if ok else "contradicted"


def check(index: ReportIndex, claim: str, *, max_chars: int = MAX_QUESTION_CHARS) -> Verdict:
    """Check the figures in `claim` against the indexed reports."""
    text = prepare_question(claim, max_chars)
    figures = parse_figures(text)
    quantities = [f for f in figures if f.kind not in TIME_KINDS]
    claim_times = [f for f in figures if f.kind in TIME_KINDS]
    if not figures:
        return Verdict(
            text,
            "not_found",
            [],
            [],
            "The claim has no figures to check; ask it as a question instead.",
        )
    targets = quantities or claim_times
    candidates = _candidates(index, text, figures)
    idf = _idf(candidates)
    names = _names(text, figures)
    candidates = [c for c in candidates if all(_mentions(c.scope, n) for n in names)]
    checks = _match(text, targets, claim_times if quantities else [], candidates, idf)
    statuses = [c.status for c in checks]
    if "contradicted" in statuses:
        verdict: VerdictKind = "contradicted"
    elif statuses and all(s == "supported" for s in statuses):
        verdict = "supported"
    else:
        verdict = "not_found"
    evidence = [_evidence(index, c) for c in checks if c.candidate is not None]
    return Verdict(
        claim=text,
        verdict=verdict,
        claim_figures=figures,
        evidence=evidence,
        explanation=explain(verdict, checks, evidence),
    )


# --------------------------------------------------------------------------------------------
# Evidence


_IRREGULAR = {
    "grew": "grow", "grown": "grow", "growth": "grow", "rose": "rise", "risen": "rise",
    "fell": "fall", "fallen": "fall", "employee": "employ", "employees": "employ",
    "employment": "employ", "jobs": "job", "cut": "eliminat", "cuts": "eliminat",
    "lost": "eliminat", "slashed": "eliminat", "raised": "rais", "investments": "invest",
    "investment": "invest", "exported": "export",
}  # fmt: skip


def _stem(word: str) -> str:
    """A crude stem: irregular forms, common suffixes, then the first six letters.

    Six letters also join many English and Spanish cognates (exports/exportaciones,
    services/servicios, Africa/African), as the answering module's cognate rule does.
    """
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    return word[:6]


def _context(text: str, start: int, end: int, figures: list[Figure], weight: float = 1.0):
    """Context words of the figure at text[start:end], weighted by closeness to it."""
    words: dict[str, float] = {}
    spans = [(f.start, f.end) for f in figures]
    tokens = [m for m in _WORD_RE.finditer(text) if not any(a <= m.start() < b for a, b in spans)]
    before = [m for m in tokens if m.end() <= start]
    after = [m for m in tokens if m.start() >= end]
    for distance, m in [*enumerate(reversed(before)), *enumerate(after)]:
        w = fold(m.group())
        if w in STOPWORDS or w in _EXTRA_STOPWORDS or len(w) < 2:
            continue
        stem = _stem(w)
        words[stem] = max(words.get(stem, 0.0), weight / (1 + distance / CONTEXT_DECAY))
    return words


def _candidates(index: ReportIndex, claim: str, claim_figures: list[Figure]) -> list[_Candidate]:
    """Every figure in the sentences of the passages retrieved for the claim."""
    words_only = claim
    for f in sorted(claim_figures, key=lambda f: -f.start):
        words_only = words_only[: f.start] + " " + words_only[f.end :]
    ranked: dict[int, int] = {}
    for query in (claim, words_only):
        if not re.search(r"\w", query):
            continue
        for rank, hit in enumerate(search(index, query, limit=SEARCH_LIMIT)):
            ranked[hit.chunk_id] = min(ranked.get(hit.chunk_id, rank), rank)
    rows = index.chunks(list(ranked))
    seen: set[tuple[str, int]] = set()
    out: list[_Candidate] = []
    for row in sorted(rows, key=lambda r: ranked[r["id"]]):
        chunk_text, base = row["text"], row["start"]
        doc = index.document_cached(row["doc_id"])
        sentences = sentence_spans(chunk_text) or [(0, len(chunk_text))]
        by_sentence: dict[int, list[Figure]] = defaultdict(list)
        for fig in parse_figures(chunk_text):
            k = next((n for n, (a, b) in enumerate(sentences) if a <= fig.start < b), None)
            if k is not None:
                by_sentence[k].append(fig)
        for k, figs in by_sentence.items():
            a, b = sentences[k]
            sentence = chunk_text[a:b]
            before = _previous_sentences(doc["text"], base + a)
            scope = fold(" ".join([sentence, before, doc["title"] or "", doc["publisher"] or ""]))
            times = [f for f in figs if f.kind in TIME_KINDS]
            local = [replace(f, start=f.start - a, end=f.end - a) for f in figs]
            for fig, here in zip(figs, local, strict=True):
                key = (row["doc_id"], base + fig.start)
                if key in seen:
                    continue
                seen.add(key)
                context = _context(sentence, here.start, here.end, local)
                for m in _WORD_RE.finditer(before):
                    w = fold(m.group())
                    if w not in STOPWORDS and w not in _EXTRA_STOPWORDS and len(w) > 1:
                        stem = _stem(w)
                        context[stem] = max(context.get(stem, 0.0), PREVIOUS_SENTENCE_WEIGHT)
                out.append(
                    _Candidate(
                        figure=replace(fig, start=base + fig.start, end=base + fig.end),
                        sentence=(base + a, base + b),
                        doc_id=row["doc_id"],
                        rank=ranked[row["id"]],
                        context=context,
                        times=[replace(t, start=base + t.start, end=base + t.end) for t in times],
                        scope=scope,
                        head=_head(sentence, here.end),
                    )
                )
    return out


def _head(text: str, end: int) -> str | None:
    """The stemmed content word right after a figure, if one follows it directly."""
    m = re.match(r"[ \t]+([^\W\d_]+)", text[end:])
    if m is None:
        return None
    word = fold(m.group(1))
    if word in STOPWORDS or word in _EXTRA_STOPWORDS or len(word) < 2:
        return None
    return _stem(word)


def _mentions(scope: str, name: str) -> bool:
    return re.search(r"\b" + re.escape(name), scope) is not None


def _previous_sentences(text: str, start: int, count: int = 2) -> str:
    """The `count` sentences before document offset `start` (the figure's subject often sits there)."""
    window = max(0, start - 800)
    spans = sentence_spans(text, window, start)
    return " ".join(text[a:b] for a, b in spans[-count:])


def _names(claim: str, figures: list[Figure]) -> list[str]:
    """Names in the claim (capitalised or all-caps words), folded: the evidence must mention them."""
    names = []
    spans = [(f.start, f.end) for f in figures]
    for m in _WORD_RE.finditer(claim):
        word = m.group()
        if any(a <= m.start() < b for a, b in spans) or not word[0].isupper():
            continue
        first = claim[: m.start()].strip() == ""
        possessive = claim[m.end() : m.end() + 2] in ("'s", "’s")
        if first and not possessive and not word.isupper():
            continue
        folded = fold(word)
        if folded in STOPWORDS or folded in _EXTRA_STOPWORDS:
            continue
        names.append(folded[:5] if len(folded) > 5 else folded)
    return names


def _idf(candidates: list[_Candidate]) -> dict[str, float]:
    """Inverse sentence frequency of each context word among the retrieved sentences."""
    df: dict[str, int] = defaultdict(int)
    sentences: dict[tuple[str, tuple[int, int]], set[str]] = {}
    for c in candidates:
        sentences.setdefault((c.doc_id, c.sentence), set()).update(
            s for s, w in c.context.items() if w >= PREVIOUS_SENTENCE_WEIGHT
        )
    for stems in sentences.values():
        for s in stems:
            df[s] += 1
    n = max(len(sentences), 1)
    return {s: math.log(1 + n / d) for s, d in df.items()}


def _match(
    claim: str,
    targets: list[Figure],
    claim_times: list[Figure],
    candidates: list[_Candidate],
    idf: dict[str, float],
) -> list[_Check]:
    """Pair each claim figure with at most one evidence figure, best context first."""
    default_idf = max(idf.values(), default=1.0)
    scored: list[tuple[float, int, int]] = []
    for ti, target in enumerate(targets):
        context = _context(claim, target.start, target.end, [*targets, *claim_times])
        weights = {s: w * idf.get(s, default_idf) for s, w in context.items()}
        head = _head(claim, target.end)
        total = sum(weights.values())
        if total == 0:
            continue
        for ci, cand in enumerate(candidates):
            if unit_family(cand.figure) != unit_family(target):
                continue
            score = sum(w * cand.context.get(s, 0.0) for s, w in weights.items()) / total
            if score >= MIN_CONTEXT / 2 and _period_overlaps(claim_times, cand.times):
                score += PERIOD_BONUS
            if head and cand.head and head != cand.head:
                continue  # "40 investors" is not "two countries"
            score -= 0.002 * cand.rank  # ties go to the better-ranked passage
            if score >= MIN_CONTEXT:
                scored.append((score, ti, ci))
    scored.sort(key=lambda x: -x[0])
    checks = [_Check(t, claim_times=claim_times) for t in targets]
    used: set[int] = set()
    for _score, ti, ci in scored:
        if checks[ti].candidate is not None or ci in used:
            continue
        cand = candidates[ci]
        used.add(ci)
        checks[ti].candidate = cand
        checks[ti].comparison = compare(targets[ti], cand.figure)
        checks[ti].period_clash = bool(
            claim_times and cand.times and not _period_overlaps(claim_times, cand.times)
        )
    return checks


def _period_overlaps(claim_times: list[Figure], evidence_times: list[Figure]) -> bool:
    return any(compare(c, e).same for c in claim_times for e in evidence_times)


def _location(index: ReportIndex, doc: dict[str, Any], offset: int) -> str:
    pages = doc.get("page_starts") or []
    if pages:
        return f"page {bisect.bisect_right(pages, offset)}"
    paragraphs = doc.get("paragraph_starts") or []
    return f"paragraph {bisect.bisect_right(paragraphs, offset)}" if paragraphs else ""


def _evidence(index: ReportIndex, c: _Check) -> Evidence:
    assert c.candidate is not None
    cand = c.candidate
    doc = index.document_cached(cand.doc_id)
    start, end = cand.sentence
    return Evidence(
        quote=doc["text"][start:end],
        doc_id=cand.doc_id,
        title=doc["title"] or cand.doc_id,
        location=_location(index, doc, start),
        start=start,
        end=end,
        figure=cand.figure,
        claim_figure=c.claim_figure,
        comparison=c.comparison,
        outcome="agrees" if c.status == "supported" else "differs",
    )


# --------------------------------------------------------------------------------------------
# Explanation


def _difference(comparison: Comparison) -> str:
    rel = comparison.relative_difference
    if rel is None or not math.isfinite(rel):
        return "a different figure"
    pct = abs(rel) * 100
    amount = f"{pct:.0f}%" if pct >= 1 else f"{pct:.1g}%"
    if pct >= 200:
        amount = f"{abs(rel) + 1:.1f} times as much" if rel > 0 else amount
        return amount if rel > 0 else f"{amount} lower"
    return f"{amount} {'higher' if rel > 0 else 'lower'}"


_AGREEMENT = {
    "rounding": "which matches within rounding",
    "approximate": "which is within the 10% an approximate figure allows",
    "bound": "which is consistent with the report's bound",
    "range": "which falls within the range",
    "claim bound": "and the report's figure satisfies that",
    "time overlap": "which overlaps",
}


def explain_check(check_: _Check, evidence: Evidence) -> str:
    """One or two sentences for one compared figure: the quote, the citation, both figures."""
    assert check_.candidate is not None and check_.comparison is not None
    cand, comparison, claim_fig = check_.candidate, check_.comparison, check_.claim_figure
    periods = [t for t in cand.times if t is not cand.figure]
    period = ""
    if periods and cand.figure.kind not in TIME_KINDS:
        joiner = " " if periods[0].qualifier in ("lower_bound", "upper_bound") else " for "
        period = joiner + format_value(periods[0])
    said = format_value(cand.figure)
    cite = f"“{evidence.quote}” ({evidence.title}, {evidence.location})".replace(", )", ")")
    claimed = format_value(claim_fig)
    if check_.status == "supported":
        tail = _AGREEMENT.get(comparison.rule, "which agrees")
        if comparison.rule == "rounding" and claim_fig.value == cand.figure.value:
            tail = "the same figure"
        return f"{cite}. The report says {said}{period}; the claim says {claimed}, {tail}."
    if check_.period_clash and comparison.same:
        return (
            f"{cite}. The report gives {said}{period}; the claim says "
            f"{', '.join(format_value(t) for t in check_.claim_times) or 'another period'}."
        )
    if claim_fig.kind in TIME_KINDS:
        return f"{cite}. The report says {said}; the claim says {claimed}."
    return f"{cite}. The report says {said}{period}; the claim says {claimed}, {_difference(comparison)}."


def explain(verdict: VerdictKind, checks: list[_Check], evidence: list[Evidence]) -> str:
    """The plain-language explanation of a verdict, built from its figure checks."""
    by_figure = {e.claim_figure: e for e in evidence}
    if verdict == "contradicted":
        parts = [
            explain_check(c, by_figure[c.claim_figure])
            for c in checks
            if c.status == "contradicted"
        ]
        return " ".join(parts[:2])
    if verdict == "supported":
        return " ".join(explain_check(c, by_figure[c.claim_figure]) for c in checks[:2])
    missing = [format_value(c.claim_figure) for c in checks if c.candidate is None]
    found = [c for c in checks if c.candidate is not None]
    text = (
        "The reports do not give a comparable figure for "
        + " or ".join(missing or [format_value(c.claim_figure) for c in checks])
        + "."
    )
    if found:
        text += " " + explain_check(found[0], by_figure[found[0].claim_figure])
    return text


# --------------------------------------------------------------------------------------------
# Listing


def list_figures(index: ReportIndex, doc_id: str | None = None) -> list[dict[str, Any]]:
    """Every figure in one report (or all reports), in reading order, with its sentence.

    Reads the `figures` table written at ingest; an index built before ingest stored figures
    is read from its chunks instead, with the same fields.
    """
    if doc_id is not None:
        index.document(doc_id)  # raises DocumentNotFound
    where, params = ("WHERE doc_id = ?", [doc_id]) if doc_id is not None else ("", [])
    columns = ", ".join(f'"{c}"' for c in FIGURE_COLUMNS)
    rows: list[dict[str, Any]] = []
    if "figures" in index.db.table_names():
        cursor = index.db.execute(
            f'SELECT {columns} FROM figures {where} ORDER BY doc_id, "start"', params
        )
        rows = [dict(zip(FIGURE_COLUMNS, r, strict=True)) for r in cursor.fetchall()]
    if rows:
        return rows
    chunks = index.db.execute(
        f'SELECT id, doc_id, "start", text FROM chunks {where} ORDER BY doc_id, ordinal', params
    ).fetchall()
    seen: set[tuple[str, int]] = set()
    for chunk_id, owner, start, text in chunks:
        for row in figure_rows(text, start, chunk_id=chunk_id, doc_id=owner):
            if (owner, row["start"]) not in seen:
                seen.add((owner, row["start"]))
                rows.append({c: row[c] for c in FIGURE_COLUMNS})
    return rows
