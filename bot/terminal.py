"""The terminal front end: render answers for people, and the interactive chat loop."""

from __future__ import annotations

import shutil
import sys
import textwrap
from collections.abc import Callable
from typing import TextIO

import click

from bot.models import Answer, Passage

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
    parts = [p.title]
    by = ", ".join(x for x in (p.publisher, p.author) if x)
    if by:
        parts.append(by)
    if p.date:
        parts.append(p.date)
    parts.append(p.location)
    if p.url:
        parts.append(p.url)
    return " — ".join(parts)


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
