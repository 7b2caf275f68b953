"""Answers, verdicts and listings as Telegram HTML: pure functions, no network, no state.

Every string that comes from a document or a user is escaped here and nowhere else. Lengths are
counted in UTF-16 code units on the raw HTML, which is stricter than Telegram's own limit
(4096 characters after entity parsing), so a message that fits here fits there.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
)
from telegram.constants import ParseMode

from bot.figures import Figure
from bot.models import Answer, Evidence, Passage, Verdict
from bot.telegram.messages import number, text

MAX_MESSAGE = 4096  # Telegram's limit on one message's text
MAX_CALLBACK_DATA = 64  # bytes
MAX_INLINE_RESULTS = 10
HEADER_BUDGET = 400  # room kept for the header on the first message of an answer
ELLIPSIS = "…"

# --- lengths and escaping ---------------------------------------------------------------------


def tg_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def esc(text: object) -> str:
    """Escape text for Telegram HTML (`<`, `>`, `&`, and quotes for attribute values)."""
    return html.escape(str(text), quote=True)


def _char_cost(ch: str) -> int:
    """UTF-16 length of one character once escaped."""
    return tg_len(esc(ch))


def fit(text: str, budget: int) -> str:
    """`text` escaped, cut at a word boundary with an ellipsis so that it costs <= `budget`."""
    escaped = esc(text)
    if tg_len(escaped) <= budget:
        return escaped
    room = budget - tg_len(ELLIPSIS)
    used, end = 0, 0
    for ch in text:
        cost = _char_cost(ch)
        if used + cost > room:
            break
        used += cost
        end += 1
    cut = text[:end]
    space = cut.rfind(" ")
    if space > end // 2:
        cut = cut[:space]
    return esc(cut.rstrip()) + ELLIPSIS


def _safe_url(url: str) -> str:
    """The URL if it is a plain http(s) link Telegram will accept, else empty."""
    url = url.strip()
    if re.match(r"^https?://[^\s<>\"]+$", url):
        return url
    return ""


# --- passages ---------------------------------------------------------------------------------


def _highlight_span(passage: Passage) -> tuple[int, int]:
    """Where the key sentence sits inside the quote; (0, 0) when it cannot be found verbatim."""
    quote, hl = passage.quote, passage.highlight
    if not hl:
        return 0, 0
    start = passage.highlight_start
    if start >= 0 and quote[start : start + len(hl)] == hl:
        return start, start + len(hl)
    found = quote.find(hl)
    if found >= 0:
        return found, found + len(hl)
    return 0, 0


def _quote_window(quote: str, hs: int, he: int, budget: int) -> tuple[int, int, int]:
    """A window [a, b) of `quote` around the highlight whose escaped text fits `budget`.

    Returns (a, b, highlight_end) where highlight_end may be cut short when the highlight alone
    is too long. Works on raw characters, so no cut can fall inside an escape or a tag.
    """
    costs = [_char_cost(c) for c in quote]
    ellipses = 2 * (tg_len(ELLIPSIS) + 1)
    room = max(budget - ellipses, 1)
    used = 0
    he_cut = hs
    while he_cut < he and used + costs[he_cut] <= room:
        used += costs[he_cut]
        he_cut += 1
    a, b = hs, he_cut
    if he_cut < he:  # the highlight itself had to be cut
        return a, b, he_cut
    grew = True
    while grew:
        grew = False
        if b < len(quote) and used + costs[b] <= room:
            used += costs[b]
            b += 1
            grew = True
        if a > 0 and used + costs[a - 1] <= room:
            used += costs[a - 1]
            a -= 1
            grew = True
    # Snap to word boundaries, never into the highlight.
    if a > 0:
        space = quote.find(" ", a, hs)
        if space != -1:
            a = space + 1
    if b < len(quote):
        space = quote.rfind(" ", he_cut, b)
        if space != -1:
            b = space
    return a, b, he_cut


def render_citation(
    title: str,
    publisher: str,
    date: str,
    location: str = "",
    url: str = "",
    *,
    section: str = "",
    lang: str = "en",
) -> str:
    """One citation line: title, publisher, date, section, location, link; empty ones left out."""
    parts = [f"<i>{fit(title, 300)}</i>" if title else f"<i>{text(lang, 'untitled')}</i>"]
    parts += [fit(x, 200) for x in (publisher, date, section, location) if x]
    link = _safe_url(url)
    if link and tg_len(link) <= 1000:
        parts.append(f'<a href="{esc(link)}">{text(lang, "link")}</a>')
    return "— " + " · ".join(parts)


def _underline_figures(sentence: str, figures: Sequence[Figure]) -> str:
    """The key sentence escaped, with each figure in it underlined so numbers stand out."""
    out, pos = [], 0
    for fig in sorted(figures, key=lambda f: f.start):
        start, end = fig.start, fig.end
        if start < pos or end > len(sentence) or sentence[start:end] != fig.text:
            continue  # cut off by trimming, or overlapping: leave it plain
        out.append(f"{esc(sentence[pos:start])}<u>{esc(sentence[start:end])}</u>")
        pos = end
    out.append(esc(sentence[pos:]))
    return "".join(out)


def render_passage(
    passage: Passage, n: int | None = None, *, limit: int = MAX_MESSAGE, lang: str = "en"
) -> str:
    """One quote as a blockquote with its key sentence in bold, followed by its citation."""
    citation = render_citation(
        passage.title,
        passage.publisher,
        passage.date,
        passage.location,
        _passage_link(passage),
        # Passage.section and Passage.link come with the pdf branch; until it is merged here,
        # passages have neither and the citation shows what they do have.
        section=getattr(passage, "section", "") or "",
        lang=lang,
    )
    prefix = f"<b>{n}.</b> " if n is not None else ""
    head = f"{prefix}<blockquote>"
    tail = f"</blockquote>{citation}"
    overhead = (
        tg_len(head) + tg_len(tail) + tg_len("<b></b>") + len(passage.figures) * len("<u></u>")
    )
    quote = passage.quote
    hs, he = _highlight_span(passage)
    budget = limit - overhead
    body_cost = sum(_char_cost(c) for c in quote)
    if body_cost <= budget:
        a, b, he_cut = 0, len(quote), he
    else:
        a, b, he_cut = _quote_window(quote, hs, he, budget)
    if he_cut > hs:
        key = _underline_figures(quote[hs:he_cut], passage.figures)
        body = f"{esc(quote[a:hs])}<b>{key}</b>{esc(quote[he_cut:b])}"
    else:  # no key sentence to highlight
        body = esc(quote[a:b])
    if a > 0:
        body = ELLIPSIS + " " + body
    if b < len(quote) or he_cut < he:
        body = body + " " + ELLIPSIS
    return f"{head}{body}{tail}"


def _passage_link(passage: Passage) -> str:
    """The link of a citation: the passage's own (`URL#page=N`) when it has one, else the URL."""
    return getattr(passage, "link", "") or passage.url


def pack(blocks: Iterable[str], *, first: str = "", limit: int = MAX_MESSAGE) -> list[str]:
    """Join blocks into as few messages as fit, splitting only between blocks."""
    messages: list[str] = []
    current = first
    for block in blocks:
        joined = f"{current}\n\n{block}" if current else block
        if tg_len(joined) <= limit:
            current = joined
            continue
        if current:
            messages.append(current)
        current = block
    if current:
        messages.append(current)
    return messages


def render_answer(
    answer: Answer,
    *,
    offset: int = 0,
    limit: int = MAX_MESSAGE,
    lang: str = "en",
    within: str = "",
) -> list[str]:
    """An answer as one or more HTML messages, split cleanly between passages.

    `offset` > 0 marks a "More" page, where running out of passages is not "not covered".
    `within` is the title of the one report searched, when the question named one.
    """
    if answer.status != "found" or not answer.passages:
        more = offset > 0 or answer.offset > 0
        return [render_not_found(answer, more=more, lang=lang, within=within)]
    first_n = answer.offset + 1
    last_n = answer.offset + len(answer.passages)
    span = f"{first_n}" if first_n == last_n else f"{first_n}–{last_n}"
    header = f"🔎 <i>{fit(answer.question, 300)}</i>\n{text(lang, 'answer_header', span=span)}"
    blocks = [
        render_passage(p, answer.offset + i + 1, limit=limit - HEADER_BUDGET, lang=lang)
        for i, p in enumerate(answer.passages)
    ]
    return pack(blocks, first=header, limit=limit)


def render_not_found(
    answer: Answer, *, more: bool = False, lang: str = "en", within: str = ""
) -> str:
    """The plain 'not covered' reply, with the closest topics when there are any."""
    if more:
        return text(lang, "no_more")
    question = fit(answer.question, 300)
    if within:
        return text(lang, "not_covered_in_doc", title=fit(within, 300), question=question)
    reply = text(lang, "not_covered", question=question)
    if answer.suggestions:
        topics = "\n".join(f"• {fit(s, 200)}" for s in answer.suggestions[:5])
        reply += f"\n\n{text(lang, 'closest_topics')}\n{topics}"
    return reply


# --- buttons ----------------------------------------------------------------------------------


def callback(action: str, *values: int | str) -> str:
    """Callback data `action:v1:v2`; raises ValueError when it would exceed Telegram's 64 bytes."""
    data = ":".join([action, *map(str, values)])
    if len(data.encode("utf-8")) > MAX_CALLBACK_DATA:
        raise ValueError(f"callback data over {MAX_CALLBACK_DATA} bytes: {data!r}")
    return data


def parse_callback(data: str) -> tuple[str, list[int]]:
    """Inverse of `callback` for integer values; raises ValueError on anything else."""
    action, *values = data.split(":")
    return action, [int(v) for v in values]


def answer_keyboard(
    answer: Answer, question_id: int, *, k: int, lang: str = "en"
) -> InlineKeyboardMarkup | None:
    """More / Context / Source per passage / 👍 👎 under an answer."""
    if answer.status != "found" or not answer.passages:
        return None
    rows: list[list[InlineKeyboardButton]] = []
    for i, p in enumerate(answer.passages):
        n = answer.offset + i + 1
        rows.append(
            [
                InlineKeyboardButton(
                    text(lang, "button_context", n=n), callback_data=callback("ctx", p.chunk_id)
                ),
                InlineKeyboardButton(
                    text(lang, "button_source", n=n), callback_data=callback("src", p.chunk_id)
                ),
            ]
        )
    last = []
    if len(answer.passages) >= k:
        next_offset = answer.offset + len(answer.passages)
        last.append(
            InlineKeyboardButton(
                text(lang, "button_more"), callback_data=callback("more", question_id, next_offset)
            )
        )
    last.append(InlineKeyboardButton("👍", callback_data=callback("fb", question_id, 1)))
    last.append(InlineKeyboardButton("👎", callback_data=callback("fb", question_id, -1)))
    rows.append(last)
    return InlineKeyboardMarkup(rows)


def source_keyboard(chunk_id: int, *, lang: str = "en") -> InlineKeyboardMarkup:
    """ "Search in this report" under a source card (the chunk names the document: ids are short)."""
    button = InlineKeyboardButton(
        text(lang, "button_search_doc"), callback_data=callback("sdoc", chunk_id)
    )
    return InlineKeyboardMarkup([[button]])


# --- context and source -----------------------------------------------------------------------


def render_context(
    chunks: Sequence[Mapping[str, Any]],
    focus_chunk_id: int,
    document: Mapping[str, Any],
    *,
    limit: int = MAX_MESSAGE,
    lang: str = "en",
) -> str:
    """The paragraphs around a quote; the quoted one as a blockquote."""
    focus = next((c for c in chunks if c["id"] == focus_chunk_id), None)
    location = _chunk_location(focus) if focus else ""
    header = f"<b>{text(lang, 'context')}</b>\n" + render_citation(
        document.get("title", ""),
        document.get("publisher", ""),
        document.get("date", ""),
        location,
        document.get("url", ""),
        section=str((focus or {}).get("section") or ""),
        lang=lang,
    )
    budget = limit - tg_len(header) - 64
    share = max(budget // max(len(chunks), 1) - 32, 50)
    parts = []
    for c in chunks:
        body = fit(c["text"], share)
        parts.append(f"<blockquote>{body}</blockquote>" if c["id"] == focus_chunk_id else body)
    return header + "\n\n" + "\n\n".join(parts)


def _chunk_location(chunk: Mapping[str, Any]) -> str:
    if chunk.get("page"):
        return f"page {chunk['page']}"
    if chunk.get("paragraph"):
        return f"paragraph {chunk['paragraph']}"
    return ""


def render_source(document: Mapping[str, Any], *, lang: str = "en") -> str:
    """A document's details: title, publisher, author, date, format, size in passages, link."""
    lines = [f"<b>{fit(document.get('title') or text(lang, 'untitled'), 500)}</b>"]
    for key in ("publisher", "author", "date", "format"):
        if document.get(key):
            lines.append(f"{text(lang, key)}: {fit(str(document[key]), 300)}")
    if document.get("chunks") is not None:
        lines.append(f"{text(lang, 'passages')}: {number(lang, int(document['chunks']))}")
    lines.append(f"{text(lang, 'id')}: <code>{fit(str(document.get('id', '')), 300)}</code>")
    link = _safe_url(str(document.get("url") or ""))
    if link:
        lines.append(f'<a href="{esc(link)}">{fit(link, 500)}</a>')
    return "\n".join(lines)


# --- help, sources, stats ---------------------------------------------------------------------


def example_questions(
    documents: Sequence[Mapping[str, Any]], n: int = 3, *, lang: str = "en"
) -> list[str]:
    """Example questions built from the titles of the indexed documents."""
    examples = []
    for doc in documents[:n]:
        title = str(doc.get("title") or "").strip().rstrip(".?!")
        if title:
            examples.append(text(lang, "help_example", title=title))
    return examples


def render_help(
    documents: Sequence[Mapping[str, Any]],
    *,
    bot_username: str = "",
    is_admin: bool = False,
    lang: str = "en",
) -> str:
    """What the bot knows and how to use it, with example questions from the indexed reports."""
    count = len(documents)
    if count == 0:
        knows = text(lang, "help_knows_none")
    elif count == 1:
        knows = text(lang, "help_knows_one")
    else:
        knows = text(lang, "help_knows_many", n=number(lang, count))
    lines = [text(lang, "help_title"), knows, "", text(lang, "help_how")]
    examples = example_questions(documents, lang=lang)
    if examples:
        lines += ["", text(lang, "help_try")] + [f"• <code>{fit(q, 300)}</code>" for q in examples]
    if bot_username:
        lines += ["", text(lang, "help_inline", username=esc(bot_username))]
    lines += ["", text(lang, "help_footer")]
    if is_admin:
        lines += ["", text(lang, "help_admin")]
    return "\n".join(lines)


def render_sources(documents: Sequence[Mapping[str, Any]], *, lang: str = "en") -> list[str]:
    """The list of indexed documents, split over messages when long."""
    if not documents:
        return [text(lang, "no_documents")]
    blocks = []
    for i, doc in enumerate(documents, 1):
        meta = [fit(str(doc[k]), 200) for k in ("publisher", "date") if doc.get(k)]
        line = f"{i}. <b>{fit(doc.get('title') or text(lang, 'untitled'), 400)}</b>"
        if meta:
            line += " — " + ", ".join(meta)
        line += f"\n   <code>{fit(str(doc.get('id', '')), 300)}</code>"
        if doc.get("chunks") is not None:
            line += " · " + text(lang, "n_passages", n=number(lang, int(doc["chunks"])))
        link = _safe_url(str(doc.get("url") or ""))
        if link:
            line += f' · <a href="{esc(link)}">{text(lang, "link")}</a>'
        blocks.append(line)
    header = text(lang, "n_documents", n=number(lang, len(documents)))
    return pack(blocks, first=f"<b>{header}</b>")


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def render_stats(info: Mapping[str, Any], usage: Mapping[str, int]) -> str:
    """Index figures and usage counts for admins."""
    lines = [
        "<b>Index</b>",
        f"Documents: {info.get('documents', 0)}",
        f"Passages: {info.get('chunks', 0)}",
        f"Size: {_size(int(info.get('size_bytes', 0)))}",
        f"Model: <code>{fit(str(info.get('model', '?')), 200)}</code>"
        f" ({info.get('dimension', '?')} dimensions)",
        f"Generation: <code>{fit(str(info.get('generation', '?')), 200)}</code>",
        "",
        "<b>Usage</b>",
        f"Questions asked: {usage.get('questions', 0)}",
        f"Feedback: 👍 {usage.get('up', 0)} · 👎 {usage.get('down', 0)}",
    ]
    return "\n".join(lines)


def render_ingest(report: Any, documents: Sequence[Mapping[str, Any]]) -> str:
    """What an ingest did: the documents added or updated (title, passages), time taken."""
    by_id = {d.get("id"): d for d in documents}
    mark = "❌" if report.failed and not (report.changed or report.unchanged) else "✅"
    lines = [f"{mark} {fit(report.summary(), 1000)}"]
    for label, ids in (("Indexed", report.added), ("Updated", report.updated)):
        for doc_id in ids[:20]:
            doc = by_id.get(doc_id, {})
            title = doc.get("title") or doc_id
            chunks = doc.get("chunks")
            line = f"{label}: <b>{fit(str(title), 300)}</b> (<code>{fit(str(doc_id), 200)}</code>"
            line += f", {int(chunks)} passages)" if chunks is not None else ")"
            lines.append(line)
    if report.unchanged and not (report.added or report.updated or report.removed):
        lines.append("Nothing changed: the index already had this.")
    for source, reason in report.failed[:20]:
        lines.append(f"❌ {fit(str(source), 200)}: {fit(str(reason), 400)}")
    for doc_id in report.removed[:20]:
        lines.append(f"Removed: <code>{fit(str(doc_id), 200)}</code>")
    lines.append(f"Took {float(report.seconds):.1f} s.")
    return fit_html_lines(lines)


def fit_html_lines(lines: Sequence[str], limit: int = MAX_MESSAGE) -> str:
    """Join complete lines (each well-formed HTML) while they fit; never cuts inside one."""
    out: list[str] = []
    used = 0
    for line in lines:
        cost = tg_len(line) + 1
        if used + cost > limit - 10:
            out.append(ELLIPSIS)
            break
        out.append(line)
        used += cost
    return "\n".join(out)


# --- fact checks ------------------------------------------------------------------------------


def evidence_passage(evidence: Evidence, document: Mapping[str, Any] | None = None) -> Passage:
    """The quote of one piece of evidence as a Passage, its compared figure as the highlight.

    Citation fields the evidence does not carry (publisher, date, URL) come from `document`.
    """
    document = document or {}
    figure = evidence.figure
    inside = evidence.start <= figure.start and figure.end <= evidence.end
    return Passage(
        quote=evidence.quote,
        highlight=figure.text if inside else "",
        highlight_start=figure.start - evidence.start if inside else 0,
        doc_id=evidence.doc_id,
        title=evidence.title or str(document.get("title") or ""),
        publisher=str(document.get("publisher") or ""),
        author=str(document.get("author") or ""),
        date=str(document.get("date") or ""),
        url=str(document.get("url") or ""),
        location=evidence.location,
        start=evidence.start,
        end=evidence.end,
        score=0.0,
        chunk_id=0,
    )


def _comparison(evidence: Evidence, lang: str) -> str:
    """'Claim: X · report: Y · same' for one piece of fact-check evidence."""
    line = (
        f"{text(lang, 'claim')}: <b>{fit(evidence.claim_figure.text, 200)}</b> · "
        f"{text(lang, 'report')}: <b>{fit(evidence.figure.text, 200)}</b>"
    )
    if evidence.outcome == "other_period":  # never a contradiction: say which period it is
        period = f" ({fit(evidence.period, 100)})" if evidence.period else ""
        return f"{line} · {text(lang, 'other_period')}{period}"
    comparison = evidence.comparison
    if comparison is None:
        return line
    if not comparison.comparable:
        return f"{line} · {text(lang, 'not_comparable')}"
    line += f" · {text(lang, 'same' if comparison.same else 'differs')}"
    if not comparison.same and comparison.relative_difference is not None:
        line += f" ({comparison.relative_difference:.0%})"
    return line


def render_verdict(
    verdict: Verdict,
    documents: Sequence[Mapping[str, Any]] = (),
    *,
    limit: int = MAX_MESSAGE,
    lang: str = "en",
) -> list[str]:
    """A fact-check verdict: label, explanation, then each evidence quote with its citation.

    `documents` (from `index.documents()`) completes citations the evidence does not carry.
    The explanation is the library's own sentence (English), shown when there is no evidence.
    """
    header = f"<b>{text(lang, 'verdict_' + verdict.verdict)}</b>"
    if verdict.claim:
        header += f"\n{text(lang, 'claim')}: <i>{fit(verdict.claim, 300)}</i>"
    if verdict.explanation and not verdict.evidence:
        header += f"\n{fit(verdict.explanation, 800)}"
    by_id = {d.get("id"): d for d in documents}
    blocks = []
    for i, e in enumerate(verdict.evidence, 1):
        passage = evidence_passage(e, by_id.get(e.doc_id))
        block = render_passage(passage, i, limit=limit - 1000, lang=lang)
        blocks.append(f"{block}\n{_comparison(e, lang)}")
    return pack(blocks, first=header, limit=limit)


# --- inline mode ------------------------------------------------------------------------------


def inline_results(answer: Answer, *, lang: str = "en") -> list[InlineQueryResultArticle]:
    """Inline-mode results: each inserts one quote with its citation."""
    results: list[InlineQueryResultArticle] = []
    if answer.status != "found":
        return results
    for i, p in enumerate(answer.passages[:MAX_INLINE_RESULTS], 1):
        results.append(
            InlineQueryResultArticle(
                id=f"{p.chunk_id}-{i}",
                title=(p.title or text(lang, "untitled"))[:200],
                description=(p.highlight or p.quote)[:200],
                input_message_content=InputTextMessageContent(
                    render_passage(p, lang=lang), parse_mode=ParseMode.HTML
                ),
            )
        )
    return results
