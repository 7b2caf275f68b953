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

Modules: `subject` (how words are read), `candidates` (evidence figures from the retrieved
passages), `matching` (pairing and deciding), `explain` (evidence and explanations), `listing`
(`list_figures`).

A claim is `contradicted` if any of its figures is, `supported` if all are; else `not_found`.
Every verdict that quotes carries the quoted sentence or row, and `quote ==
document_text[start:end]` for each piece of evidence. Explanations name the subject and period
on both sides.
"""

from __future__ import annotations

from bot.answering import MAX_QUESTION_CHARS, prepare_question
from bot.factcheck.candidates import gather_candidates, named_documents
from bot.factcheck.explain import explain, to_evidence
from bot.factcheck.listing import list_figures
from bot.factcheck.matching import match_figures
from bot.factcheck.subject import claim_names, collection_names, document_words, mentions_name
from bot.figures import TIME_KINDS, parse_figures
from bot.index import ReportIndex
from bot.models import SearchFilter, Verdict, VerdictKind

__all__ = ["check", "list_figures"]


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
    names = claim_names(text, figures, collection_names(index))
    candidates = gather_candidates(index, text, figures, named_documents(index, names, filters))
    candidates = [
        c
        for c in candidates
        if all(mentions_name(document_words(index, c.doc_id), n) for n in names)
    ]
    checks = match_figures(
        index, text, targets, claim_times if quantities else [], figures, candidates
    )
    statuses = [c.status for c in checks]
    if "contradicted" in statuses:
        verdict: VerdictKind = "contradicted"
    elif statuses and all(s == "supported" for s in statuses):
        verdict = "supported"
    else:
        verdict = "not_found"
    evidence = [to_evidence(index, c) for c in checks if c.candidate is not None]
    return Verdict(
        claim=text,
        verdict=verdict,
        claim_figures=figures,
        evidence=evidence,
        explanation=explain(verdict, checks, evidence),
    )
