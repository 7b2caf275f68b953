"""The plain data the front ends render: links to a PDF's page, Document."""

from __future__ import annotations

from dataclasses import replace

from bot.models import Document
from tests.factories import make_passage


def test_a_pdf_citation_links_to_its_page():
    passage = make_passage(
        "A quote.", url="https://example.org/r/annual-report.pdf", page=12, format="pdf"
    )
    assert passage.link == "https://example.org/r/annual-report.pdf#page=12"
    assert passage.to_dict()["link"] == passage.link
    # An existing fragment is replaced, not stacked; a PDF known by its format alone links too.
    assert (
        replace(passage, url="https://e.org/get?id=9#top").link == "https://e.org/get?id=9#page=12"
    )


def test_other_citations_link_to_their_url_and_none_without_one():
    assert (
        make_passage("A quote.", url="https://example.org/story", page=None).link
        == "https://example.org/story"
    )
    assert make_passage(
        "A quote.", url="https://example.org/story.html", page=3, format="html"
    ).link == ("https://example.org/story.html")
    assert make_passage("A quote.", url="", page=4, format="pdf").link == ""


def test_document_to_dict_keeps_where_fields_came_from():
    doc = Document(
        id="3m",
        title="3M COMPANY, Form 10-K",
        publisher="3M COMPANY",
        author="",
        date="2018-12-31",
        url="",
        format="pdf",
        source="3M_2018_10K.pdf",
        ingested_at="2026-01-01T00:00:00+00:00",
        pages=160,
        chunks=1300,
        found={"publisher": "first page (registrant)"},
    )
    assert doc.to_dict()["found"] == {"publisher": "first page (registrant)"}
