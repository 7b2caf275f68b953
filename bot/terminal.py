"""The terminal front end: render answers for people, and the interactive chat loop."""

from __future__ import annotations

import shutil
import sys
import textwrap
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

import click

from bot.models import Answer, Document, Passage, Verdict, VerifyResult

if TYPE_CHECKING:
    from bot.evaluate import EvalResult
    from bot.evaluate.financebench import FinanceBenchResult

NOT_FOUND = "The reports don't seem to cover this."


def render_answer(answer: Answer, *, color: bool | None = None) -> str:
    """An answer as plain text: each quote verbatim, its key sentence highlighted, a citation."""
    if answer.status == "not_found":
        lines = [NOT_FOUND]
        if answer.suggestions:
            lines.append("Closest topics: " + "; ".join(answer.suggestions))
        return "\n".join(lines)
    blocks = [
        render_passage(p, answer.offset + i + 1, color=color) for i, p in enumerate(answer.passages)
    ]
    return "\n\n".join(blocks)


_OPEN, _CLOSE = "\ue000", "\ue001"  # private-use marks around the highlight while wrapping


def render_passage(
    p: Passage, number: int, *, color: bool | None = None, width: int | None = None
) -> str:
    """One passage: citation line, then the quote with its key sentence marked.

    On a terminal (or with `width`) the quote is wrapped to fit; piped, each paragraph stays
    on one line as in the document.
    """
    if width is None and sys.stdout.isatty():
        width = min(shutil.get_terminal_size((100, 24)).columns, 110)
    end = p.highlight_start + len(p.highlight)
    marked = p.quote[: p.highlight_start] + _OPEN + p.highlight + _CLOSE + p.quote[end:]
    body = "\n\n".join(
        textwrap.fill(para, width, initial_indent="    ", subsequent_indent="    ")
        if width
        else "    " + para
        for para in marked.split("\n\n")
    )
    if color:
        # Re-open the style on every wrapped line so the highlight survives line breaks.
        on, off = "\x1b[1;33m", "\x1b[0m"
        lines, inside = [], False
        for line in body.split("\n"):
            if inside:
                line = line[:4] + on + line[4:]
            inside = (inside or _OPEN in line) and _CLOSE not in line
            line = line.replace(_OPEN, on).replace(_CLOSE, off)
            lines.append(line + (off if inside else ""))
        body = "\n".join(lines)
    else:
        body = body.replace(_OPEN, "»").replace(_CLOSE, "«")
    head = click.style(f"[{number}]", bold=True) if color else f"[{number}]"
    lines = [f"{head} {citation(p)}", body]
    if p.figures:
        lines.append("    figures: " + ", ".join(f.text for f in p.figures))
    return "\n".join(lines)


def citation(p: Passage) -> str:
    """Title — publisher, author — date — location — section — link (the parts known)."""
    parts = [p.title]
    by = ", ".join(x for x in (p.publisher, p.author) if x)
    if by:
        parts.append(by)
    if p.date:
        parts.append(p.date)
    parts.append(p.location)
    if p.section:
        parts.append(p.section)
    if p.link:
        parts.append(p.link)  # a PDF's URL opens at the quoted page
    return " — ".join(parts)


def render_verdict(verdict: Verdict) -> str:
    """A verdict in one line: SUPPORTED / CONTRADICTED / NOT FOUND and why."""
    return f"{verdict.verdict.upper().replace('_', ' ')}: {verdict.explanation}"


def render_verify(result: VerifyResult) -> str:
    """What `verify` found: the counts, then `ok` or what to do (problems are listed apart)."""
    from bot.index import REBUILD_HINT

    counts = (
        f"generation {result.generation}: {result.documents} documents, {result.chunks} chunks, "
        f"{result.vectors} vectors, model {result.model}"
    )
    return counts + "\n" + ("ok" if result.ok else f"INCONSISTENT: {REBUILD_HINT}")


DOCUMENT_FIELDS = (
    "id",
    "title",
    "publisher",
    "author",
    "date",
    "url",
    "format",
    "source",
    "ingested_at",
)


def render_document(doc: Document, text: str) -> str:
    """A document's metadata, one field a line with where it came from, then its cleaned text."""
    lines = []
    for key in DOCUMENT_FIELDS:
        value = getattr(doc, key) or ""
        origin = doc.found.get(key) if value else None
        lines.append(f"{key + ':':13}{value}" + (f"  (from {origin})" if origin else ""))
        if key == "source":
            pages = f"{doc.pages} pages, " if doc.pages else ""
            lines.append(f"{'size:':13}{pages}{doc.chunks} chunks")
    return "\n".join(lines) + f"\n\n{text}"


def render_sources(docs: list[dict[str, Any]]) -> str:
    """The indexed documents: id, then title, publisher/author, chunk count and format."""
    if not docs:
        return "The index is empty; add reports with `reportbot ingest PATH`."
    lines = []
    for d in docs:
        by = ", ".join(x for x in (d["publisher"], d["author"]) if x)
        lines.append(f"{d['id']}\n    {d['title']} — {by} ({d['chunks']} chunks, {d['format']})")
    return "\n".join(lines)


def render_source_list(docs: list[dict[str, Any]]) -> str:
    """The chat's short list: title and publisher of each document."""
    return "\n".join(f"- {d['title']} ({d['publisher']})" for d in docs)


def render_figures(rows: list[dict[str, Any]]) -> str:
    """Each figure with its document, offset, value, subject and period, and its sentence."""
    if not rows:
        return "No figures found."
    lines = []
    for r in rows:
        about = "; ".join(x for x in (r["display"], r["subject"], r["period"]) if x)
        lines.append(f"{r['doc_id']} [{r['start']}] {r['text']}  ({about})\n    {r['sentence']}")
    return "\n".join(lines)


def render_eval(r: EvalResult) -> str:
    """Retrieval figures of one evaluation run, one measure a line."""
    built = "cached index" if r.cached else f"built in {r.index_build_s:.0f} s"
    lines = [
        f"{r.dataset} {r.split}, {r.mode}: {r.queries:,} queries, {r.documents:,} documents, "
        f"{r.chunks:,} chunks ({built})"
    ]
    for label, value in (
        ("nDCG@10", r.ndcg_at_10),
        ("Recall@10", r.recall_at_10),
        ("Recall@100", r.recall_at_100),
        ("MRR@10", r.mrr_at_10),
    ):
        lines.append(f"  {label:<11} {value:.3f}")
    lines.append(f"  search      p50 {r.latency_p50_ms:.1f} ms, p95 {r.latency_p95_ms:.1f} ms")
    if r.answer_p50_ms is not None:
        lines.append(f"  answer      p50 {r.answer_p50_ms:.1f} ms, p95 {r.answer_p95_ms:.1f} ms")
    return "\n".join(lines)


def render_financebench(r: FinanceBenchResult) -> str:
    """FinanceBench figures: page@1, page@5, doc@1 and declined, over all filings and within
    the filing each question names."""
    built = "cached index" if r.cached else f"built in {r.index_build_s:.0f} s"
    lines = [
        f"{r.dataset}: {r.questions} questions, {r.documents} filings, {r.pages:,} pages, "
        f"{r.chunks:,} chunks ({built})"
    ]
    for label, s in (("all filings", r.collection), ("within the filing", r.within_filing)):
        if s is None:
            lines.append(f"  {label:<18} not measured (answer() takes no filters)")
            continue
        lines.append(
            f"  {label:<18} page@1 {s.page_at_1:.3f}  page@5 {s.page_at_5:.3f}  "
            f"doc@1 {s.doc_at_1:.3f}  declined {s.declined:.3f}"
        )
    return "\n".join(lines)


def chat(
    ask: Callable[[str], str],
    *,
    stdin: TextIO | None = None,
    intro: str = "",
    commands: dict[str, Callable[[], str]] | None = None,
) -> None:
    """Read questions until EOF (works piped), printing each answer. `/quit` also ends it."""
    stdin = stdin or sys.stdin
    interactive = stdin.isatty()
    if interactive and intro:
        click.echo(intro)
    commands = commands or {}
    while True:
        if interactive:
            click.echo("\n? ", nl=False)
        line = stdin.readline()
        if not line:
            break
        text = line.strip()
        if not text:
            continue
        if text in ("/quit", "/exit"):
            break
        if text in commands:
            click.echo(commands[text]())
            continue
        click.echo(ask(text))
        if not interactive:
            click.echo("")
