"""Fact-check a claim's figures against the reports: `check(index, claim) -> Verdict`.

A claim figure is a quantity about a subject, for a period: "3M's purchases of property, plant
and equipment were $1.58 billion in 2018" is USD 1.58 billion, about "purchases of property,
plant and equipment", for 2018. Evidence figures are read the same way: a figure in a sentence
has the sentence's words as its subject and the sentence's period (or the document's, as its
title states it: "for the fiscal year ended December 31, 2018"); a figure in a table row has the
row label as its subject, the column header as its period and the table's stated scale
(`bot.figures.tables`).

1. Read the claim's figures (`bot.figures.parse_figures`). Time figures qualify the quantities
   (the claim's period) rather than being checked on their own, unless the claim has nothing
   else.
2. Retrieve passages for the claim (the same hybrid search as `ask`, restricted by `filters`)
   and read every figure in them, sentence by sentence and table row by table row.
3. Match each claim figure on its subject. Words count by general morphology (Snowball stems,
   `bot.text.stem`), weighted by how close they sit to the figure and how rare they are in the
   index. A claim word the reports never use means the claim is not addressed; names in the
   claim (capitalised words) must appear in the evidence's document. The share of the claim's
   weighted subject words found near the evidence figure must reach `MIN_SUBJECT`; embedding
   similarity of the two subjects is a second signal among the best candidates.
4. Decide, in order of safety:
   - `supported` when a matched figure for the same period (or with no period stated on one
     side) agrees (`bot.figures.compare`);
   - `contradicted` only when the same subject and the same period give a different figure;
   - when the subject matches but the report gives the figure for another period, say so
     ("the report gives USD 1.373 billion for 2017; the claim is about 2018"): `not_found`;
   - a figure with only the unit in common, or none: `not_found`.

A claim is `contradicted` if any of its figures is, `supported` if all are; else `not_found`.
Every verdict that quotes carries the quoted sentence or row, and `quote ==
document_text[start:end]` for each piece of evidence. Explanations name the subject and period
on both sides.
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from bot import lexical
from bot.answering import MAX_QUESTION_CHARS, Mode, prepare_question, search
from bot.figures import (
    TIME_KINDS,
    Comparison,
    Figure,
    compare,
    format_value,
    parse_figures,
    unit_family,
)
from bot.figures.tables import read_row
from bot.figures.tokens import detect_locale
from bot.figures.vocabulary import FRAME_WORDS as _FRAME_WORDS
from bot.index import ReportIndex
from bot.models import Evidence, Outcome, SearchFilter, Verdict, VerdictKind
from bot.text import STOPWORDS, fold, sentence_spans, stem

MIN_SUBJECT = 0.45  # share of the claim's weighted subject words found near the evidence figure
SEARCH_LIMIT = 20  # passages retrieved per query
CONTEXT_DECAY = 6  # a claim word this many words from the figure counts half
EVIDENCE_DECAY = 12  # the same in the reports' longer sentences
CONTEXT_WEIGHT = 0.4  # words of the table header and title, or of the sentences before
OTHER_CLAUSE = 0.3  # claim words in another clause than the figure ("..., of which X got 2%")
HEAD_PENALTY = 0.15  # "40 investors" against "two countries": different nouns after the figure
PERIOD_BONUS = 0.25  # the evidence names a period that overlaps the claim's
SUBJECT_BAND = 0.12  # candidates this close to the best one are about the same subject
CONTRADICT_SUBJECT = 0.65  # a contradiction needs this much of the subject, not just a match
AGREE_BAND = 0.05  # an agreeing candidate this close to the best one of its period decides
EMBED_WEIGHT = 0.2  # weight of the subjects' embedding similarity
EMBED_TOP = 8  # candidates whose subjects are embedded, per claim figure

_WORD_RE = re.compile(r"[^\W\d_]+")
_NAME_RE = re.compile(r"[^\W_][\w&]*(?:['’]s)?")


# --------------------------------------------------------------------------------------------
# Words


def _stems(text: str, lang: str) -> list[tuple[str, int, int]]:
    """(stem, start, end) of the content words of `text`."""
    out = []
    for m in _WORD_RE.finditer(text):
        w = fold(m.group())
        if len(w) < 2 or w in STOPWORDS or w in _FRAME_WORDS:
            continue
        out.append((stem(w, lang), m.start(), m.end()))
    return out


def _weighted(
    words: list[tuple[str, int, int]],
    start: int,
    end: int,
    skip: list[tuple[int, int]],
    decay: float = CONTEXT_DECAY,
) -> dict[str, float]:
    """Stem -> weight by closeness (in words) to the figure at [start, end)."""
    kept = [w for w in words if not any(a <= w[1] < b for a, b in skip)]
    before = [w for w in kept if w[2] <= start]
    after = [w for w in kept if w[1] >= end]
    out: dict[str, float] = {}
    for distance, (s, _, _) in [*enumerate(reversed(before)), *enumerate(after)]:
        out[s] = max(out.get(s, 0.0), 1.0 / (1 + distance / decay))
    return out


def _head(text: str, end: int, lang: str) -> str | None:
    """The stem of the content word right after a figure ("65,000 professionals")."""
    m = re.match(r"[ \t]+([^\W\d_]+)", text[end:])
    if m is None:
        return None
    w = fold(m.group(1))
    if w in STOPWORDS or w in _FRAME_WORDS or len(w) < 2:
        return None
    return stem(w, lang)


# --------------------------------------------------------------------------------------------
# Candidates


@dataclass
class _Candidate:
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


@dataclass
class _Check:
    claim_figure: Figure
    claim_period: Figure | None
    claim_subject: str
    candidate: _Candidate | None = None
    comparison: Comparison | None = None
    outcome: Outcome | None = None
    unaddressed: list[str] = field(default_factory=list)  # claim words the reports never use

    @property
    def status(self) -> VerdictKind:
        if self.outcome == "agrees":
            return "supported"
        if self.outcome == "differs":
            return "contradicted"
        return "not_found"


def _doc_period(index: ReportIndex, doc_id: str) -> Figure | None:
    """The period a document's title states ("for the fiscal year ended December 31, 2018")."""
    key = f"factcheck:period:{doc_id}"
    if key not in index._cache:
        title = index.document_cached(doc_id)["title"] or ""
        times = [f for f in parse_figures(title) if f.kind in TIME_KINDS]
        index._cache[key] = times[-1] if times else None
    return index._cache[key]


def _doc_words(index: ReportIndex, doc_id: str) -> list[str]:
    """The folded words of a document with its title and publisher, sorted, once per index."""
    key = f"factcheck:words:{doc_id}"
    if key not in index._cache:
        doc = index.document_cached(doc_id)
        text = fold(" ".join([doc["title"] or "", doc["publisher"] or "", doc["text"]]))
        index._cache[key] = sorted(set(re.findall(r"\w+", text)))
    return index._cache[key]


def _named_documents(
    index: ReportIndex, names: list[str], filters: SearchFilter | None
) -> SearchFilter | None:
    """`filters` narrowed to the documents that mention every name in the claim ("Netflix")."""
    if not names:
        return filters
    docs = [d["id"] for d in index.documents()]
    if filters and filters.doc_ids:
        docs = [d for d in docs if d in filters.doc_ids]
    named = tuple(d for d in docs if all(_mentions(_doc_words(index, d), n) for n in names))
    if not named or len(named) == len(docs):
        return filters
    base = filters or SearchFilter()
    return SearchFilter(named, base.publisher, base.date_from, base.date_to)


def _mentions(words: list[str], name: str) -> bool:
    """The document has the name, or a word sharing all but its last two letters ("africa")."""
    prefix = name[:-2] if len(name) >= 6 else name
    k = bisect.bisect_left(words, prefix)
    if k < len(words) and words[k] == name:
        return True
    return len(name) >= 6 and k < len(words) and words[k].startswith(prefix)


def _page_start(doc: dict[str, Any], offset: int) -> int:
    pages = doc.get("page_starts") or []
    k = bisect.bisect_right(pages, offset)
    return pages[k - 1] if k else 0


def _candidates(
    index: ReportIndex, claim: str, claim_figures: list[Figure], filters: SearchFilter | None
) -> list[_Candidate]:
    """Every figure in the sentences and table rows of the passages retrieved for the claim."""
    words_only = claim
    for f in sorted(claim_figures, key=lambda f: -f.start):
        words_only = words_only[: f.start] + " " + words_only[f.end :]
    ranked: dict[int, int] = {}
    # The claim as written (hybrid), and its words without the figures (lexical: one model
    # call per claim is the budget).
    queries: tuple[tuple[str, Mode], ...] = ((claim, "hybrid"), (words_only, "lexical"))
    for query, mode in queries:
        if not re.search(r"\w", query):
            continue
        hits = search(index, query, limit=SEARCH_LIMIT, mode=mode, filters=filters)
        for rank, hit in enumerate(hits):
            ranked[hit.chunk_id] = min(ranked.get(hit.chunk_id, rank), rank)
    seen: set[tuple[str, int]] = set()
    out: list[_Candidate] = []
    for row in sorted(index.chunks(list(ranked)), key=lambda r: ranked[r["id"]]):
        doc = index.document_cached(row["doc_id"])
        text, base = doc["text"], row["start"]
        lang = detect_locale(row["text"])
        for a, b in _line_spans(text, base, row["end"]):
            cells = read_row(text, a, b, _page_start(doc, a))
            if cells:
                out += _row_candidates(cells, text, a, b, row, ranked, lang, seen)
            else:
                out += _sentence_candidates(index, text, a, b, row, ranked, lang, seen)
    return out


def _line_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out, pos = [], start
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl < 0 else nl
        if text[pos:stop].strip():
            out.append((pos, stop))
        pos = stop + 1
    return out


def _row_candidates(cells, text, a, b, row, ranked, lang, seen) -> list[_Candidate]:
    out = []
    label = cells[0].label
    header = cells[0].header
    label_words = _stems(label, lang)
    context = {s: 1.0 for s, _, _ in label_words}
    for s, _, _ in _stems(header, lang):
        context.setdefault(s, CONTEXT_WEIGHT)
    for cell in cells:
        key = (row["doc_id"], cell.figure.start)
        if key in seen or cell.figure.kind in TIME_KINDS:
            continue
        seen.add(key)
        period_from = "column" if cell.period is not None else ""
        out.append(
            _Candidate(
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


def _sentence_candidates(index, text, a, b, row, ranked, lang, seen) -> list[_Candidate]:
    out = []
    for s, e in sentence_spans(text, a, b):
        sentence = text[s:e]
        figures = parse_figures(sentence)
        if not figures:
            continue
        times = [f for f in figures if f.kind in TIME_KINDS]
        words = _stems(sentence, lang)
        spans = [(f.start, f.end) for f in figures]
        before = _previous_sentences(text, s)
        before_words = {w for w, _, _ in _stems(before, lang)}
        for fig in figures:
            key = (row["doc_id"], s + fig.start)
            if key in seen or fig.kind in TIME_KINDS:
                continue
            seen.add(key)
            context = _weighted(words, fig.start, fig.end, spans, EVIDENCE_DECAY)
            for w in before_words:
                context.setdefault(w, CONTEXT_WEIGHT)
            period = min(times, key=lambda t: abs(t.start - fig.start), default=None)
            period_from = "sentence" if period is not None else ""
            if period is None:
                period = _doc_period(index, row["doc_id"])
                period_from = "document" if period is not None else ""
            elif period_from == "sentence":
                period = replace(period, start=s + period.start, end=s + period.end)
            out.append(
                _Candidate(
                    figure=replace(fig, start=s + fig.start, end=s + fig.end),
                    span=(s, e),
                    doc_id=row["doc_id"],
                    rank=ranked[row["id"]],
                    context=context,
                    subject=sentence,
                    period=period,
                    period_from=period_from,
                    head=_head(sentence, fig.end, lang),
                )
            )
    return out


def _previous_sentences(text: str, start: int, count: int = 2) -> str:
    """The `count` sentences before document offset `start` (a figure's subject often sits there)."""
    spans = sentence_spans(text, max(0, start - 800), start)
    return " ".join(text[a:b] for a, b in spans[-count:])


# --------------------------------------------------------------------------------------------
# The claim


def _names(claim: str, figures: list[Figure]) -> list[str]:
    """Names in the claim (capitalised words, "3M"), folded: the evidence's document must have them."""
    names = []
    spans = [(f.start, f.end) for f in figures]
    for m in _NAME_RE.finditer(claim):
        word = re.sub(r"['’]s$", "", m.group())
        if any(a <= m.start() < b for a, b in spans) or not word[0].isupper():
            continue
        first = claim[: m.start()].strip() == ""
        possessive = m.group() != word
        if first and not possessive and not word.isupper() and not any(c.isdigit() for c in word):
            continue
        folded = fold(word)
        if folded in STOPWORDS or folded in _FRAME_WORDS:
            continue
        names.append(folded)
    return names


def _claim_subject(claim: str, fig: Figure, figures: list[Figure]) -> str:
    """The words of the claim that say what `fig` measures, for explanations."""
    head = claim[: fig.start]
    for other in figures:
        if other.end <= fig.start:
            head = head[: other.start] + " " + head[other.end :]
    head = re.split(r"[,;:]|\b(?:that|which|who|que)\b", head)[-1]
    words = head.split()
    while words and (fold(words[-1]) in STOPWORDS or fold(words[-1]) in _FRAME_WORDS):
        words.pop()
    if len(_WORD_RE.findall(" ".join(words))) >= 2:
        return " ".join(words).strip(" '’")
    tail = claim[fig.end :]
    words = []
    for w in tail.split():
        if words and fold(w.strip(".,;")) in STOPWORDS:
            break
        words.append(w.strip(".,;"))
    return " ".join(words) or claim


def _idf(index: ReportIndex, words: list[str]) -> dict[str, float]:
    """Inverse document frequency of folded claim words in the index; -1 if never used.

    A word counts as used when the index has it or a word sharing all but its last two letters
    ("african" and "africa").
    """
    n = max(index.chunk_count, 1)
    out = {}
    for word, terms in zip(words, lexical.word_stems(words), strict=True):
        df = min((lexical.df(index, t) for t in terms), default=0)
        if df == 0 and terms and len(terms[0]) >= 6:
            df = sum(d for _, d in lexical.prefix_terms(index, terms[0][:-2]))
        out[word] = -1.0 if df == 0 else math.log(1 + n / df)
    return out


# --------------------------------------------------------------------------------------------
# Checking


def check(
    index: ReportIndex,
    claim: str,
    *,
    max_chars: int = MAX_QUESTION_CHARS,
    filters: SearchFilter | None = None,
) -> Verdict:
    """Check the figures in `claim` against the indexed reports (those `filters` selects)."""
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
    names = _names(text, figures)
    candidates = _candidates(index, text, figures, _named_documents(index, names, filters))
    candidates = [
        c for c in candidates if all(_mentions(_doc_words(index, c.doc_id), n) for n in names)
    ]
    checks = _match(index, text, targets, claim_times if quantities else [], figures, candidates)
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


def _match(
    index: ReportIndex,
    claim: str,
    targets: list[Figure],
    claim_times: list[Figure],
    figures: list[Figure],
    candidates: list[_Candidate],
) -> list[_Check]:
    """Pair each claim figure with the evidence figure about the same subject, safest first."""
    lang = detect_locale(claim)
    words = _stems(claim, lang)
    spans = [(f.start, f.end) for f in figures]
    name_spans = [
        (m.start(), m.end())
        for m in _NAME_RE.finditer(claim)
        if fold(m.group()) in _names_set(claim, figures)
    ]
    folded = {s: fold(claim[a:b]) for s, a, b in words}
    idf = _idf(index, sorted(set(folded.values())))
    checks: list[_Check] = []
    used: set[int] = set()
    for target in targets:
        period = _claim_period(target, claim_times)
        check_ = _Check(target, period, _claim_subject(claim, target, figures))
        checks.append(check_)
        context = _clause_context(claim, words, target, spans + name_spans)
        never = {s for s in context if idf.get(folded[s], 0) < 0}
        # A word the reports never use as the figure's predicate is worded otherwise ("got 2%",
        # "were cut"); anywhere else in its clause ("lithium exports reached") it says the claim
        # is about something the reports do not cover: never contradicted.
        predicate = never & _nearest(words, target, spans + name_spans, claim)
        check_.unaddressed = sorted(
            folded[s] for s in never - predicate if context[s] > OTHER_CLAUSE
        )
        top_idf = max((v for v in idf.values() if v > 0), default=1.0)
        weights = {
            s: w * (top_idf if s in never else idf.get(folded[s], 1.0))
            for s, w in context.items()
            if s not in predicate
        }
        total = sum(weights.values())
        if total == 0:
            continue
        head = _head(claim, target.end, lang)
        scored: list[tuple[float, int]] = []
        for ci, cand in enumerate(candidates):
            if ci in used or unit_family(cand.figure) != unit_family(target):
                continue
            score = sum(w * min(1.0, cand.context.get(s, 0.0)) for s, w in weights.items()) / total
            if head and cand.head and head != cand.head:
                score -= HEAD_PENALTY
            if score < MIN_SUBJECT:
                continue
            cand.subject_score = score
            if period is not None and cand.period is not None and compare(period, cand.period).same:
                score += PERIOD_BONUS
            scored.append((score - 0.002 * cand.rank, ci))  # ties go to the better-ranked passage
        if not scored:
            continue
        scored.sort(key=lambda x: -x[0])
        scored = _rerank_by_embedding(index, check_.claim_subject, scored, candidates)
        best = scored[0][0]
        tier: list[tuple[float, _Candidate]] = []
        spans_seen: set[tuple[str, tuple[int, int]]] = set()
        for score, ci in scored:
            cand = candidates[ci]
            key = (cand.doc_id, cand.span)
            if score < best - SUBJECT_BAND or (not cand.in_table and key in spans_seen):
                continue  # another figure of the same sentence measures something else
            spans_seen.add(key)
            tier.append((score, cand))
        _decide(check_, tier)
        if check_.outcome == "differs" and check_.unaddressed:
            check_.outcome = "unaddressed"
        if check_.candidate is not None:
            used.add(candidates.index(check_.candidate))
    return checks


def _clause_context(
    claim: str, words: list[tuple[str, int, int]], target: Figure, skip: list[tuple[int, int]]
) -> dict[str, float]:
    """Claim words by closeness to the figure; words of other clauses count `OTHER_CLAUSE`."""
    cuts = [m.start() for m in re.finditer(r"[,;:—–()]", claim)]
    clause = bisect.bisect_right(cuts, target.start)
    own = [w for w in words if bisect.bisect_right(cuts, w[1]) == clause]
    rest = [w for w in words if bisect.bisect_right(cuts, w[1]) != clause]
    context = _weighted(own, target.start, target.end, skip)
    for s, w in _weighted(rest, target.start, target.end, skip).items():
        context[s] = max(context.get(s, 0.0), w * OTHER_CLAUSE)
    return context


def _nearest(
    words: list[tuple[str, int, int]], target: Figure, skip: list[tuple[int, int]], claim: str
) -> set[str]:
    """The stems of a figure's predicate: the content word right before it ("grew 21%") and the
    last one of its clause after it ("positions were cut")."""
    kept = [w for w in words if not any(a <= w[1] < b for a, b in skip)]
    before = [w[0] for w in kept if w[2] <= target.start]
    cut = re.search(r"[,;:—–()]", claim[target.end :])
    stop = target.end + cut.start() if cut else len(claim)
    after = [w[0] for w in kept if target.end <= w[1] < stop]
    return set(before[-1:] + after[-1:])


def _names_set(claim: str, figures: list[Figure]) -> set[str]:
    return set(_names(claim, figures))


def _claim_period(target: Figure, claim_times: list[Figure]) -> Figure | None:
    """The claim's period for a figure: its nearest time figure."""
    if not claim_times or target.kind in TIME_KINDS:
        return None
    return min(claim_times, key=lambda t: abs(t.start - target.start))


def _rerank_by_embedding(
    index: ReportIndex,
    subject: str,
    scored: list[tuple[float, int]],
    candidates: list[_Candidate],
) -> list[tuple[float, int]]:
    """Add the embedding similarity of the claim's subject and each top candidate's."""
    top = scored[:EMBED_TOP]
    if len(top) < 2:
        return scored
    vectors = _subject_vectors(index, [subject] + [candidates[ci].subject for _, ci in top])
    sims = vectors[1:] @ vectors[0]
    rescored = [(s + EMBED_WEIGHT * float(sim), ci) for (s, ci), sim in zip(top, sims, strict=True)]
    rescored.sort(key=lambda x: -x[0])
    return rescored + scored[EMBED_TOP:]


SUBJECT_CHARS = 240  # a subject's first characters are embedded (labels are short, sentences not)


def _subject_vectors(index: ReportIndex, texts: list[str]) -> np.ndarray:
    """Unit vectors of subjects, each text embedded once per index (one model call for the new)."""
    cache = index._cache.setdefault("factcheck:subjects", {})
    keys = [t[:SUBJECT_CHARS] for t in texts]
    new = list(dict.fromkeys(k for k in keys if k not in cache))
    if new:
        if len(cache) > 20_000:
            cache.clear()
        encoded = np.asarray(index.embedder.encode(new), dtype=np.float32)
        norms = np.linalg.norm(encoded, axis=1)
        norms[norms == 0] = 1.0
        cache.update(zip(new, encoded / norms[:, None], strict=True))
    return np.stack([cache[k] for k in keys])


def _decide(check_: _Check, tier: list[tuple[float, _Candidate]]) -> None:
    """The outcome for one claim figure among candidates about the same subject (best first).

    A claim with no period is compared with what the report states, whatever its period; an
    agreeing candidate counts only if it is as good a match as the best one (`AGREE_BAND`),
    so a goal ("path towards USD 30 billion") does not confirm a claim about actual exports
    that a better-matched sentence contradicts.
    """
    target, period = check_.claim_figure, check_.claim_period
    same: list[tuple[float, _Candidate]] = []
    unknown: list[tuple[float, _Candidate]] = []
    other: list[tuple[float, _Candidate]] = []
    for score, cand in tier:
        if period is None or cand.period is None:
            if cand.aligned:
                (same if period is None else unknown).append((score, cand))
        elif compare(period, cand.period).same:
            same.append((score, cand))
        else:
            other.append((score, cand))
    comparisons = {id(c): _compare(target, c.figure) for _, c in tier}
    for group, differ_outcome in ((same, "differs"), (unknown, None)):
        if not group:
            continue
        top = group[0][0]
        agreeing = [c for s, c in group if comparisons[id(c)].same and s >= top - AGREE_BAND]
        if agreeing:
            _set(check_, agreeing[0], comparisons[id(agreeing[0])], "agrees")
            return
        if differ_outcome:
            best = group[0][1]
            strong = best.subject_score >= CONTRADICT_SUBJECT
            _set(check_, best, comparisons[id(best)], "differs" if strong else "weak_subject")
            return
    if other:
        agreeing = [c for _, c in other if comparisons[id(c)].same]
        pick = agreeing[0] if agreeing else other[0][1]
        _set(check_, pick, comparisons[id(pick)], "other_period")
    elif unknown:
        best = unknown[0][1]
        _set(check_, best, comparisons[id(best)], "no_period")


def _set(check_: _Check, cand: _Candidate, comparison: Comparison, outcome: Outcome) -> None:
    check_.candidate, check_.comparison, check_.outcome = cand, comparison, outcome


def _compare(claim: Figure, evidence: Figure) -> Comparison:
    """`compare`, reading an accounting negative "(1,577)" as the amount when the claim is positive.

    Tables put outflows in parentheses ("Purchases of PP&E (1,577)"); a claim that 3M spent
    $1.58 billion on PP&E states the amount, not its sign.
    """
    if evidence.value < 0 and claim.value > 0 and "(" in evidence.text:
        flipped = replace(
            evidence,
            value=-evidence.value,
            low=None if evidence.high is None else -evidence.high,
            high=None if evidence.low is None else -evidence.low,
        )
        return compare(claim, flipped)
    return compare(claim, evidence)


def _location(doc: dict[str, Any], offset: int) -> str:
    pages = doc.get("page_starts") or []
    if pages:
        return f"page {bisect.bisect_right(pages, offset)}"
    paragraphs = doc.get("paragraph_starts") or []
    return f"paragraph {bisect.bisect_right(paragraphs, offset)}" if paragraphs else ""


def _evidence(index: ReportIndex, c: _Check) -> Evidence:
    assert c.candidate is not None
    cand = c.candidate
    doc = index.document_cached(cand.doc_id)
    start, end = cand.span
    return Evidence(
        quote=doc["text"][start:end],
        doc_id=cand.doc_id,
        title=doc["title"] or cand.doc_id,
        location=_location(doc, start),
        start=start,
        end=end,
        figure=cand.figure,
        claim_figure=c.claim_figure,
        comparison=c.comparison,
        outcome=c.outcome or "no_period",
        subject=cand.subject if cand.subject != doc["text"][start:end] else "",
        period=format_value(cand.period) if cand.period is not None else "",
        claim_subject=c.claim_subject,
        claim_period=format_value(c.claim_period) if c.claim_period is not None else "",
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


def _for(period: Figure | None) -> str:
    if period is None:
        return ""
    joiner = " " if period.qualifier in ("lower_bound", "upper_bound") else " for "
    return joiner + format_value(period)


def explain_check(check_: _Check, evidence: Evidence) -> str:
    """One or two sentences for one compared figure: the quote, the citation, both figures."""
    assert check_.candidate is not None and check_.comparison is not None
    cand, comparison, claim_fig = check_.candidate, check_.comparison, check_.claim_figure
    cite = f"“{evidence.quote}” ({evidence.title}, {evidence.location})".replace(", )", ")")
    said = format_value(cand.figure)
    about = f" for {cand.subject}" if evidence.subject else ""
    period = _for(cand.period) if cand.figure.kind not in TIME_KINDS else ""
    claimed = format_value(claim_fig)
    claim_about = f" for {check_.claim_subject}" if check_.claim_subject else ""
    claim_period = _for(check_.claim_period)
    if check_.outcome == "agrees":
        tail = _AGREEMENT.get(comparison.rule, "which agrees")
        if comparison.rule == "rounding" and abs(claim_fig.value) == abs(cand.figure.value):
            tail = "the same figure"
        return (
            f"{cite}. The report says {said}{about}{period}; the claim says {claimed}"
            f"{claim_about}{claim_period}, {tail}."
        )
    if check_.outcome == "other_period":
        return (
            f"{cite}. The report gives {said}{about}{period}; the claim says {claimed}"
            f"{claim_about}{claim_period}, a period the report gives no figure for here, "
            "so it is neither supported nor contradicted."
        )
    if check_.outcome == "unaddressed":
        words = ", ".join(f"“{w}”" for w in check_.unaddressed)
        return (
            f"{cite}. The nearest figure the report gives is {said}{about}{period}; the claim "
            f"says {claimed}{claim_about}{claim_period}, but the reports never mention {words}, "
            "so they do not address it."
        )
    if check_.outcome == "weak_subject":
        return (
            f"{cite}. The closest figure the report gives is {said}{about}{period}; the claim "
            f"says {claimed}{claim_about}{claim_period}, but the two may not measure the same "
            "thing, so it is neither supported nor contradicted."
        )
    if check_.outcome == "no_period":
        return (
            f"{cite}. The report gives {said}{about} without saying for what period; the claim "
            f"says {claimed}{claim_period}."
        )
    if claim_fig.kind in TIME_KINDS:
        return f"{cite}. The report says {said}; the claim says {claimed}."
    return (
        f"{cite}. The report says {said}{about}{period}; the claim says {claimed}"
        f"{claim_about}{claim_period}, {_difference(comparison)}."
    )


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
    parts = []
    missing = [c for c in checks if c.candidate is None]
    for c in missing:
        if c.unaddressed:
            words = ", ".join(f"“{w}”" for w in c.unaddressed)
            parts.append(
                f"The reports never mention {words}, so they do not address "
                f"{format_value(c.claim_figure)}{_for(c.claim_period)}."
            )
    plain = [c for c in missing if not c.unaddressed]
    if plain:
        parts.append(
            "The reports do not give a comparable figure for "
            + " or ".join(
                f"{format_value(c.claim_figure)}"
                + (f" ({c.claim_subject}{_for(c.claim_period)})" if c.claim_subject else "")
                for c in plain
            )
            + "."
        )
    found = [c for c in checks if c.candidate is not None]
    if found:
        parts.append(explain_check(found[0], by_figure[found[0].claim_figure]))
    return " ".join(parts)


# --------------------------------------------------------------------------------------------
# Listing


def list_figures(index: ReportIndex, doc_id: str | None = None) -> list[dict[str, Any]]:
    """Every figure in one report (or all reports), in reading order, read as `check` reads it.

    Each row has the figure's fields (table cells scaled by the table's stated scale), its
    document offsets, the sentence or table row it stands in, and what it is about: `subject`
    (the row label, for table cells), `period` (the column's, or the sentence's), `scale`, and
    `display`, the figure written for people.
    """
    docs = (
        [index.document(doc_id)]
        if doc_id is not None
        else [index.document(d["id"]) for d in index.documents()]
    )
    rows: list[dict[str, Any]] = []
    for doc in sorted(docs, key=lambda d: d["id"]):
        rows += _document_figures(index, doc)
    return rows


def _document_figures(index: ReportIndex, doc: dict[str, Any]) -> list[dict[str, Any]]:
    text = doc["text"]
    chunks = index.chunk_starts(doc["id"])
    starts = [c[1] for c in chunks]

    def row(fig: Figure, span: tuple[int, int], **about: Any) -> dict[str, Any]:
        k = bisect.bisect_right(starts, fig.start) - 1
        out = fig.to_dict()
        out.update(doc_id=doc["id"], chunk_id=chunks[k][0] if k >= 0 else None)
        out.update(sentence=text[span[0] : span[1]], subject="", period="", scale=1.0)
        out["display"] = format_value(fig)  # "USD -1.577 billion", for people
        out.update(about)
        return out

    rows = []
    for a, b in _line_spans(text, 0, len(text)):
        cells = read_row(text, a, b, _page_start(doc, a))
        if cells:
            for cell in cells:
                period = format_value(cell.period) if cell.period is not None else ""
                rows.append(
                    row(cell.figure, (a, b), subject=cell.label, period=period, scale=cell.scale)
                )
            continue
        for s, e in sentence_spans(text, a, b):
            figures = parse_figures(text[s:e])
            times = [f for f in figures if f.kind in TIME_KINDS]
            for fig in figures:
                fig = replace(fig, start=s + fig.start, end=s + fig.end)
                near = min(times, key=lambda t: abs(t.start + s - fig.start), default=None)
                period = ""
                if fig.kind not in TIME_KINDS and near is not None:
                    period = format_value(near)
                rows.append(row(fig, (s, e), period=period))
    return rows
