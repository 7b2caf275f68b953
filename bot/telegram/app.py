"""The bot wired in one place (`build_application`), its start-up, and `reportbot run`."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any
from urllib.parse import urlparse

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    InvalidToken,
    TelegramError,
)
from telegram.ext import (
    AIORateLimiter,
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
from bot.telegram.render import (
    ADMIN_COMMANDS,
    BOT_COMMANDS,
)
from bot.telegram.state import BotState, RateLimiter
from bot.telegram.transport import RetryingRequest

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
    """Load the index and the model, warm them up, and register the commands."""
    svc: handlers.Services = application.bot_data[handlers.SERVICES]
    await svc.index.refresh()
    try:
        index = await svc.index.get()
        await asyncio.to_thread(answering.answer, index, "warm up", k=1)
        log.info("index ready: %s", index.info())
    except (ReportbotError, InvalidQuestion) as exc:
        log.error("the bot starts without an index: %s", exc)
    commands = [BotCommand(c, d) for c, d in BOT_COMMANDS]
    admin = commands + [BotCommand(c, d) for c, d in ADMIN_COMMANDS]
    await application.bot.set_my_commands(commands, scope=BotCommandScopeDefault())
    for admin_id in svc.settings.admin_ids:
        try:
            await application.bot.set_my_commands(admin, scope=BotCommandScopeChat(admin_id))
        except TelegramError as exc:  # the admin has not opened a chat with the bot yet
            log.info("could not set admin commands for %s: %s", admin_id, exc)


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
        .rate_limiter(AIORateLimiter(max_retries=5))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                allow_sending_without_reply=True,
            )
        )
        .concurrent_updates(True)
        .post_init(_post_init)
        .build()
    )
    application.bot_data[handlers.SERVICES] = handlers.Services(
        settings=settings,
        index=IndexHolder(settings.index_dir, embedder),
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
            CallbackQueryHandler(handlers.feedback_button, pattern=r"^fb:"),
            InlineQueryHandler(handlers.inline_query),
            TypeHandler(Update, handlers.ignore),
        ]
    )
    application.add_error_handler(handlers.on_error)
    return application


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
    }


def run_bot(settings: Settings) -> None:
    """`reportbot run`: long polling, or a webhook when TELEGRAM_WEBHOOK_URL is set."""
    application = build_application(settings)
    try:
        if settings.telegram_webhook_url:
            application.run_webhook(**webhook_options(settings))
        else:
            application.run_polling(allowed_updates=Update.ALL_TYPES)
    except InvalidToken:  # PTB's message quotes the token: say what is wrong without it
        raise ReportbotError(
            "Telegram rejected TELEGRAM_BOT_TOKEN (revoked or mistyped); "
            "copy the current token from @BotFather."
        ) from None
