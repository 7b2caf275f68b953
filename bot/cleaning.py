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
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CLEANING_VERSION = 1  # recorded in the index metadata: bump when the rules change

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
_ITEM_RE = re.compile(r"(?:[•●▪◦‣∙*-]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s")
_SENTENCE_END = re.compile(r"[.!?:;…\"”’)]$")


@dataclass(frozen=True)
class CleanText:
    """Cleaned document text; `page_starts[i]` is where page i+1 begins in `text`."""

    text: str
    page_starts: list[int]


def clean_pages(pages: list[str], *, reflow: bool = False) -> CleanText:
    """Clean each page and join them with blank lines, remembering where each page starts.

    `reflow` joins hard-wrapped lines into paragraphs (PDF text), treating blank lines as
    paragraph breaks and undoing end-of-line hyphenation.
    """
    parts: list[str] = []
    starts: list[int] = []
    offset = 0
    for page in pages:
        paragraphs = clean_lines(_reflow(page) if reflow else _lines(page))
        body = "\n\n".join(paragraphs)
        if parts:
            offset += 2  # the "\n\n" joining pages
        starts.append(offset)
        parts.append(body)
        offset += len(body)
    return CleanText("\n\n".join(parts), starts)


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


def _lines(page: str) -> list[str]:
    text = page.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    return [" ".join(ln.split()) for ln in text.split("\n")]


def _reflow(page: str) -> list[str]:
    """Join a PDF page's visual lines into paragraphs.

    A paragraph ends at a blank line, or at a line that ends a sentence and stops well short
    of the page's usual line width. Short unpunctuated lines (headings) and list items stand
    alone. End-of-line hyphenation is undone.
    """
    lines = _lines(page)
    widths = sorted(len(ln) for ln in lines if ln)
    full = widths[int(len(widths) * 0.8)] if widths else 0
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    for i, line in enumerate(lines):
        if not line:
            flush()
            continue
        following = lines[i + 1] if i + 1 < len(lines) else ""
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
    return paragraphs
