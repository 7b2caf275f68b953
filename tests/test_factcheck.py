"""Fact-checking claims about the two corpus reports (fake embedder index)."""

from __future__ import annotations

from pathlib import Path

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
    # "AI startups across the continent raised only $14 million": "African" is only in the
    # sentences before, so the subject match is too loose for a contradiction (weak_subject).
    ("contradicted", "African AI startups raised $140 million in the second quarter of 2025."),
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


# ------------------------------------------------------------------------------------------
# A real 10-K: three pages of 3M's 2018 filing (cover, balance sheet, cash flows)

ROOT = Path(__file__).resolve().parents[1]
FILINGS = next(
    (
        p / "shared" / "eval" / "financebench" / "pdfs"
        for p in (ROOT.parent, ROOT.parent.parent)
        if (p / "shared" / "eval" / "financebench" / "pdfs").is_dir()
    ),
    None,
)


@pytest.fixture(scope="module")
def tenk_index(tmp_path_factory, hash_embedder):
    if FILINGS is None or not (FILINGS / "3M_2018_10K.pdf").exists():
        pytest.skip("the FinanceBench development filings (../shared/eval) are not here")
    import pypdfium2 as pdfium

    from bot.index import ReportIndex
    from bot.ingest import ingest

    folder = tmp_path_factory.mktemp("tenk")
    source = pdfium.PdfDocument(str(FILINGS / "3M_2018_10K.pdf"))
    pages = pdfium.PdfDocument.new()
    pages.import_pages(source, [0, 57, 59])
    pdf = folder / "3m-2018-10k.pdf"
    pages.save(str(pdf))
    index_dir = folder / "index"
    report = ingest(index_dir, [pdf], embedder=hash_embedder)
    assert not report.failed, report.failed
    return ReportIndex.open(index_dir, hash_embedder)


def test_figures_of_a_real_10k_have_sign_scale_and_period(tenk_index) -> None:
    rows = list_figures(tenk_index)
    texts = [r["text"] for r in rows]
    assert not any(t.startswith("3M") or t == "3" for t in texts)  # "3M" is the company
    capex = [r for r in rows if r["subject"].startswith("Purchases of property, plant")]
    assert [(r["value"], r["unit"], r["period"]) for r in capex] == [
        (-1577e6, "USD", "2018"),
        (-1373e6, "USD", "2017"),
        (-1420e6, "USD", "2016"),
    ]
    cash = next(r for r in rows if r["subject"] == "Cash and cash equivalents")
    assert (cash["value"], cash["unit"], cash["period"]) == (2853e6, "USD", "2018")
    text = tenk_index.document(rows[0]["doc_id"])["text"]
    for r in rows:
        assert text[r["start"] : r["end"]] == r["text"]


def test_checks_on_a_real_10k(tenk_index) -> None:
    cases = [
        ("supported", "3M's purchases of property, plant and equipment were $1.58 billion in 2018."),
        ("contradicted", "3M's purchases of property, plant and equipment were $2.1 billion in 2018."),
        ("contradicted", "3M's purchases of property, plant and equipment were $1,577 million in 2017."),
        ("not_found", "3M's purchases of property, plant and equipment were $1,577 million in 2014."),
        ("not_found", "3M's lithium battery sales reached $2 billion in 2018."),
    ]  # fmt: skip
    for expected, claim in cases:
        verdict = check(tenk_index, claim)
        assert verdict.verdict == expected, (claim, verdict.explanation)
    verdict = check(tenk_index, cases[2][1])
    assert "2017" in verdict.explanation and "USD -1.373 billion" in verdict.explanation
    other = check(tenk_index, cases[3][1])
    assert other.evidence and other.evidence[0].outcome == "other_period"


# A small filing written for the safety rules below: a table with a stated scale, one subject
# given two figures for one period, and a word ("global") that starts like a company's name.
SAFETY_REPORT = """Acme Corp annual report for the fiscal year ended December 31, 2021

Consolidated balance sheet (Dollars in millions)

2021 2020
Current portion of long-term debt 43 158
Total assets 36,500 35,100

Acme's net revenue was $32.3 billion in 2021. Acme's net revenue, on a managed basis, was $33.1 billion in 2021.

Global demand for industrial widgets grew 12% in 2021. Acme employed 12,000 people at December 31, 2021.
"""


@pytest.fixture(scope="module")
def safety_index(tmp_path_factory, hash_embedder):
    from bot.index import ReportIndex
    from bot.ingest import ingest

    folder = tmp_path_factory.mktemp("safety")
    report = folder / "acme-2021.txt"
    report.write_text(SAFETY_REPORT, encoding="utf-8")
    ingest(folder / "index", [report], embedder=hash_embedder)
    return ReportIndex.open(folder / "index", hash_embedder)


@pytest.mark.parametrize(
    ("expected", "claim"),
    [
        ("contradicted", "Acme's total assets were $30 billion in 2021."),
        ("supported", "Acme's total assets were $36.5 billion in 2021."),
        # The row is about the current portion: it does not contradict a claim about all debt.
        ("not_found", "Acme's long-term debt was $5 billion in 2021."),
        ("contradicted", "Acme's net revenue was $40 billion in 2021."),
        # The report gives both 32.3 and, less plainly, 33.1: 33.1 is not contradicted.
        ("not_found", "Acme's net revenue was $33.1 billion in 2021."),
        # "Globant" is not "global": a company the report never names is not addressed.
        ("not_found", "Globant employed 20,000 people at December 31, 2021."),
        ("contradicted", "Acme employed 20,000 people at December 31, 2021."),
        # December 31, 2021 ends where January 2022 begins.
        ("not_found", "Acme employed 20,000 people in January 2022."),
    ],
)
def test_contradictions_need_the_same_subject_and_period(safety_index, expected, claim) -> None:
    verdict = check(safety_index, claim)
    assert verdict.verdict == expected, verdict.explanation


def test_conflicting_figures_are_both_quoted(safety_index) -> None:
    verdict = check(safety_index, "Acme's net revenue was $33.1 billion in 2021.")
    assert verdict.evidence[0].outcome == "conflicting"
    assert "$32.3 billion" in verdict.explanation and "$33.1 billion" in verdict.explanation


def test_a_word_counts_as_used_only_through_a_variant(safety_index) -> None:
    from bot.factcheck.subject import word_idf

    idf = word_idf(safety_index, ["globant", "globally", "widget", "revenues", "acme"])
    assert idf["globant"] == -1.0  # starts like "global", but is not a form of it
    assert all(idf[w] > 0 for w in ("globally", "widget", "revenues", "acme"))
