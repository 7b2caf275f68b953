"""Paragraph-, table- and section-aware chunking with exact character offsets.

all-MiniLM-L6-v2 was trained on inputs of up to 128 word pieces and truncates at 256, so a chunk
is at most `max_words` words (about 1.3 word pieces each). A paragraph that fits is one chunk; a
longer one is split between sentences (a single overlong sentence between words). Short
paragraphs (headings) are merged forward into the next one on the same page, so a heading
travels with the text it introduces, and the items of a list stay together while they fit.
Every chunk is `text[start:end]` exactly.

Tables (`bot.cleaning.is_table`: one paragraph, one row a line) are split between rows, never
inside one; a table chunk holds rows of one table only (a heading may open it), and carries the
table's caption and header rows (`ChunkSpan.header`) so a row quoted from the middle of a long
table still knows its periods and unit.

Each chunk also carries its section path (`ChunkSpan.section`, "Item 7. Management's Discussion
and Analysis > Liquidity"): headings met so far, by level. SEC-style "PART I" and "Item 7." lines
and Markdown "#" headings give levels; any other heading is a sub-heading of the current item.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from bot.cleaning import LIST_ITEM, SENTENCE_END, is_table, table_header
from bot.text import sentence_spans

CHUNKING_VERSION = 3  # recorded in the index metadata: bump when the rules change
MAX_WORDS = 100
MIN_WORDS = 40
MAX_HEADING_CHARS = 90  # a heading longer than this is clipped in the section path

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_WORD = re.compile(r"\S+")
_PART = re.compile(r"PART\s+[IVX]+\b", re.IGNORECASE)
_ITEM = re.compile(r"ITEM\s+\d{1,2}[A-Z]?\b\.?", re.IGNORECASE)
_MARKDOWN = re.compile(r"^(#{1,6})\s+")


@dataclass(frozen=True)
class ChunkSpan:
    start: int
    end: int
    paragraph: int  # 1-based number of the paragraph the chunk starts in
    page: int | None  # 1-based page, for paginated documents
    section: str = ""  # the section path at the chunk's start ("Item 7. MD&A > Liquidity")
    header: str = ""  # for a table chunk: the table's caption and header rows


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    paragraph: int
    page: int | None
    section: str
    table: int  # the paragraph number of the table the unit is rows of; 0 for prose
    header: str
    heading: bool


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
    """Split a cleaned document into chunks that never cross a page boundary or two tables."""
    chunks: list[ChunkSpan] = []
    tables: list[int] = []  # per chunk: the table it holds rows of (0: none)
    headings_only: list[bool] = []  # per chunk: it holds headings and nothing else yet
    for unit in _units(text, page_starts, max_words):
        if chunks and _merges(text, chunks[-1], tables[-1], unit, max_words, min_words):
            last = chunks[-1]
            # Headings opening a chunk belong to the section they open.
            section = unit.section if headings_only[-1] else last.section
            chunks[-1] = ChunkSpan(
                last.start, unit.end, last.paragraph, last.page, section, unit.header
            )
            tables[-1] = unit.table or tables[-1]
            headings_only[-1] = headings_only[-1] and unit.heading
            continue
        chunks.append(
            ChunkSpan(unit.start, unit.end, unit.paragraph, unit.page, unit.section, unit.header)
        )
        tables.append(unit.table)
        headings_only.append(unit.heading)
    return chunks


def _merges(
    text: str, last: ChunkSpan, last_table: int, unit: _Unit, max_words: int, min_words: int
) -> bool:
    if last.page != unit.page:
        return False
    last_words = _count(text, last.start, last.end)
    if last_words + _count(text, unit.start, unit.end) > max_words:
        return False
    tail = _last_paragraph(text, last)
    tail_heading = not last_table and _is_heading(text, tail, last.end)
    if unit.table:  # rows join their own table, or the headings just above it
        return last_table == unit.table or (not last_table and tail_heading)
    if last_table:
        return False
    return tail_heading or (
        not unit.heading
        and (last_words < min_words or (_is_item(text, unit.start) and _is_item(text, tail)))
    )


def _units(text: str, page_starts: list[int] | None, max_words: int) -> list[_Unit]:
    units: list[_Unit] = []
    path: list[tuple[int, str]] = []  # (level, heading) from the outermost
    for number, (p_start, p_end) in enumerate(_paragraph_spans(text), start=1):
        page = _page_at(page_starts, p_start)
        block = text[p_start:p_end]
        if "\n" in block and is_table(block):
            header = table_header(block)
            lead = _heading_words(text, units, page)  # headings above it, to travel with it
            for start, end in _split_rows(text, p_start, p_end, max_words, lead):
                units.append(_Unit(start, end, number, page, _path(path), number, header, False))
            continue
        heading = _is_heading(text, p_start, p_end)
        if heading and not _is_item(text, p_start):
            _enter(path, block)
        section = _path(path)
        for start, end in _split_paragraph(text, p_start, p_end, max_words):
            units.append(_Unit(start, end, number, page, section, 0, "", heading))
    return units


def _enter(path: list[tuple[int, str]], heading: str) -> None:
    """Put a heading into the section path at its level, closing deeper sections."""
    level = heading_level(heading)
    while path and path[-1][0] >= level:
        path.pop()
    name = " ".join(_MARKDOWN.sub("", heading).split())
    if len(name) > MAX_HEADING_CHARS:
        name = name[: MAX_HEADING_CHARS - 1].rstrip() + "…"
    path.append((level, name))


def heading_level(heading: str) -> int:
    """0 for "PART II", 1 for "Item 7." and "# Title", deeper for "##"..., else 3."""
    markdown = _MARKDOWN.match(heading)
    if markdown:
        return len(markdown.group(1))
    if _PART.match(heading):
        return 0
    if _ITEM.match(heading):
        return 1
    return 3


def _path(path: list[tuple[int, str]]) -> str:
    return " > ".join(name for _, name in path)


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


def _heading_words(text: str, units: list[_Unit], page: int | None) -> int:
    """Words of the run of headings that ends the units so far on this page."""
    words = 0
    for unit in reversed(units):
        if not unit.heading or unit.table or unit.page != page:
            break
        words += _count(text, unit.start, unit.end)
    return words


def _split_rows(
    text: str, start: int, end: int, max_words: int, lead: int = 0
) -> list[tuple[int, int]]:
    """A table in windows of whole rows (a row longer than a window is split between words).

    The first window leaves room for `lead` words of headings above the table, when it can.
    """
    rows: list[tuple[int, int]] = []
    pos = start
    for line in text[start:end].split("\n"):
        s, e = pos, pos + len(line)
        pos = e + 1
        if not line.strip():
            continue
        if _count(text, s, e) > max_words:
            rows.extend(_split_words(text, s, e, max_words))
        else:
            rows.append((s, e))
    windows: list[tuple[int, int]] = []
    for s, e in rows:
        room = max_words - lead if len(windows) == 1 and lead < max_words // 2 else max_words
        if windows and _count(text, windows[-1][0], e) <= room:
            windows[-1] = (windows[-1][0], e)
        else:
            windows.append((s, e))
    return windows


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
    """A short line with no closing punctuation, or a short "PART II" / "Item 7." line: a
    heading that belongs to what follows."""
    if "\n" in text[start:end]:
        return False
    words = _count(text, start, end)
    if words <= 20 and (_PART.match(text, start) or _ITEM.match(text, start)):
        return True
    return words <= 15 and not SENTENCE_END.search(text, start, end)


def _is_item(text: str, start: int) -> bool:
    return bool(LIST_ITEM.match(text, start))


def _last_paragraph(text: str, chunk: ChunkSpan) -> int:
    cut = text.rfind("\n\n", chunk.start, chunk.end)
    return chunk.start if cut < 0 else cut + 2


def _count(text: str, start: int, end: int) -> int:
    return len(_WORD.findall(text, start, end))


def _page_at(page_starts: list[int] | None, offset: int) -> int | None:
    if not page_starts:
        return None
    return bisect.bisect_right(page_starts, offset)
