"""A verdict's evidence and its plain-language explanation: the quote, the citation, both figures."""

from __future__ import annotations

import bisect
import math
from typing import Any

from bot.factcheck.matching import FigureCheck
from bot.figures import TIME_KINDS, Comparison, Figure, format_value
from bot.index import ReportIndex
from bot.models import Evidence, VerdictKind


def location_of(doc: dict[str, Any], offset: int) -> str:
    pages = doc.get("page_starts") or []
    if pages:
        return f"page {bisect.bisect_right(pages, offset)}"
    paragraphs = doc.get("paragraph_starts") or []
    return f"paragraph {bisect.bisect_right(paragraphs, offset)}" if paragraphs else ""


def to_evidence(index: ReportIndex, c: FigureCheck) -> Evidence:
    assert c.candidate is not None
    cand = c.candidate
    doc = index.document_cached(cand.doc_id)
    start, end = cand.span
    return Evidence(
        quote=doc["text"][start:end],
        doc_id=cand.doc_id,
        title=doc["title"] or cand.doc_id,
        location=location_of(doc, start),
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


def explain_check(check_: FigureCheck, evidence: Evidence) -> str:
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
    if check_.outcome == "conflicting" and check_.agreeing is not None:
        also = format_value(check_.agreeing.figure)
        return (
            f"{cite}. The report says {said}{about}{period}, but it also says “"
            f"{check_.agreeing_quote}”, {also}; the claim says {claimed}{claim_about}"
            f"{claim_period}, which agrees with the second, so it is neither supported nor "
            "contradicted."
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


def explain(verdict: VerdictKind, checks: list[FigureCheck], evidence: list[Evidence]) -> str:
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
