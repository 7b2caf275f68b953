"""Paragraph- and sentence-aware chunking with exact character offsets.

all-MiniLM-L6-v2 was trained on inputs of up to 128 word pieces and truncates at 256, so a chunk
is at most `max_words` words (about 1.3 word pieces each). A paragraph that fits is one chunk; a
longer one is split between sentences (a single overlong sentence between words). Short
paragraphs (headings) are merged forward into the next one on the same page, so a heading
travels with the text it introduces, and the items of a list stay together while they fit.
Every chunk is `text[start:end]` exactly.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from bot.text import sentence_spans

CHUNKING_VERSION = 2  # recorded in the index metadata: bump when the rules change
MAX_WORDS = 100
MIN_WORDS = 40

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_WORD = re.compile(r"\S+")
_SENTENCE_END = re.compile(r"[.!?:;…\"”’)]\s*$")
_LIST_ITEM = re.compile(r"\s*(?:[•●▪◦‣∙*-]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s")


@dataclass(frozen=True)
class ChunkSpan:
    start: int
    end: int
    paragraph: int  # 1-based number of the paragraph the chunk starts in
    page: int | None  # 1-based page, for paginated documents


def paragraph_starts(text: str) -> list[int]:
    """Start offsets of the paragraphs (blank-line separated) of a cleaned text."""
    return [s for s, _ in _paragraph_spans(text)]


def chunk_text(
    text: str,
    page_starts: list[int] | None = None,
    *,
    max_words: int = MAX_WORDS,
    min_words: int = MIN_WORDS,
) -> list[ChunkSpan]:
    """Split a cleaned document into chunks that never cross a page boundary."""
    units: list[tuple[int, int, int, int | None]] = []  # start, end, paragraph, page
    for number, (p_start, p_end) in enumerate(_paragraph_spans(text), start=1):
        page = _page_at(page_starts, p_start)
        for start, end in _split_paragraph(text, p_start, p_end, max_words):
            units.append((start, end, number, page))

    chunks: list[ChunkSpan] = []
    for start, end, paragraph, page in units:
        if chunks:
            last = chunks[-1]
            last_words = _count(text, last.start, last.end)
            fits = last_words + _count(text, start, end) <= max_words
            tail = _last_paragraph(text, last)
            merge = _is_heading(text, tail, last.end) or (
                not _is_heading(text, start, end)
                and (last_words < min_words or (_is_item(text, start) and _is_item(text, tail)))
            )
            if last.page == page and fits and merge:
                chunks[-1] = ChunkSpan(last.start, end, last.paragraph, page)
                continue
        chunks.append(ChunkSpan(start, end, paragraph, page))
    return chunks


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    pos = 0
    for m in _PARAGRAPH_BREAK.finditer(text):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            out.append((s, e))
    return out


def _split_paragraph(text: str, start: int, end: int, max_words: int) -> list[tuple[int, int]]:
    if _count(text, start, end) <= max_words:
        return [(start, end)]
    pieces: list[tuple[int, int]] = []
    for s, e in sentence_spans(text, start, end):
        if _count(text, s, e) <= max_words:
            pieces.append((s, e))
        else:
            pieces.extend(_split_words(text, s, e, max_words))
    windows: list[tuple[int, int]] = []
    for s, e in pieces:
        if windows and _count(text, windows[-1][0], e) <= max_words:
            windows[-1] = (windows[-1][0], e)
        else:
            windows.append((s, e))
    return windows


def _split_words(text: str, start: int, end: int, max_words: int) -> list[tuple[int, int]]:
    spans = list(_WORD.finditer(text[start:end]))
    out = []
    for i in range(0, len(spans), max_words):
        group = spans[i : i + max_words]
        out.append((start + group[0].start(), start + group[-1].end()))
    return out


def _is_heading(text: str, start: int, end: int) -> bool:
    """A short line with no closing punctuation: a heading that belongs to what follows."""
    return _count(text, start, end) <= 15 and not _SENTENCE_END.search(text, start, end)


def _is_item(text: str, start: int) -> bool:
    return bool(_LIST_ITEM.match(text, start))


def _last_paragraph(text: str, chunk: ChunkSpan) -> int:
    cut = text.rfind("\n\n", chunk.start, chunk.end)
    return chunk.start if cut < 0 else cut + 2


def _count(text: str, start: int, end: int) -> int:
    return len(_WORD.findall(text, start, end))


def _page_at(page_starts: list[int] | None, offset: int) -> int | None:
    if not page_starts:
        return None
    return bisect.bisect_right(page_starts, offset)
