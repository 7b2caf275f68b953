"""Pairing each claim figure with the evidence figure about the same subject, and the outcome.

The share of the claim's weighted subject words found near an evidence figure must reach
`MIN_SUBJECT`; the embedding similarity of the two subjects is a second signal among the best
candidates. `_decide` is the order of safety the package docstring describes: a contradiction
needs the same subject (`CONTRADICT_SUBJECT`) and the same period.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from bot.factcheck.candidates import Candidate
from bot.factcheck.subject import (
    OTHER_CLAUSE,
    clause_context,
    collection_names,
    content_stems,
    describe_subject,
    head_stem,
    is_change,
    name_spans,
    predicate_stems,
    word_idf,
)
from bot.figures import TIME_KINDS, Comparison, Figure, compare, unit_family
from bot.figures.tokens import detect_locale
from bot.index import ReportIndex
from bot.models import Outcome, VerdictKind
from bot.text import fold

MIN_SUBJECT = 0.45  # share of the claim's weighted subject words found near the evidence figure
HEAD_PENALTY = 0.15  # "40 investors" against "two countries": different nouns after the figure
PERIOD_BONUS = 0.25  # the evidence names a period that overlaps the claim's
SUBJECT_BAND = 0.12  # candidates this close to the best one are about the same subject
CONTRADICT_SUBJECT = 0.65  # a contradiction needs this much of the subject, not just a match
AGREE_BAND = 0.05  # an agreeing candidate this close to the best one of its period decides
EMBED_WEIGHT = 0.2  # weight of the subjects' embedding similarity
EMBED_TOP = 8  # candidates whose subjects are embedded, per claim figure
# A contradicting table row's label may say little the claim does not: this share of the
# label's words (weighted by rarity) must be the claim's ("Current portion of long-term debt"
# does not contradict a claim about long-term debt).
LABEL_COVERAGE = 0.7
LABEL_EXTRA_WEIGHT = 0.2  # ranking: a row label's words the claim lacks count against it


@dataclass
class FigureCheck:
    claim_figure: Figure
    claim_period: Figure | None
    claim_subject: str
    candidate: Candidate | None = None
    comparison: Comparison | None = None
    outcome: Outcome | None = None
    unaddressed: list[str] = field(default_factory=list)  # claim words the reports never use
    agreeing: Candidate | None = None  # `conflicting`: the other figure, which agrees
    agreeing_quote: str = ""  # and its sentence or row, as the report words it

    @property
    def status(self) -> VerdictKind:
        if self.outcome == "agrees":
            return "supported"
        if self.outcome == "differs":
            return "contradicted"
        return "not_found"


def match_figures(
    index: ReportIndex,
    claim: str,
    targets: list[Figure],
    claim_times: list[Figure],
    figures: list[Figure],
    candidates: list[Candidate],
) -> list[FigureCheck]:
    """Pair each claim figure with the evidence figure about the same subject, safest first."""
    lang = detect_locale(claim)
    words = content_stems(claim, lang)
    spans = [(f.start, f.end) for f in figures]
    names = name_spans(claim, figures, collection_names(index))
    folded = {s: fold(claim[a:b]) for s, a, b in words}
    idf = word_idf(index, sorted(set(folded.values())))
    checks: list[FigureCheck] = []
    used: set[int] = set()
    for target in targets:
        period = _claim_period(target, claim_times)
        check_ = FigureCheck(target, period, describe_subject(claim, target, figures))
        checks.append(check_)
        context = clause_context(claim, words, target, spans + names)
        never = {s for s in context if idf.get(folded[s], 0) < 0}
        # A word the reports never use as the figure's predicate is worded otherwise ("got 2%",
        # "were cut"); anywhere else in its clause ("lithium exports reached") it says the claim
        # is about something the reports do not cover: never contradicted.
        predicate = never & predicate_stems(words, target, spans + names, claim)
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
        head = head_stem(claim, target.end, lang)
        claim_stems = {s for s, _, _ in words}
        scored: list[tuple[float, int]] = []
        for ci, cand in enumerate(candidates):
            if ci in used or unit_family(cand.figure) != unit_family(target):
                continue
            score = sum(w * min(1.0, cand.context.get(s, 0.0)) for s, w in weights.items()) / total
            if (head and cand.head and head != cand.head) or (
                is_change(cand.head) and not is_change(head)  # "a $311.5 million increase"
            ):
                score -= HEAD_PENALTY
            if score < MIN_SUBJECT:
                continue
            cand.subject_score = score
            if cand.in_table:  # of two rows with the claim's words, the one that says no more
                score -= LABEL_EXTRA_WEIGHT * (1 - _label_share(cand, claim_stems))
            if period is not None and cand.period is not None and compare(period, cand.period).same:
                score += PERIOD_BONUS
            scored.append((score - 0.002 * cand.rank, ci))  # ties go to the better-ranked passage
        if not scored:
            continue
        scored.sort(key=lambda x: -x[0])
        scored = _rerank_by_embedding(index, check_.claim_subject, scored, candidates)
        best = scored[0][0]
        tier: list[tuple[float, Candidate]] = []
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
        if check_.outcome == "differs":
            ranked = [candidates[ci] for _, ci in scored]
            if not _guard_contradiction(index, check_, ranked, words, head):
                _next_contradiction(index, check_, tier, ranked, words, head)
        if check_.candidate is not None:
            used.add(candidates.index(check_.candidate))
    return checks


def _claim_period(target: Figure, claim_times: list[Figure]) -> Figure | None:
    """The claim's period for a figure: its nearest time figure."""
    if not claim_times or target.kind in TIME_KINDS:
        return None
    return min(claim_times, key=lambda t: abs(t.start - target.start))


def _rerank_by_embedding(
    index: ReportIndex,
    subject: str,
    scored: list[tuple[float, int]],
    candidates: list[Candidate],
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


def _decide(check_: FigureCheck, tier: list[tuple[float, Candidate]]) -> None:
    """The outcome for one claim figure among candidates about the same subject (best first).

    A claim with no period is compared with what the report states, whatever its period; an
    agreeing candidate counts only if it is as good a match as the best one (`AGREE_BAND`),
    so a goal ("path towards USD 30 billion") does not confirm a claim about actual exports
    that a better-matched sentence contradicts.
    """
    target, period = check_.claim_figure, check_.claim_period
    same: list[tuple[float, Candidate]] = []
    unknown: list[tuple[float, Candidate]] = []
    other: list[tuple[float, Candidate]] = []
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


def _guard_contradiction(
    index: ReportIndex,
    check_: FigureCheck,
    ranked: list[Candidate],
    claim_words: list[tuple[str, int, int]],
    claim_head: str | None,
) -> bool:
    """Keep a contradiction only if nothing weakens it: the report's figure is a level when the
    claim's is ("a $311.5 million increase" is not an expense), a table row's label says no more
    than the claim (`LABEL_COVERAGE`), and no other figure the reports give for the subject, for
    the same period or one not stated, agrees with the claim (then the reports give both:
    `conflicting`). False when the candidate's subject is what weakened it (`weak_subject`)."""
    cand = check_.candidate
    assert cand is not None
    weak = is_change(cand.head) and not is_change(claim_head)
    if weak or (
        cand.in_table and _label_coverage(index, cand.subject, claim_words) < LABEL_COVERAGE
    ):
        check_.outcome = "weak_subject"
        return False
    period = check_.claim_period
    for other in ranked:
        if other is cand or other.subject_score < CONTRADICT_SUBJECT:
            continue
        if not other.in_table and (other.doc_id, other.span) == (cand.doc_id, cand.span):
            continue  # another figure of the same sentence measures something else
        if (
            period is not None
            and other.period is not None
            and not compare(period, other.period).same
        ):
            continue
        if _compare(check_.claim_figure, other.figure).same:
            check_.outcome, check_.agreeing = "conflicting", other
            text = index.document_cached(other.doc_id)["text"]
            check_.agreeing_quote = text[other.span[0] : other.span[1]]
            return True
    return True


def _next_contradiction(
    index: ReportIndex,
    check_: FigureCheck,
    tier: list[tuple[float, Candidate]],
    ranked: list[Candidate],
    claim_words: list[tuple[str, int, int]],
    claim_head: str | None,
) -> None:
    """After the best candidate's contradiction was weakened, the next one of the same subject
    and period that differs and survives `_guard_contradiction` stands instead: of "Net income
    attributable to MGM Resorts International" and "Net income", both for 2018, the second is
    the claim's "net income"."""
    weakened = check_.candidate, check_.comparison
    period = check_.claim_period
    for _, cand in tier:
        if cand is weakened[0] or cand.subject_score < CONTRADICT_SUBJECT:
            continue
        if period is None:
            if cand.period is not None or not cand.aligned:
                continue
        elif cand.period is None or not compare(period, cand.period).same:
            continue
        comparison = _compare(check_.claim_figure, cand.figure)
        if comparison.same:
            break  # a figure of the subject and period agrees: never contradicted
        _set(check_, cand, comparison, "differs")
        if _guard_contradiction(index, check_, ranked, claim_words, claim_head):
            return
    check_.candidate, check_.comparison = weakened
    check_.outcome = "weak_subject"


def _label_share(cand: Candidate, claim_stems: set[str]) -> float:
    """The share of a table row label's words that the claim has (unweighted: for ranking)."""
    label = [s for s, w in cand.context.items() if w >= 1.0]
    return sum(s in claim_stems for s in label) / len(label) if label else 1.0


def _label_coverage(
    index: ReportIndex, label: str, claim_words: list[tuple[str, int, int]]
) -> float:
    """The share of a row label's content words, weighted by their rarity, that the claim has."""
    lang = detect_locale(label)
    words = content_stems(label, lang)
    if not words:
        return 1.0
    claim_stems = {s for s, _, _ in claim_words}
    folded = [fold(label[a:b]) for _, a, b in words]
    idf = word_idf(index, sorted(set(folded)))
    weights = [(s, max(idf[w], 0.0)) for (s, _, _), w in zip(words, folded, strict=True)]
    total = sum(w for _, w in weights)
    if total == 0:
        return 1.0
    return sum(w for s, w in weights if s in claim_stems) / total


def _set(check_: FigureCheck, cand: Candidate, comparison: Comparison, outcome: Outcome) -> None:
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
