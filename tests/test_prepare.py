"""bot.prepare: a document made ready for the index, without an index."""

from __future__ import annotations

from bot.models import DocumentMeta, RawDocument
from bot.prepare import document_identity, prepare

ARTICLE = (
    "Exports of services\n\n"
    "Knowledge-based service exports reached USD $9.685 billion between July 2024 and June 2025, "
    "a growth of 20.8%. " * 3
)


def raw(text: str, fmt: str = "text", pages: list[str] | None = None) -> RawDocument:
    return RawDocument(source="mem://a", format=fmt, pages=pages or [text], content_hash="h")


def test_chunks_are_exact_spans_of_the_cleaned_text_with_their_figures() -> None:
    ready = prepare(raw(ARTICLE), DocumentMeta())
    assert ready.title == "Exports of services"  # the first line, when the source names none
    assert ready.chunks
    text = ready.clean.text
    for chunk in ready.chunks:
        row = chunk.row
        assert text[row["start"] : row["end"]] == row["text"]
        assert chunk.prefix == ""  # short articles embed their text alone
        for fig in chunk.figures:
            assert text[fig["start"] : fig["end"]] == fig["text"]
    values = {f["value"] for c in ready.chunks for f in c.figures}
    assert 9.685e9 in values and 20.8 in values


def test_a_paginated_report_embeds_its_identity_and_keeps_pages() -> None:
    pages = ["Annual report 2024\n\nRevenue grew 12% in 2024.", "Costs fell 3% in 2024. " * 60]
    meta = DocumentMeta(title="Annual report 2024", publisher="Acme")
    ready = prepare(raw("", "pdf", pages), meta)
    assert ready.chunks[0].row["page"] == 1
    identity = document_identity(meta)
    assert identity
    for (
        chunk
    ) in ready.chunks:  # the identity opens the prefix, unless the chunk opens with the title
        opens_with_title = chunk.row["text"].startswith(meta.title)
        assert (identity in chunk.prefix) != opens_with_title


def test_a_document_with_no_text_left_has_no_chunks() -> None:
    ready = prepare(raw("   \n\n  "), DocumentMeta())
    assert ready.title == "" and ready.chunks == []
