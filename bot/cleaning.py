"""Strip page boilerplate from extracted text, keeping headings and paragraphs.

Web pages arrive with newsletter prompts, share buttons, photo credits, bylines and
related-article teasers mixed into the text. None of it may ever be indexed or quoted, so it is
removed here, line by line, before chunking. The cleaned text is what is stored and quoted.

Rules, in order:
1. Lines that are boilerplate on their own (newsletter and sign-up prompts, "Read More",
   share labels, "Success! Now Check Your Email", cookie notices, "All rights reserved").
2. Photo credits ("Photo by X / Unsplash", "Image: Getty") and the caption or alt text line
   right before a credit (short, with no sentence punctuation).
3. Author byline blocks ("X profile image", "by X"); the author is kept in the metadata.
4. A byline after the body has started marks a related-article teaser: the teaser's headline,
   its standfirst and everything after it are dropped.
5. Site chrome at the very start or end of a page: single all-caps words such as "SHARE",
   "MENU" or a site's section name ("ARGENCONTV"). Mid-page all-caps headings are kept.

Paginated documents (PDF, `layout=True`) also lose, before those rules:
6. Running headers and footers: a short line among the first or last few of a page that recurs,
   with its digits ignored, on at least `RUNNING_MIN_SHARE` of the pages (and on three or more);
   a line carrying two or more figures is never one (a table's column headers can open a page).
7. Page numbers at the top or bottom of a page ("12", "Page 12 of 80", "- 12 -", "F-12", "xii").
Then visual lines are joined into paragraphs (end-of-line hyphenation undone), except tables.

Tables. A table is one paragraph (blank-line separated) whose lines are its rows, one row a
line: the row's label, then its values in column order, as the document prints them:

    Consolidated Statement of Cash Flows        <- caption lines (optional)
    (Millions) 2018 2017 2016                   <- header row: periods, and the stated unit
    Cash Flows from Investing Activities        <- a sub-heading inside the table
    Purchases of property, plant and equipment (PP&E) (1,577) (1,373) (1,420)

A PDF row is a line that ends in figures (`is_row`); a label wrapped onto a line of its own is
joined to the figures that follow it. HTML and DOCX rows are their cells joined by " | " (the
header row first). `table_header(block)` gives a table's caption and header rows, which the
chunker stores with every chunk of the table so a quoted row still knows its periods and unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CLEANING_VERSION = 2  # recorded in the index metadata: bump when the rules change
RUNNING_MIN_SHARE = 0.1  # a running header or footer recurs on at least this share of pages
RUNNING_MIN_PAGES = 3
RUNNING_MAX_WORDS = 15  # longer lines are text, however often they recur
EDGE_LINES = 3  # lines at the top and at the bottom of a page looked at for headers/footers

_STANDALONE = [
    r".*subscribe.*",
    r".*newsletter.*",
    r".*(confirmation link|check your (e-?mail|inbox)|spam folder).*",
    r"success!.*",
    r"ok,? thanks!?",
    r"(read|see|view|load) more( stories| articles| news)?\.?",
    r"(share|tweet|email|print|copy link|share this( article| story| post)?|share on \w+)",
    r"(related|recommended|popular|trending|more from \w+)( articles?| posts?| stories| reads)?:?",
    r"(get|receive) (the )?latest .*",
    r"advertisement|sponsored( content)?",
    r".*\ball rights reserved\b.*",
    r".*\b(we use cookies|accept (all )?cookies|cookie policy)\b.*",
    r"(sign up|sign in|log in|register)( now| today| for free)?[.!]?",
    r"(follow us|join us) on .*",
]
_STANDALONE_RE = re.compile("|".join(f"(?:{p})" for p in _STANDALONE), re.IGNORECASE)
_STANDALONE_MAX = 300  # a long paragraph that merely mentions "newsletter" is content

_CREDIT_RE = re.compile(
    r"^(?:(?:photo|image|picture|credit|illustration)s?\s*(?:by|:|credit:?)\s+.{1,120}"
    r"|.{1,120}\s/\s(?:unsplash|getty images?|shutterstock|pexels|pixabay|reuters|afp|ap|"
    r"istock|alamy|wikimedia commons))$",
    re.IGNORECASE,
)
_BYLINE_RE = re.compile(
    r"^(?:.{2,60}\s+profile image|by\s+[A-ZÁÉÍÓÚÑ][\w.'’-]+(?:\s+[A-ZÁÉÍÓÚÑ][\w.'’-]+){0,3})$"
)
_CHROME_RE = re.compile(r"[A-Z0-9&]{3,30}")
LIST_ITEM = re.compile(r"\s*(?:[•●▪◦‣∙*-]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s")
SENTENCE_END = re.compile(r"[.!?:;…\"”’)]\s*$")
_FULL_STOP = re.compile(r"[.!?…][\"”’)]?$")
_ITEM_RE = LIST_ITEM
_SENTENCE_END = SENTENCE_END
# One value of a table row: 1,577  (1,373)  -0.5  12.3%  $  —  n/a
_VALUE = re.compile(
    r"(?:\$|€|£)?\(?[-–—]?(?:\$|€|£)?\d(?:[\d,]*\d)?(?:\.\d+)?\)?%?|[-–—]+|\$|€|£|%|n/?a|nm", re.I
)
_YEAR = re.compile(r"(?:19|20)\d\d")
_MONTH_DAY = re.compile(
    r"\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?\s+\d{1,2}\b,?",
    re.IGNORECASE,
)
_UNIT = re.compile(
    r"\b(?:in |amounts in |dollars in |\$ ?in )?(?:millions|thousands|billions)\b", re.IGNORECASE
)
_PAGE_NUMBER = re.compile(
    r"(?:page\s+)?(?:[-–]\s*)?(?:[a-z]-)?\d{1,4}(?:\s*[-–])?(?:\s+(?:of|/)\s+\d{1,4})?"
    r"|[ivxlc]{1,7}",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"\d+")


def _values_at_end(tokens: list[str]) -> int:
    n = 0
    for token in reversed(tokens):
        if not _VALUE.fullmatch(token):
            break
        n += 1
    return n


def _figures(tokens: list[str]) -> int:
    return sum(1 for t in tokens if _VALUE.fullmatch(t) and any(c.isdigit() for c in t))


def is_row(line: str) -> bool:
    """A table row: cells joined by " | ", or a label followed by figures (or figures alone)."""
    if " | " in line:
        return True
    tokens = line.split()
    values = _values_at_end(tokens)
    figures = _figures(tokens[len(tokens) - values :]) if values else 0
    if figures == 0:
        return False
    label = tokens[: len(tokens) - values]
    return figures >= 2 or len(label) <= 8


def is_header_row(line: str) -> bool:
    """A table's column-header row: periods (years, "December 31, 2018") or a stated unit, and
    no other figures."""
    if " | " in line:
        return False
    dated = _MONTH_DAY.sub(" ", line)
    tokens = dated.split()
    numbers = [t for t in tokens if any(c.isdigit() for c in t)]
    years = [t for t in numbers if _YEAR.fullmatch(t.strip("(),"))]
    periods = len(years) == len(numbers) and (len(years) >= 2 or dated != line)
    return periods or (bool(_UNIT.search(line)) and len(line.split()) <= 12)


def stated_unit(text: str) -> str:
    """The scale a table states ("millions", "thousands", "billions"), or ""."""
    match = _UNIT.search(text)
    return match.group(0).split()[-1].lower() if match else ""


def is_table(block: str) -> bool:
    """Whether a paragraph is a table: several lines, most of them rows."""
    lines = block.split("\n")
    rows = sum(1 for ln in lines if is_row(ln))
    return len(lines) >= 2 and rows >= 2 and rows * 2 >= len(lines)


def table_header(block: str) -> str:
    """A table's caption and header rows: its lines up to the last header row before the data.

    For a " | " table, its first row. "" when the table states no headers.
    """
    lines = block.split("\n")
    if " | " in lines[0]:
        return lines[0]
    end = 0
    for i, line in enumerate(lines[:8]):
        if is_header_row(line):
            end = i + 1
        elif is_row(line):
            break
    return "\n".join(lines[:end])


@dataclass(frozen=True)
class CleanText:
    """Cleaned document text; `page_starts[i]` is where page i+1 begins in `text`."""

    text: str
    page_starts: list[int]


def clean_pages(pages: list[str], *, reflow: bool = False) -> CleanText:
    """Clean each page and join them with blank lines, remembering where each page starts.

    `reflow` is for paginated layouts (PDF text): running headers, footers and page numbers go
    (rules 6 and 7), and hard-wrapped lines are joined into paragraphs, tables left as rows.
    """
    page_lines = [_lines(page) for page in pages]
    if reflow:
        page_lines = strip_running(page_lines)
    parts: list[str] = []
    starts: list[int] = []
    offset = 0
    for lines in page_lines:
        paragraphs = clean_lines(_reflow(lines) if reflow else _blocks(lines))
        body = "\n\n".join(paragraphs)
        if parts:
            offset += 2  # the "\n\n" joining pages
        starts.append(offset)
        parts.append(body)
        offset += len(body)
    return CleanText("\n\n".join(parts), starts)


def strip_running(pages: list[list[str]]) -> list[list[str]]:
    """Drop running headers and footers and page numbers from each page's lines (rules 6, 7)."""
    edges = [_edge_indexes(lines) for lines in pages]
    counts: dict[str, int] = {}
    for lines, edge in zip(pages, edges, strict=True):
        for key in {_running_key(lines[i]) for i in edge}:
            counts[key] = counts.get(key, 0) + 1
    needed = max(RUNNING_MIN_PAGES, RUNNING_MIN_SHARE * len(pages))
    out = []
    for lines, edge in zip(pages, edges, strict=True):
        drop = set()
        for i in edge:
            line = lines[i]
            words = line.split()
            if _PAGE_NUMBER.fullmatch(line) or (
                counts.get(_running_key(line), 0) >= needed
                and _figures(words) < 2
                and len(words) <= RUNNING_MAX_WORDS
            ):
                drop.add(i)
        out.append([ln for i, ln in enumerate(lines) if i not in drop])
    return out


def _edge_indexes(lines: list[str]) -> list[int]:
    filled = [i for i, ln in enumerate(lines) if ln]
    return sorted(set(filled[:EDGE_LINES] + filled[-EDGE_LINES:]))


def _running_key(line: str) -> str:
    return _DIGITS.sub("#", line.lower())


def _blocks(lines: list[str]) -> list[str]:
    """One paragraph a line, except the rows of a " | " table, which stay one block."""
    out: list[str] = []
    table = False
    for line in lines:
        row = " | " in line
        if row and table and out:
            out[-1] += "\n" + line
        else:
            out.append(line)
        table = row
    return out


def clean_lines(lines: list[str]) -> list[str]:
    """Apply the boilerplate rules to a page's paragraphs (one per line)."""
    lines = [ln for ln in lines if ln]
    drop = [False] * len(lines)
    body_started = False
    for i, line in enumerate(lines):
        if len(line) <= _STANDALONE_MAX and _STANDALONE_RE.fullmatch(line):
            drop[i] = True
        elif _CREDIT_RE.match(line):
            drop[i] = True
            if i > 0 and _looks_like_caption(lines[i - 1]):
                drop[i - 1] = True
        elif _BYLINE_RE.match(line):
            drop[i] = True
            if body_started:
                cut = _teaser_start(lines, i)
                for j in range(cut, len(lines)):
                    drop[j] = True
                break
        elif len(line) >= 300:
            body_started = True
    kept = [ln for ln, d in zip(lines, drop, strict=True) if not d]
    while kept and _CHROME_RE.fullmatch(kept[0]):
        kept.pop(0)
    while kept and _CHROME_RE.fullmatch(kept[-1]):
        kept.pop()
    return kept


def _teaser_start(lines: list[str], byline: int) -> int:
    """The related-article teaser starts at the headline just above a late byline."""
    start = byline
    while start > 0 and _BYLINE_RE.match(lines[start - 1]):
        start -= 1
    for back in (1, 2):
        j = start - back
        if j >= 0 and not _SENTENCE_END.search(lines[j]) and len(lines[j]) < 200:
            return j
    return start


def _looks_like_caption(line: str) -> bool:
    return len(line) < 120 and not _SENTENCE_END.search(line)


def _lines(page: str) -> list[str]:  # one visual line each, white space collapsed
    text = page.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    return [" ".join(ln.split()) for ln in text.split("\n")]


def _reflow(lines: list[str]) -> list[str]:
    """Join a PDF page's visual lines into paragraphs; a table's rows stay one a line.

    A paragraph ends at a blank line, or at a line that ends a sentence and stops well short
    of the page's usual line width. Short unpunctuated lines (headings) and list items stand
    alone. End-of-line hyphenation is undone. Rows (`is_row`) never join prose: consecutive
    rows, with the short lines between them (sub-headings, wrapped labels) and the caption and
    header lines just above, form one table paragraph.
    """
    lines = _join_wrapped_labels(lines)
    widths = sorted(len(ln) for ln in lines if ln)
    full = widths[int(len(widths) * 0.8)] if widths else 0
    paragraphs: list[str] = []
    current: list[str] = []
    table: list[str] = []

    def flush() -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    def flush_table() -> None:
        if table:
            paragraphs.append("\n".join(table))
            table.clear()

    for i, line in enumerate(lines):
        if not line:
            flush()
            flush_table()
            continue
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if is_row(line):
            if table and is_header_row(line) and _data_rows(table) >= 2:
                # A header row after data rows: the next table begins, with its caption.
                caption: list[str] = []
                while table and not is_row(table[-1]) and len(caption) < 3:
                    caption.insert(0, table.pop())
                flush_table()
                table.extend(caption)
            if not table:
                table.extend(_caption(current, paragraphs))
            flush()
            table.append(line)
            continue
        if table:
            if line[:1].islower() and not is_row(table[-1]):
                table[-1] += " " + line  # a label wrapped onto a second line
                continue
            if _inside_table(line, following):
                table.append(line)
                continue
            flush_table()
        short = len(line) < 0.8 * full
        if _ITEM_RE.match(line):
            flush()
        if current and current[-1].endswith("-") and line[:1].islower():
            current[-1] = current[-1][:-1] + line
        else:
            current.append(line)
        ends_sentence = bool(_SENTENCE_END.search(line))
        heading = (
            len(current) == 1
            and not ends_sentence
            and not line.endswith("-")
            and following[:1].isupper()
        )
        if short and (ends_sentence or heading):
            flush()
    flush()
    flush_table()
    return paragraphs


def _join_wrapped_labels(lines: list[str]) -> list[str]:
    """A row label wrapped onto its own line ("Proceeds from sale of businesses, net of cash
    sold" / "846 1,065 142") is joined to the figures, or the label's end, that follow it."""
    out: list[str] = []
    for line in lines:
        prev = out[-1] if out else ""
        if (
            prev
            and not is_row(prev)
            and not _SENTENCE_END.search(prev)
            and len(prev.split()) <= 20
            and is_row(line)
            and not is_header_row(line)
            and (_values_at_end(line.split()) == len(line.split()) or line[:1].islower())
        ):
            out[-1] = f"{prev} {line}"
        else:
            out.append(line)
    return out


def _caption(current: list[str], paragraphs: list[str]) -> list[str]:
    """Short unpunctuated lines just above a table (its title, "Years ended ...") join it,
    whether still in the open paragraph or already set apart as headings."""
    taken: list[str] = []
    while len(taken) < 3:
        if current:
            line, source = current[-1], current
        elif paragraphs and "\n" not in paragraphs[-1]:
            line, source = paragraphs[-1], paragraphs
        else:
            break
        if len(line.split()) > 12 or _SENTENCE_END.search(line):
            break
        taken.insert(0, source.pop())
    return taken


def _data_rows(table: list[str]) -> int:
    return sum(1 for line in table if is_row(line) and not is_header_row(line))


def _inside_table(line: str, following: str) -> bool:
    """A line between rows: a short sub-heading or label ("Current assets", "Equity:")
    followed by more rows or by another such line."""
    return (
        len(line.split()) <= 15
        and not _FULL_STOP.search(line)
        and (is_row(following) or (bool(following) and not _FULL_STOP.search(following)))
    )
