"""The bot wired in one place (`build_application`), its start-up, and `reportbot run`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Iterable
from typing import Any
from urllib.parse import urlparse

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    InvalidToken,
    TelegramError,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import answering
from bot.config import Settings
from bot.errors import InvalidQuestion, ReportbotError
from bot.index import IndexHolder
from bot.telegram import handlers
from bot.telegram.messages import (
    ADMIN_COMMANDS,
    COMMANDS,
    DEFAULT,
    DESCRIPTION,
    SHORT_DESCRIPTION,
)
from bot.telegram.state import BotState, RateLimiter
from bot.telegram.transport import FloodLimiter, RetryingRequest

log = logging.getLogger(__name__)


log = logging.getLogger(__name__)


# --- wiring -----------------------------------------------------------------------------------


def api_urls(base: str | None) -> tuple[str, str]:
    """(base_url, base_file_url) for PTB from TELEGRAM_API_BASE_URL (a server root)."""
    root = (base or "https://api.telegram.org").rstrip("/")
    root = root.removesuffix("/bot")
    return f"{root}/bot", f"{root}/file/bot"


class TokenFilter(logging.Filter):
    """Replaces the bot token in a log record's message with `<token>`."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = message.replace(self.token, "<token>"), ()
        if record.exc_info and record.exc_info[1] is not None:
            # PTB logs InvalidToken with its traceback, and its message quotes the token.
            text = logging.Formatter().formatException(record.exc_info)
            if self.token in text:
                record.exc_info, record.exc_text = None, text.replace(self.token, "<token>")
        return True


# Loggers that see Bot API URLs (which contain the token): PTB's Bot logs them at DEBUG.
_URL_LOGGERS = ("telegram.Bot", "telegram.ext.ExtBot", "telegram.request.BaseRequest", "httpx")


def protect_token(token: str) -> None:
    """Keep the token out of logs: httpx at WARNING (it logs every URL at INFO), and a
    redacting filter on the loggers that see URLs and on the root handlers."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    targets: list[logging.Filterer] = [logging.getLogger(n) for n in _URL_LOGGERS]
    targets += logging.getLogger().handlers
    for target in targets:
        if not any(isinstance(f, TokenFilter) and f.token == token for f in target.filters):
            target.addFilter(TokenFilter(token))


async def _post_init(application: Application) -> None:
    """Load the index and the model and warm them up; set the bot's profile in the background.

    Nothing here can stop the bot: without an index it starts and says what is wrong, and the
    profile (command menus, descriptions) is decoration that Telegram may refuse.
    """
    svc: handlers.Services = application.bot_data[handlers.SERVICES]
    await svc.index.refresh()
    try:
        index = await svc.index.get()
        await asyncio.to_thread(answering.answer, index, "warm up", k=1)
        log.info("index ready: %s", index.info())
    except (ReportbotError, InvalidQuestion) as exc:
        log.error("the bot starts without an index: %s", exc)
    task = asyncio.get_running_loop().create_task(
        set_profile(application.bot, svc.settings.admin_ids), name="reportbot:set_profile"
    )
    application.bot_data[_PROFILE_TASK] = task


async def _post_stop(application: Application) -> None:
    """Stop setting the profile if Telegram is still being slow about it."""
    task = application.bot_data.pop(_PROFILE_TASK, None)
    if task is not None and not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


_PROFILE_TASK = "reportbot:profile_task"


def profile_calls(bot: Bot, admin_ids: Iterable[int]) -> list[tuple[str, Awaitable[Any]]]:
    """The bot's profile as Bot API calls, each with what it sets: the command menus (users',
    and admins' in their own chats) and the descriptions, in every language the bot speaks."""
    calls: list[tuple[str, Awaitable[Any]]] = []
    for lang in COMMANDS:
        code = None if lang == DEFAULT else lang  # None: Telegram's fallback for all languages
        where = f" ({lang})"
        users = [BotCommand(c, d) for c, d in COMMANDS[lang]]
        admins = users + [BotCommand(c, d) for c, d in ADMIN_COMMANDS[lang]]
        calls.append(("command menu" + where, bot.set_my_commands(users, language_code=code)))
        calls += [
            (
                f"admin command menu for {admin_id}{where}",
                bot.set_my_commands(
                    admins, scope=BotCommandScopeChat(admin_id), language_code=code
                ),
            )
            for admin_id in sorted(admin_ids)
        ]
        calls.append(("description" + where, bot.set_my_description(DESCRIPTION[lang], code)))
        calls.append(
            (
                "short description" + where,
                bot.set_my_short_description(SHORT_DESCRIPTION[lang], code),
            )
        )
    return calls


async def set_profile(bot: Bot, admin_ids: Iterable[int]) -> list[str]:
    """Set the bot's profile; what Telegram refused or did not answer is one warning, no more.

    Returns what could not be set. The calls run together, are not retried after a 429 (they
    are set again at the next start), and never stop the bot: answering does not need them.
    """
    calls = profile_calls(bot, admin_ids)
    results = await asyncio.gather(*(call for _, call in calls), return_exceptions=True)
    failed: list[str] = []
    for (what, _), result in zip(calls, results, strict=True):
        if isinstance(result, TelegramError):
            failed.append(f"{what}: {result}")
        elif isinstance(result, Exception):  # a bug, not Telegram: say so, with its traceback
            log.error("setting the %s failed unexpectedly", what, exc_info=result)
            failed.append(f"{what}: {type(result).__name__}")
    if failed:
        log.warning(
            "Telegram did not set part of the bot's profile (the bot works without it): %s",
            "; ".join(failed),
        )
    return failed


def build_application(
    settings: Settings,
    *,
    embedder: Any = None,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
) -> Application:
    """The whole bot, wired in one place. `embedder` defaults to the configured model."""
    token = (
        settings.telegram_bot_token.get_secret_value().strip()
        if settings.telegram_bot_token
        else ""
    )
    if not token:
        raise ReportbotError("TELEGRAM_BOT_TOKEN is not set: get one from @BotFather.")
    protect_token(token)
    _quiet_shutdown()
    if embedder is None:
        from bot.embedding import get_embedder  # loads lazily; the model itself loads on first use

        embedder = get_embedder(settings.model)
    base_url, base_file_url = api_urls(settings.telegram_api_base_url)
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .base_file_url(base_file_url)
        .request(request or RetryingRequest(connection_pool_size=64, read_timeout=10))
        .get_updates_request(get_updates_request or RetryingRequest(connection_pool_size=2))
        .rate_limiter(FloodLimiter(max_retries=5))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                allow_sending_without_reply=True,
            )
        )
        .concurrent_updates(True)
        .post_init(_post_init)
        .post_stop(_post_stop)
        .build()
    )
    application.bot_data[handlers.SERVICES] = handlers.Services(
        settings=settings,
        index=IndexHolder(settings.location, embedder),
        state=BotState(settings.index_dir / "bot.db"),
        limiter=RateLimiter(settings.rate_limit_per_minute),
        embedder=embedder,
    )

    new = filters.UpdateType.MESSAGE  # not edits, not channel posts
    admin = new & filters.User(user_id=settings.admin_ids)
    admin_commands = ["add", "remove", "reindex", "stats"]
    private = filters.ChatType.PRIVATE
    private_text = new & private & filters.TEXT & ~filters.COMMAND
    group_text = (
        new & filters.ChatType.GROUPS & filters.TEXT & ~filters.COMMAND & handlers.AddressedToBot()
    )

    application.add_handler(TypeHandler(Update, handlers.gate), group=-1)
    application.add_handlers(
        [
            CommandHandler(["start", "help"], handlers.help_command, filters=new),
            CommandHandler("sources", handlers.sources_command, filters=new),
            CommandHandler("ask", handlers.ask_command, filters=new),
            CommandHandler("check", handlers.check_command, filters=new),
            CommandHandler("add", handlers.add_command, filters=admin),
            CommandHandler("remove", handlers.remove_command, filters=admin),
            CommandHandler("reindex", handlers.reindex_command, filters=admin),
            CommandHandler("stats", handlers.stats_command, filters=admin),
            CommandHandler(admin_commands, handlers.refuse, filters=new),
            MessageHandler(admin & private & filters.Document.ALL, handlers.upload_document),
            MessageHandler(new & private & filters.Document.ALL, handlers.refuse),
            MessageHandler(private_text | group_text, handlers.ask_message),
            CallbackQueryHandler(handlers.more_button, pattern=r"^more:"),
            CallbackQueryHandler(handlers.context_button, pattern=r"^ctx:"),
            CallbackQueryHandler(handlers.source_button, pattern=r"^src:"),
            CallbackQueryHandler(handlers.search_report_button, pattern=r"^sdoc:"),
            CallbackQueryHandler(handlers.feedback_button, pattern=r"^fb:"),
            InlineQueryHandler(handlers.inline_query),
            TypeHandler(Update, handlers.ignore),
        ]
    )
    application.add_error_handler(handlers.on_error)
    return application


def polling_options() -> dict[str, Any]:
    """Arguments for `run_polling`/`start_polling`: every update type, and removing a webhook
    (which Telegram requires before polling) retried until Telegram answers, never fatal."""
    return {"allowed_updates": Update.ALL_TYPES, "bootstrap_retries": -1}


def webhook_options(settings: Settings) -> dict[str, Any]:
    """Arguments for `run_webhook`/`start_webhook`: always with a secret token, so requests that
    do not carry Telegram's X-Telegram-Bot-Api-Secret-Token header are refused (403)."""
    url = settings.telegram_webhook_url or ""
    secret = (
        settings.telegram_webhook_secret.get_secret_value()
        if settings.telegram_webhook_secret
        else secrets.token_urlsafe(32)
    )
    return {
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "url_path": urlparse(url).path.lstrip("/"),
        "webhook_url": url,
        "secret_token": secret,
        "allowed_updates": Update.ALL_TYPES,
        "bootstrap_retries": 2,  # then stop with one sentence: a bot without its webhook is deaf
    }


class ShutdownNotice(logging.Filter):
    """PTB's one shutdown call (a last getUpdates, confirming the updates handled) logs its
    failure as an error with a traceback; it is a warning: the bot stops cleanly either way."""

    PREFIX = "Error while calling `get_updates` one more time"

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.WARNING and str(record.msg).startswith(self.PREFIX):
            reason = record.exc_info[1] if record.exc_info else None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg = (
                "Telegram did not confirm the last updates at shutdown (%s); "
                "they may be delivered again at the next start."
            )
            record.args, record.exc_info, record.exc_text = (reason,), None, None
        return True


def _quiet_shutdown() -> None:
    updater_log = logging.getLogger("telegram.ext.Updater")
    if not any(isinstance(f, ShutdownNotice) for f in updater_log.filters):
        updater_log.addFilter(ShutdownNotice())


def run_bot(settings: Settings) -> None:
    """`reportbot run`: long polling, or a webhook when TELEGRAM_WEBHOOK_URL is set.

    Stops, with one sentence, only when Telegram rejects the token, cannot be reached at all
    at start-up, or will not set the webhook. Removing a webhook before polling is retried
    until Telegram answers (polling cannot work while one is set).
    """
    application = build_application(settings)
    try:
        if settings.telegram_webhook_url:
            application.run_webhook(**webhook_options(settings))
        else:
            application.run_polling(**polling_options())
    except InvalidToken:  # PTB's message quotes the token: say what is wrong without it
        raise ReportbotError(
            "Telegram rejected TELEGRAM_BOT_TOKEN (revoked or mistyped); "
            "copy the current token from @BotFather."
        ) from None
    except TelegramError as exc:
        if settings.telegram_webhook_url:
            raise ReportbotError(
                f"Telegram would not set the webhook {settings.telegram_webhook_url} ({exc}); "
                "check TELEGRAM_WEBHOOK_URL (a public https:// address) and the network."
            ) from None
        raise ReportbotError(
            f"Could not reach the Telegram Bot API at start-up ({exc}); "
            "check the network and TELEGRAM_API_BASE_URL."
        ) from None
