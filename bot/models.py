"""Plain data passed between the library and the front ends."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from bot.figures import Comparison, Figure


@dataclass(frozen=True)
class DocumentMeta:
    """Citation metadata of one document; empty strings where unknown (never invented)."""

    title: str = ""
    publisher: str = ""
    author: str = ""
    date: str = ""
    url: str = ""


@dataclass(frozen=True)
class SearchFilter:
    """Restricts retrieval to some documents: ids, a publisher, a date range (ISO dates).

    Empty fields restrict nothing; `SearchFilter()` searches everything. Dates compare as
    ISO strings, so "2021" as `date_from` keeps documents dated 2021-01-01 or later.
    """

    doc_ids: tuple[str, ...] = ()
    publisher: str = ""
    date_from: str = ""
    date_to: str = ""

    def __bool__(self) -> bool:
        return bool(self.doc_ids or self.publisher or self.date_from or self.date_to)


@dataclass
class RawDocument:
    """What a loader extracted from a source, before cleaning.

    `pages` holds one string per page for paginated formats (PDF), else a single string.
    Paragraphs inside a page are separated by blank lines or single newlines.
    """

    source: str
    format: str
    pages: list[str]
    content_hash: str  # sha256 of the source bytes
    doc_id: str = ""  # empty: derived from the source name at ingest
    meta: DocumentMeta = field(default_factory=DocumentMeta)  # title etc.; sidecar or extracted
    found: dict[str, str] = field(default_factory=dict)  # meta field -> where it came from


@dataclass(frozen=True)
class Document:
    """One indexed document as `reportbot show` describes it: metadata, and where it came from.

    `found` maps each metadata field to its origin ("sidecar .meta.json", "pdf metadata
    (Title)", "first page (registrant)", "file name", ...).
    """

    id: str
    title: str
    publisher: str
    author: str
    date: str
    url: str
    format: str
    source: str
    ingested_at: str
    pages: int  # 0 for unpaginated formats
    chunks: int
    found: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: dict[str, Any], *, pages: int, chunks: int) -> Document:
        """From a `documents` row as either backend stores it (`found` as JSON text)."""
        text = ("title", "publisher", "author", "date", "url", "format", "source", "ingested_at")
        return cls(
            id=row["id"],
            **{name: row[name] or "" for name in text},
            pages=pages,
            chunks=chunks,
            found=json.loads(row.get("found") or "{}"),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Passage:
    """One verbatim quote: `quote == document.text[start:end]` always holds."""

    quote: str
    highlight: str
    highlight_start: int  # offset of `highlight` inside `quote`
    doc_id: str
    title: str
    publisher: str
    author: str
    date: str
    url: str
    location: str  # "paragraph 4" or "page 2"
    start: int
    end: int
    score: float
    chunk_id: int
    paragraph: int | None = None
    page: int | None = None
    figures: list[Figure] = field(
        default_factory=list
    )  # quantities in `highlight`, offsets into it
    section: str = ""  # the section path of the quote ("Item 7. MD&A > Liquidity"), if any
    format: str = ""  # the source's format ("pdf", "html", ...), when known

    @property
    def link(self) -> str:
        """The URL to cite: for a PDF with a URL and a page, `URL#page=N` opens that page."""
        if not self.url:
            return ""
        if self.page and (self.format == "pdf" or self.url.lower().split("?")[0].endswith(".pdf")):
            return f"{self.url.split('#')[0]}#page={self.page}"
        return self.url

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "link": self.link}


@dataclass
class Answer:
    """The result of `answer(question)`: passages, or a plain `not_found`."""

    question: str
    status: Literal["found", "not_found"]
    passages: list[Passage]
    suggestions: list[str] = field(default_factory=list)  # closest topics when not_found
    offset: int = 0  # index of the first passage in the full ranking ("More" pages)

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "status": self.status,
            "passages": [p.to_dict() for p in self.passages],
            "suggestions": self.suggestions,
        }


@dataclass(frozen=True)
class VerifyResult:
    """What `verify(index_dir)` found: the live generation's counts and its problems, if any."""

    generation: str
    model: str | None
    documents: int
    chunks: int
    vectors: int
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "problems": list(self.problems), "ok": self.ok}


VerdictKind = Literal["supported", "contradicted", "not_found"]
Outcome = Literal[
    "agrees", "differs", "other_period", "no_period", "unaddressed", "weak_subject", "conflicting"
]


@dataclass
class Evidence:
    """One quoted sentence (or table row) and the figure in it that a claim figure was compared with.

    `quote == document_text[start:end]`, and `figure`'s offsets are into the document text too.
    `subject` and `period` say what the report's figure measures and when, as the report words
    them ("" where the report states none); `claim_subject` and `claim_period` the same for the
    claim's figure. `outcome` is this comparison's result: `agrees`, `differs` (same subject and
    period, another figure: a contradiction), `other_period` (the report gives the figure for
    another period), `no_period` (the report states no period for it) or `unaddressed` (the
    claim names something the reports never mention) or `weak_subject` (the closest figure
    matches the claim's subject too loosely to contradict it) or `conflicting` (the report also
    gives, for the same subject and period, a figure that agrees); only `differs` contradicts.
    """

    quote: str
    doc_id: str
    title: str
    location: str
    start: int
    end: int
    figure: Figure
    claim_figure: Figure
    comparison: Comparison | None = None
    outcome: Outcome = "agrees"
    subject: str = ""
    period: str = ""
    claim_subject: str = ""
    claim_period: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Verdict:
    """The result of `check(claim)`: a verdict, the evidence behind it and its explanation."""

    claim: str
    verdict: VerdictKind
    claim_figures: list[Figure]
    evidence: list[Evidence]
    explanation: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "claim": self.claim,
            "verdict": self.verdict,
            "claim_figures": [f.to_dict() for f in self.claim_figures],
            "evidence": [e.to_dict() for e in self.evidence],
            "explanation": self.explanation,
        }
