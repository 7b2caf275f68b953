"""Fact-checking claims about the two corpus reports (fake embedder index)."""

from __future__ import annotations

import pytest

from bot.errors import DocumentNotFound, InvalidQuestion
from bot.factcheck import check, list_figures

ARGENCON = "argencon-mission-to-the-united-states"
TECHLOY = "techloy-argentina-wants-to-be-an-ai-hub"

# (expected verdict, claim). True claims are written in other notations than the reports;
# altered ones change a figure, a period or a bound; the rest are things the reports never say.
CLAIMS = [
    # USD $9.685 billion between July 2024 and June 2025, growth 20.8%
    ("supported", "Knowledge-based service exports reached $9.7bn between July 2024 and June 2025."),
    ("supported", "Exports of knowledge-based services hit nearly 10 billion dollars in the year to June 2025."),
    ("supported", "Knowledge-based service exports reached US$ 9.685 millones between July 2024 and June 2025."),
    ("supported", "Knowledge exports reached USD 9,685 million between July 2024 and June 2025."),
    ("contradicted", "Knowledge-based service exports reached $12 billion between July 2024 and June 2025."),
    ("supported", "Exports of knowledge-based services grew 21% year on year."),
    ("supported", "The year-on-year growth of knowledge-based service exports was 20,8%."),
    ("contradicted", "Exports of knowledge-based services grew 35% year on year."),
    # USD $30 billion goal; triple
    ("supported", "Argencon aims to reach USD 30 billion in sector exports."),
    ("contradicted", "Argencon's goal is to reach $50 billion in sector exports."),
    ("supported", "The sector plans to triple exports of knowledge-based services."),
    ("contradicted", "The sector plans to double exports of knowledge-based services."),
    # more than 50 centres, over 65,000 professionals
    ("supported", "There are more than 50 global service centers in Argentina."),
    ("supported", "Global service centers in Argentina employ over 65,000 professionals."),
    ("contradicted", "Global service centers in Argentina employ over 90,000 professionals."),
    # more than 52,000 jobs since 2023, over 4,000 positions
    ("supported", "More than 52,000 public sector jobs have been eliminated since 2023."),
    ("supported", "More than fifty thousand public sector jobs have been eliminated since 2023."),
    ("contradicted", "About 20,000 public sector jobs have been eliminated since 2023."),
    ("contradicted", "Fewer than 40,000 public sector jobs have been eliminated since 2023."),
    # The right figure for another period is not a contradiction (issue 12): not_found, said so
    ("not_found", "More than 52,000 public sector jobs have been eliminated since 2020."),
    ("supported", "Over four thousand scientific research positions were cut."),
    ("not_found", "Over 4,000 scientific research positions were eliminated in 2021."),
    # GPUs: roughly 20, about 400, more than 13,000
    ("supported", "A leading AI lab in Córdoba runs its research cluster on about twenty A100-level GPUs."),
    ("contradicted", "A leading AI lab in Córdoba runs its research cluster on 200 GPUs."),
    ("supported", "Brazil's national system runs on four hundred GPUs."),
    ("supported", "Brazil's national HPC system runs on roughly 400 GPUs."),
    ("contradicted", "Brazil's national system runs on about 4,000 GPUs."),
    ("supported", "Italy's Leonardo supercomputer operates with more than 13,000 GPUs."),
    ("contradicted", "Italy's Leonardo supercomputer operates with about 1,300 GPUs."),
    # 27%; $14 million in Q2 2025 = 0.02% of $42 billion
    ("supported", "Only 27 per cent of Indian scientists who emigrate return."),
    ("contradicted", "Half of Indian scientists who emigrate return, about 50%."),
    ("supported", "African AI startups raised $14 million in Q2 2025."),
    ("supported", "AI startups across Africa raised only $14m in 2Q25."),
    ("contradicted", "African AI startups raised $140 million in the second quarter of 2025."),
    ("not_found", "African AI startups raised $14 million in Q3 2025."),
    ("supported", "African AI startups' funding was equal to 0.02% of global AI investment."),
    ("supported", "Global AI investment was $42bn."),
    ("contradicted", "Global AI investment reached $42 billion, of which African AI startups got 2%."),
    # $500 million; ten times higher
    ("supported", "Salesforce pledged half a billion dollars of investment."),
    ("contradicted", "Salesforce pledged a $5 billion investment."),
    ("supported", "Salaries abroad can be 10x higher."),
    ("supported", "Researchers abroad can earn salaries ten times higher."),
    ("contradicted", "Salaries abroad can be three times higher."),
    # not addressed by the reports
    ("not_found", "Argentina has 3 million software developers."),
    ("not_found", "Argentina's inflation fell to 2.5% in 2025."),
    ("not_found", "The mission met 40 investors in New York."),
    ("not_found", "Chile's AI startups raised $80 million in 2024."),
    ("not_found", "Globant employs 30,000 people."),
    ("not_found", "Argentina has 120 data centers."),
    ("not_found", "Mexico attracted $3 billion in AI investment in 2024."),
    ("not_found", "Unemployment in Argentina reached 7.6%."),
    ("not_found", "The Córdoba lab received a $2 million grant."),
    # issue 12's three examples
    ("not_found", "Argentina's lithium exports reached $2 billion last year."),
    ("supported", "Argencon says more than 50 global service centers in Argentina employ over 65,000 people."),
    ("contradicted", "Global service centers in Argentina employ 150,000 people."),
]  # fmt: skip

# Known failures, kept so that the accuracy figure stays honest. The last two paraphrase the
# figure's context ("mission lasted" vs "Over four days, the group held meetings") with no
# shared words, so nothing passes the subject threshold.
KNOWN_FAILURES = [
    # The goal "Path towards USD $30 Billion in Exports" matches the claim as well as the actual
    # figure (USD 9.685 billion) does, and agrees: nothing in the words says one is a target.
    ("contradicted", "Argentina's knowledge-based service exports total USD 30 billion a year."),
    ("supported", "The delegation's mission lasted four days."),
    ("contradicted", "The delegation's mission lasted two weeks."),
]


@pytest.mark.parametrize(("expected", "claim"), CLAIMS, ids=[c for _, c in CLAIMS])
def test_claim_verdicts(corpus_index, expected: str, claim: str) -> None:
    verdict = check(corpus_index, claim)
    assert verdict.verdict == expected, verdict.explanation


@pytest.mark.parametrize(("expected", "claim"), KNOWN_FAILURES)
@pytest.mark.xfail(strict=True, reason="paraphrased context; see KNOWN_FAILURES")
def test_known_failures(corpus_index, expected: str, claim: str) -> None:
    assert check(corpus_index, claim).verdict == expected


def test_every_verdict_quotes_verbatim_evidence(corpus_index) -> None:
    for _, claim in CLAIMS:
        verdict = check(corpus_index, claim)
        if verdict.verdict != "not_found":
            assert verdict.evidence, claim
        for ev in verdict.evidence:
            text = corpus_index.document(ev.doc_id)["text"]
            assert text[ev.start : ev.end] == ev.quote
            fig = ev.figure
            assert text[fig.start : fig.end] == fig.text
            assert ev.start <= fig.start < fig.end <= ev.end
            assert ev.title and ev.location.startswith(("paragraph", "page"))


def test_json_shape_and_explanation(corpus_index) -> None:
    claim = "Knowledge-based service exports reached $12 billion between July 2024 and June 2025."
    data = check(corpus_index, claim).to_dict()
    assert set(data) == {"claim", "verdict", "claim_figures", "evidence", "explanation"}
    assert set(data["evidence"][0]) >= {"quote", "doc_id", "title", "location", "start", "end"}
    assert data["evidence"][0]["doc_id"] == ARGENCON
    assert [f["text"] for f in data["claim_figures"]] == [
        "$12 billion",
        "between July 2024 and June 2025",
    ]
    explanation = data["explanation"]
    for part in ("USD 9.685 billion", "July 2024 – June 2025", "USD 12 billion", "24% higher"):
        assert part in explanation
    assert data["evidence"][0]["quote"] in explanation


def test_claim_without_figures_is_not_found(corpus_index) -> None:
    verdict = check(corpus_index, "Argentina wants to be an AI hub.")
    assert verdict.verdict == "not_found" and not verdict.evidence
    with pytest.raises(InvalidQuestion):
        check(corpus_index, "   ")


def test_list_figures_per_document(corpus_index) -> None:
    rows = list_figures(corpus_index, TECHLOY)
    text = corpus_index.document(TECHLOY)["text"]
    assert {r["doc_id"] for r in rows} == {TECHLOY}
    for row in rows:
        assert text[row["start"] : row["end"]] == row["text"]
        assert row["text"] in row["sentence"]
    texts = [r["text"] for r in rows]
    for expected in ("$500 million", "More than 52,000", "about 400", "0.02%", "ten times"):
        assert expected in texts
    assert [r["start"] for r in rows] == sorted(r["start"] for r in rows)
    everything = list_figures(corpus_index)
    assert {r["doc_id"] for r in everything} == {ARGENCON, TECHLOY}
    with pytest.raises(DocumentNotFound):
        list_figures(corpus_index, "no-such-report")
