"""Thin handlers: parse the update, call one library function off the event loop, render.

Domain errors (`ReportbotError`) reach the user as their one-sentence message through the one
error handler, `on_error`; anything else is logged with its traceback and the user is told
something went wrong.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from telegram import (
    ForceReply,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    TelegramError,
    TimedOut,
)
from telegram.ext import (
    ApplicationHandlerStop,
    ContextTypes,
    filters,
)

from bot import answering, factcheck, ingest
from bot.config import Settings
from bot.errors import DocumentNotFound, InvalidQuestion, QuestionTooLong, ReportbotError
from bot.index import IndexHolder, ReportIndex
from bot.models import DocumentMeta, SearchFilter
from bot.progress import IngestProgress, Progress, ProgressEvent
from bot.telegram.messages import MESSAGES, language, number, text
from bot.telegram.render import (
    answer_keyboard,
    esc,
    fit,
    inline_results,
    parse_callback,
    render_answer,
    render_context,
    render_help,
    render_ingest,
    render_source,
    render_sources,
    render_stats,
    render_verdict,
    source_keyboard,
)
from bot.telegram.state import BotState, RateLimiter, upload_path

log = logging.getLogger(__name__)

ANSWER_PASSAGES = 3
INLINE_PASSAGES = 5
SERVICES = "reportbot"  # key of the Services object in application.bot_data


# --- what handlers share ----------------------------------------------------------------------


@dataclass
class Services:
    """Everything the handlers use, built once in `build_application`."""

    settings: Settings
    index: IndexHolder
    state: BotState
    limiter: RateLimiter
    embedder: Any

    @property
    def uploads_dir(self) -> Path:
        return self.settings.index_dir / "uploads"

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.settings.admin_ids


def _svc(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data[SERVICES]


class AddressedToBot(filters.MessageFilter):
    """Group messages that mention the bot or reply to one of its messages."""

    def filter(self, message: Message) -> bool:
        bot = message.get_bot()
        replied = message.reply_to_message
        if replied and replied.from_user and replied.from_user.id == bot.id:
            return True
        mention = f"@{bot.username}".lower()
        return any(
            entity.lower() == mention
            for entity in message.parse_entities([MessageEntity.MENTION]).values()
        )


def _question_text(message: Message, args_only: bool) -> str:
    """The question in a message: after the command, or the text without the bot's @mention."""
    raw = message.text or ""
    if args_only:
        parts = raw.split(None, 1)
        return parts[1].strip() if len(parts) > 1 else ""
    username = message.get_bot().username
    return re.sub(rf"@{re.escape(username)}\b", " ", raw, flags=re.IGNORECASE).strip()


async def _send(
    message: Message, texts: Sequence[str], markup: InlineKeyboardMarkup | None = None
) -> None:
    """Send HTML messages in order, the keyboard under the last one; quote in groups.

    A read timeout means Telegram got the message but its answer was lost: the message was
    most likely delivered, so it is neither resent nor followed by an apology (a duplicate or
    a contradiction). The remaining parts are still sent.
    """
    quote = message.chat.type != ChatType.PRIVATE
    for i, html in enumerate(texts):
        last = i == len(texts) - 1
        try:
            await message.reply_html(
                html, reply_markup=markup if last else None, do_quote=quote and i == 0
            )
        except TimedOut as exc:
            log.warning("sending a reply timed out (it was probably delivered): %s", exc)


async def _typing(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Best-effort 'typing…' indicator: failing to show it must not stop the answer."""
    chat = update.effective_chat
    if chat is None:
        return
    try:
        await context.bot.send_chat_action(chat.id, ChatAction.TYPING)
    except TelegramError as exc:
        log.info("typing action failed: %s", exc)


def _lang(update: Update) -> str:
    """The language of the bot's own words for this user (Telegram's `language_code`)."""
    user = update.effective_user
    return language(user.language_code if user else None)


def _error_text(lang: str, error: ReportbotError) -> str:
    """A domain error for the user: its own sentence, or its kind in the user's language."""
    key = f"error_{type(error).__name__}"
    if lang != "en" and key in MESSAGES.get(lang, {}):
        return text(lang, key)
    return esc(error)


def _refusal(
    svc: Services, user_id: int | None, question: str, lang: str, usage: str = "ask_usage"
) -> str | None:
    """Why a question is not processed (empty, not words, too long, rate limited), or None.

    The length check is the library's (`prepare_question`, with the configured limit), done
    before the rate limiter so that a refused question does not use up the user's allowance.
    """
    if not question.strip():
        return text(lang, usage)
    try:
        answering.prepare_question(question, svc.settings.max_question_chars)
    except QuestionTooLong as exc:
        return text(
            lang, "too_long", length=number(lang, exc.length), limit=number(lang, exc.limit)
        )
    except InvalidQuestion:
        return text(lang, "not_words")
    if user_id is not None and not svc.limiter.allow(user_id):
        return text(lang, "rate_limited", wait=svc.limiter.retry_in(user_id))
    return None


async def _answer_and_reply(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    question: str,
    *,
    offset: int = 0,
    doc_ids: tuple[str, ...] = (),
) -> None:
    """Shared by /ask, plain messages and More: refuse or answer, then send the reply.

    `doc_ids` restricts the search to those reports ("search in this report").
    """
    svc = _svc(context)
    message = update.effective_message
    user = update.effective_user
    lang = _lang(update)
    refusal = _refusal(svc, user.id if user else None, question, lang)
    if refusal:
        await message.reply_html(refusal)
        return
    await _typing(update, context)
    index = await svc.index.get()
    result = await asyncio.to_thread(
        answering.answer,
        index,
        question,
        k=ANSWER_PASSAGES,
        offset=offset,
        max_chars=svc.settings.max_question_chars,
        filters=SearchFilter(doc_ids=doc_ids) if doc_ids else None,
    )
    question_id = await asyncio.to_thread(
        svc.state.record_question,
        result.question,  # as answered: cleaned of control characters and lone surrogates
        user_id=user.id if user else None,
        chat_id=update.effective_chat.id if update.effective_chat else None,
        status=result.status,
        passages=len(result.passages),
        doc_ids=doc_ids,
    )
    within = index.document_listing(doc_ids[0])["title"] if len(doc_ids) == 1 else ""
    keyboard = answer_keyboard(result, question_id, k=ANSWER_PASSAGES, lang=lang)
    await _send(message, render_answer(result, offset=offset, lang=lang, within=within), keyboard)


def _named_report(index: ReportIndex, text_after_command: str) -> tuple[str, str]:
    """`/ask DOC_ID question` → (DOC_ID, question) when the first word is an indexed id."""
    first, _, rest = text_after_command.partition(" ")
    if not re.fullmatch(r"[\w.-]{1,200}", first):
        return "", text_after_command
    try:
        index.document_listing(first)
    except DocumentNotFound:
        return "", text_after_command
    return first, rest.strip()


# --- user handlers ----------------------------------------------------------------------------


async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop updates from outside the allow-list, when one is set."""
    settings = _svc(context).settings
    if not settings.allowed_ids:
        return
    allowed = settings.admin_ids | settings.allowed_ids
    user, chat = update.effective_user, update.effective_chat
    if (user and user.id in allowed) or (chat and chat.id in allowed):
        return
    if chat and chat.type == ChatType.PRIVATE and update.message:
        await update.message.reply_text(text(_lang(update), "private_bot"))
    raise ApplicationHandlerStop


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start and /help: what the bot knows and how to use it."""
    svc = _svc(context)
    lang = _lang(update)
    problem = ""
    try:
        documents = (await svc.index.get()).documents()
    except ReportbotError as exc:  # no index, or a damaged one: say which
        documents, problem = [], f"\n\n⚠️ {_error_text(lang, exc)}"
    user = update.effective_user
    reply = render_help(
        documents,
        bot_username=context.bot.username,
        is_admin=svc.is_admin(user and user.id),
        lang=lang,
    )
    await update.effective_message.reply_html(reply + problem)


async def sources_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/sources: list the indexed documents."""
    index = await _svc(context).index.get()
    await _send(update.effective_message, render_sources(index.documents(), lang=_lang(update)))


async def ask_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask QUESTION, or /ask DOC_ID QUESTION to search one report only."""
    asked = _question_text(update.effective_message, True)
    doc_id, question = _named_report(await _svc(context).index.get(), asked)
    if doc_id and not question:
        usage = text(_lang(update), "ask_doc_usage", doc_id=esc(doc_id))
        await update.effective_message.reply_html(usage)
        return
    doc_ids = (doc_id,) if doc_id else ()
    await _answer_and_reply(update, context, question, doc_ids=doc_ids)


async def ask_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A plain message (private chat) or one addressed to the bot (group) is a question.

    A reply to a "search in this report" prompt searches that report only.
    """
    message = update.effective_message
    replied = message.reply_to_message
    prompts = _report_prompts(context)
    doc_id = prompts.get(replied.message_id) if replied else None
    doc_ids = (doc_id,) if doc_id else ()
    await _answer_and_reply(update, context, _question_text(message, False), doc_ids=doc_ids)


async def check_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/check CLAIM: say whether the reports support a claim, with the evidence quoted."""
    svc = _svc(context)
    message = update.effective_message
    lang = _lang(update)
    claim = _question_text(message, True)
    refusal = _refusal(svc, update.effective_user.id, claim, lang, usage="check_usage")
    if refusal:
        await message.reply_html(refusal)
        return
    await _typing(update, context)
    index = await svc.index.get()
    verdict = await asyncio.to_thread(
        factcheck.check, index, claim, max_chars=svc.settings.max_question_chars
    )
    documents = [index.document_listing(d) for d in {e.doc_id for e in verdict.evidence}]
    await _send(message, render_verdict(verdict, documents, lang=lang))


async def more_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """More: the next passages for the same question (in the same report, if it named one)."""
    query = update.callback_query
    _, (question_id, offset) = parse_callback(query.data)
    asked = await asyncio.to_thread(_svc(context).state.asked, question_id)
    await query.answer(None if asked else text(_lang(update), "question_expired"))
    if asked:
        question, doc_ids = asked
        await _answer_and_reply(update, context, question, offset=offset, doc_ids=doc_ids)


async def context_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Context: the paragraphs around a quote."""
    query = update.callback_query
    _, (chunk_id,) = parse_callback(query.data)
    index = await _svc(context).index.get()
    chunk = index.chunk(chunk_id)
    neighbours = index.neighbours(chunk_id, before=1, after=1)
    document = index.document_listing(chunk["doc_id"])
    await query.answer()
    reply = render_context(neighbours, chunk_id, document, lang=_lang(update))
    await _send(query.message, [reply])


async def source_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Source: the document's details and link, with "search in this report"."""
    query = update.callback_query
    _, (chunk_id,) = parse_callback(query.data)
    index = await _svc(context).index.get()
    document = index.document_listing(index.chunk(chunk_id)["doc_id"])
    lang = _lang(update)
    await query.answer()
    card = render_source(document, lang=lang)
    await _send(query.message, [card], source_keyboard(chunk_id, lang=lang))


MAX_REPORT_PROMPTS = 50  # per chat: open "search in this report" prompts remembered


def _report_prompts(context: ContextTypes.DEFAULT_TYPE) -> dict[int, str]:
    """This chat's open "search in this report" prompts: prompt message id → document id."""
    chat_data = context.chat_data if context.chat_data is not None else {}
    return chat_data.setdefault("report_prompts", {})


async def search_report_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """🔍 under a source card: ask for a question about that report (reply or /ask DOC_ID)."""
    query = update.callback_query
    _, (chunk_id,) = parse_callback(query.data)
    index = await _svc(context).index.get()
    document = index.document_listing(index.chunk(chunk_id)["doc_id"])
    lang = _lang(update)
    await query.answer()
    title = fit(document["title"] or text(lang, "untitled"), 300)
    prompt = await query.message.reply_html(
        text(lang, "search_doc_prompt", title=title, doc_id=esc(document["id"])),
        reply_markup=ForceReply(selective=True),
    )
    prompts = _report_prompts(context)
    prompts[prompt.message_id] = document["id"]
    for old in list(prompts)[:-MAX_REPORT_PROMPTS]:
        del prompts[old]


async def feedback_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """👍/👎: store feedback with the question."""
    query = update.callback_query
    _, (question_id, value) = parse_callback(query.data)
    stored = await asyncio.to_thread(
        _svc(context).state.record_feedback, question_id, query.from_user.id, value
    )
    await query.answer(text(_lang(update), "feedback_thanks" if stored else "feedback_expired"))


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """@bot question in any chat: the top passages as results, each inserting quote + citation."""
    svc = _svc(context)
    query = update.inline_query
    lang = _lang(update)
    question = query.query.strip()
    if len(question) < 3 or _refusal(svc, query.from_user.id, question, lang):
        await query.answer([], cache_time=5, is_personal=True)
        return
    index = await svc.index.get()
    result = await asyncio.to_thread(
        answering.answer,
        index,
        question,
        k=INLINE_PASSAGES,
        max_chars=svc.settings.max_question_chars,
    )
    await query.answer(inline_results(result, lang=lang), cache_time=300)


async def ignore(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Anything else (stickers, photos, edits, channel posts): note it and stay quiet."""
    log.debug("ignored update %s", update.update_id)


# --- admin handlers ---------------------------------------------------------------------------


class StatusProgress(IngestProgress):
    """Follows an ingest (phase, counts, rate, time left: `bot.progress`) in one status message,
    edited at most once a second and never after the outcome is shown."""

    def __init__(self, status: Message, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.status = status
        self.loop = loop
        self.lock = asyncio.Lock()
        self.done = False
        self.last = 0.0

    def on_event(self, event: ProgressEvent) -> None:
        """Called from the ingest thread once the event is counted."""
        now = time.monotonic()
        if now - self.last < 1.0:
            return
        self.last = now
        asyncio.run_coroutine_threadsafe(self.edit(esc(self.status_text())), self.loop)

    async def edit(self, html: str, *, final: bool = False) -> None:
        async with self.lock:
            if self.done:
                return
            self.done = final
            with contextlib.suppress(BadRequest):  # "message is not modified"
                await self.status.edit_text(html, parse_mode=ParseMode.HTML)


async def _ingest_with_status(
    context: ContextTypes.DEFAULT_TYPE, status: Message, job: Callable[..., Any]
) -> None:
    """Run an ingest job off the loop, editing `status` with progress and then the outcome."""
    svc = _svc(context)
    progress = StatusProgress(status, asyncio.get_running_loop())
    try:
        report = await asyncio.to_thread(job, progress)
    except ReportbotError as exc:
        await progress.edit(f"❌ {esc(exc)}", final=True)
        return
    await svc.index.refresh(force=True)
    documents = (await svc.index.get()).documents()
    await progress.edit(render_ingest(report, documents), final=True)


async def upload_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An admin sent a file: download it, ingest it, reply with what was indexed."""
    svc = _svc(context)
    message = update.effective_message
    document = message.document
    if (document.file_size or 0) > svc.settings.max_file_bytes:
        await message.reply_text(
            f"That file is over the {svc.settings.max_file_bytes:,}-byte limit."
        )
        return
    path = upload_path(svc.uploads_dir, document.file_name, document.file_unique_id)
    status = await message.reply_html(f"⏳ Downloading <i>{fit(path.name, 200)}</i>…")
    path.parent.mkdir(parents=True, exist_ok=True)
    await (await document.get_file()).download_to_drive(path)
    meta = DocumentMeta(title=message.caption.strip()) if message.caption else None
    job = partial(_ingest_job, svc, [path], meta=meta)
    await _ingest_with_status(context, status, job)


async def add_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/add URL [title]: fetch a document from the web and index it."""
    svc = _svc(context)
    message = update.effective_message
    parts = _question_text(message, True).split(None, 1)
    if not parts or urlparse(parts[0]).scheme not in ("http", "https"):
        await message.reply_html("Usage: <code>/add https://example.org/report.pdf [title]</code>")
        return
    meta = DocumentMeta(title=parts[1].strip()) if len(parts) > 1 else None
    status = await message.reply_html(f"⏳ Fetching {fit(parts[0], 300)}…")
    await _ingest_with_status(context, status, partial(_ingest_job, svc, [parts[0]], meta=meta))


async def remove_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/remove DOC: take a document out of the index."""
    svc = _svc(context)
    message = update.effective_message
    doc_ids = _question_text(message, True).split()
    if not doc_ids:
        await message.reply_html("Usage: <code>/remove DOC_ID</code> (ids are in /sources)")
        return
    status = await message.reply_html("⏳ Removing…")
    job = partial(_remove_job, svc, doc_ids)
    await _ingest_with_status(context, status, job)


async def reindex_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reindex: rebuild the index from its sources."""
    svc = _svc(context)
    sources = [d["source"] for d in (await svc.index.get()).documents() if d.get("source")]
    status = await update.effective_message.reply_html(
        f"⏳ Rebuilding the index from {len(sources)} sources…"
    )
    await _ingest_with_status(context, status, partial(_ingest_job, svc, sources, rebuild=True))


async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats: index figures and usage counts."""
    svc = _svc(context)
    info = (await svc.index.get()).info()
    usage = await asyncio.to_thread(svc.state.counts)
    await update.effective_message.reply_html(render_stats(info, usage))


async def refuse(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Admin commands and uploads from anyone else: a polite refusal, nothing changes."""
    log.info(
        "refused admin action from user %s", update.effective_user and update.effective_user.id
    )
    await update.effective_message.reply_text(text(_lang(update), "not_admin"))


def _ingest_job(
    svc: Services,
    sources: list[Any],
    progress: Progress,
    meta: DocumentMeta | None = None,
    rebuild: bool = False,
) -> ingest.IngestReport:
    settings = svc.settings
    return ingest.ingest(
        settings.location,
        sources,
        embedder=svc.embedder,
        meta=meta,
        rebuild=rebuild,
        progress=progress,
        max_bytes=settings.max_file_bytes,
        fetch_timeout=settings.fetch_timeout,
        allow_private=settings.allow_private_urls,
    )


def _remove_job(svc: Services, doc_ids: list[str], progress: Progress) -> ingest.IngestReport:
    return ingest.remove(svc.settings.location, doc_ids, embedder=svc.embedder)


# --- errors -----------------------------------------------------------------------------------


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error (with traceback when unexpected) and tell the user, if there is one."""
    error = context.error
    lang = _lang(update) if isinstance(update, Update) else "en"
    if isinstance(error, ReportbotError):
        log.warning("%s: %s", type(error).__name__, error)
        reply = f"⚠️ {_error_text(lang, error)}"
    elif isinstance(error, Forbidden):
        log.info("cannot reach the user (blocked the bot or left the chat): %s", error)
        return
    elif isinstance(error, BadRequest) and "not modified" in str(error).lower():
        return
    elif isinstance(error, NetworkError) and update is None:
        log.warning("Bot API unreachable: %s", error)  # polling retries by itself
        return
    else:
        log.error("unhandled error in update handling", exc_info=error)
        reply = text(lang, "sorry")
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query:
            await update.callback_query.answer(re.sub(r"<[^>]+>", "", reply)[:190])
        elif update.inline_query:
            await update.inline_query.answer([], cache_time=0)
        elif update.effective_message and update.effective_chat:
            await update.effective_message.reply_html(reply)
    except TelegramError as exc:
        log.warning("could not tell the user about the error: %s", exc)
