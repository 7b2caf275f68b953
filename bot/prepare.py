"""Preparing a document for the index: cleaned text, chunks with their embedded context and
figures, and the encoder that turns chunks into vectors. Pure functions of the document, so
an ingest can run them in-process or on a Ray cluster (`bot.cluster`) and store the result the
same way (`bot.ingest`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from bot import loaders
from bot.chunking import chunk_text
from bot.cleaning import CleanText, clean_pages
from bot.embedding import Embedder, encode_with_spans
from bot.embedding.base import Spans
from bot.figures import figure_rows
from bot.models import DocumentMeta, RawDocument

EMBED_BATCH = 64
EMBED_SLICE = 4096  # texts encoded per call (their sentence vectors are written after each)


@dataclass(frozen=True)
class PreparedChunk:
    """One chunk before it is stored: its row (every column but `doc_id`), the prefix embedded
    before it, and its figure rows (every column but `chunk_id` and `doc_id`)."""

    row: dict[str, Any]
    prefix: str
    figures: list[dict[str, Any]]


@dataclass(frozen=True)
class Prepared:
    """A document cleaned, chunked and its figures read: all the work on it that needs no index.

    `meta` is the citation metadata it was prepared with (the source's, merged with an override);
    `title` is empty when no text was left after cleaning.
    """

    raw: RawDocument
    meta: DocumentMeta
    clean: CleanText
    title: str
    chunks: list[PreparedChunk]


def prepare(raw: RawDocument, meta: DocumentMeta) -> Prepared:
    """Clean, chunk and read the figures of one document (in this process or on a Ray worker)."""
    clean = clean_pages(raw.pages, reflow=raw.format == "pdf")
    if not clean.text.strip():
        return Prepared(raw, meta, clean, "", [])
    title = meta.title or loaders.first_line(clean.text)
    return Prepared(raw, meta, clean, title, list(_chunks(raw, replace(meta, title=title), clean)))


def _chunks(raw: RawDocument, meta: DocumentMeta, clean: CleanText) -> Iterator[PreparedChunk]:
    pages = clean.page_starts if raw.format == "pdf" else None
    # Long paginated reports (PDF) get each chunk's context embedded and indexed with it:
    # their chunks rarely name the filing, section or table they belong to. Short articles
    # (text, HTML, DOCX) do not: on the seed questions, the prefix diluted their chunks.
    identity = document_identity(meta) if raw.format == "pdf" else ""
    for ordinal, span in enumerate(chunk_text(clean.text, pages)):
        text = clean.text[span.start : span.end]
        context = (
            chunk_context(_below_title(span.section, meta.title), span.header)
            if raw.format == "pdf"
            else ""
        )
        # The identity opens the prefix, unless the chunk opens with the title itself.
        shown = identity if identity and not text.startswith(meta.title) else ""
        prefix = f"{shown}\n{context}" if shown else context
        row = {
            "ordinal": ordinal,
            "text": text,
            "start": span.start,
            "end": span.end,
            "paragraph": span.paragraph,
            "page": span.page,
            "text_hash": hashlib.sha256((prefix + text).encode()).hexdigest(),
            "section": span.section,
            "header": span.header,
            "context": context,
        }
        yield PreparedChunk(row, prefix, figure_rows(text, span.start))


def encode_slices(
    embedder: Embedder,
    texts: list[str],
    spans: list[Spans],
    *,
    batch_size: int = EMBED_BATCH,
    progress: Callable[[int], None] | None = None,
) -> Iterator[tuple[list[int], np.ndarray, list[np.ndarray | None]]]:
    """The in-process `Encoder`: texts sorted by length once (batches of similar length pad
    least), encoded in slices of EMBED_SLICE so the sentence vectors of a big ingest never sit
    in memory at once."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for start in range(0, len(order), EMBED_SLICE):
        part = order[start : start + EMBED_SLICE]
        report = (lambda d, _t, s=start: progress(s + d)) if progress else None
        vecs, span_vectors = encode_with_spans(
            embedder,
            [texts[i] for i in part],
            [spans[i] for i in part],
            batch_size=batch_size,
            progress=report,
        )
        yield part, vecs, span_vectors


def document_identity(meta: DocumentMeta) -> str:
    """What identifies a document, embedded before each of its chunks: title, publisher, date.

    Embedded only, not indexed for FTS: a word in every chunk of a document would lose its
    weight for BM25 (and for the answers' coverage of rare words) across the whole index.
    """
    parts = [meta.title]
    if meta.publisher and meta.publisher.lower() not in meta.title.lower():
        parts.append(meta.publisher)
    if meta.date and meta.date[:4] not in meta.title:
        parts.append(meta.date)
    return " · ".join(p for p in parts if p)


def chunk_context(section: str, header: str) -> str:
    """A chunk's context, stored, embedded and indexed with it: its section path and, for a
    table chunk, the table's caption and header rows. Ends with a newline when not empty."""
    text = "\n".join(line for line in (section, header) if line)
    return text + "\n" if text else ""


def _below_title(section: str, title: str) -> str:
    """A section path without the document's own title at its head (it is the identity)."""
    head, _, rest = section.partition(" > ")
    return rest if title and head == " ".join(title.split()) else section
