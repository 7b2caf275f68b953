"""Security gaps not covered elsewhere: the token in exceptions and tracebacks, the allow-list
beyond private messages, admin commands in groups, the default webhook secret, upload names
as a property, and memory that strangers' traffic cannot grow.

Covered in other files: non-admin /add /remove /reindex /stats and uploads in private chats
(test_telegram_bot), the token in logs under 5xx and dropped connections (test_telegram_bot),
the webhook with a configured secret (test_telegram_bot), URL ingestion refusing non-http(s)
schemes, private, loopback and link-local addresses with size and time limits (test_loaders),
upload names from a list of hostile examples (test_telegram_render).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
import traceback
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram.error import TelegramError

from bot.config import Settings
from bot.embedding import HashEmbedder
from bot.index import current_generation
from bot.telegram.app import build_application, webhook_options
from bot.telegram.state import RateLimiter, upload_path
from bot.telegram.transport import RetryingRequest
from tests.botapi_stub import BotApiStub, Faults, post_webhook
from tests.test_telegram_bot import (
    ADMIN,
    QUESTION,
    TOKEN,
    USER,
    quoted,
    replies,
    run,
    shown,
)

ROOT = Path(__file__).resolve().parent.parent
SECRET = TOKEN.split(":")[1]
GROUP = -100555

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def index_dir(corpus_index_dir: Path, tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(corpus_index_dir, tmp_path / "index"))


def _leaks(text: str) -> bool:
    return TOKEN in text or SECRET in text


def _everything(exc: BaseException) -> str:
    """All an exception can show: message, repr, and the formatted chain with its causes."""
    return f"{exc}\n{exc!r}\n" + "".join(traceback.format_exception(exc))


# --- the token ----------------------------------------------------------------------------------


def test_a_rejected_token_is_reported_without_showing_it(tmp_path: Path) -> None:
    """PTB's InvalidToken quotes the token (and logs it with a traceback): `reportbot run`
    must say what is wrong without it, even at -vv."""
    with BotApiStub("111:the-right-token") as stub:
        env = {
            **os.environ,
            "REPORTBOT_MODEL": "hash",
            "REPORTBOT_INDEX_DIR": str(tmp_path / "index"),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": stub.url,
        }
        proc = subprocess.run(
            [sys.executable, "-m", "bot.cli", "-vv", "run"],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=60,
        )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1
    assert "Error: Telegram rejected TELEGRAM_BOT_TOKEN" in proc.stderr.splitlines()[-1]
    assert "InvalidToken" in output  # PTB's own log line is there, redacted
    assert not _leaks(output), output[-2000:]


@pytest.mark.parametrize("kind", ["drop", "500", "unreachable"])
def test_transport_errors_never_carry_the_token(
    index_dir: Path, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    faults = Faults(rate=1.0, kinds=(kind,), methods=frozenset({"sendMessage"}))

    async def main(stub: BotApiStub) -> BaseException:
        url = stub.url
        if kind == "unreachable":
            with socket.socket() as s:  # a port nobody listens on
                s.bind(("127.0.0.1", 0))
                url = f"http://127.0.0.1:{s.getsockname()[1]}"
        settings = Settings(
            telegram_bot_token=TOKEN, telegram_api_base_url=url, index_dir=index_dir
        )
        request = RetryingRequest(attempts=2, backoff=0.01, connect_timeout=1)
        app = build_application(settings, embedder=HashEmbedder(), request=request)
        with pytest.raises(TelegramError) as failure:
            async with app:  # initialize: getMe (fails when unreachable)
                await app.bot.send_message(USER, "hello")  # fails by the stand-in's faults
        return failure.value

    with BotApiStub(TOKEN, faults=faults) as stub:
        stub.chat(USER)
        error = asyncio.run(main(stub))
    assert not _leaks(_everything(error)), _everything(error)
    assert not _leaks(caplog.text)
    assert "retrying" in caplog.text  # the errors really happened and were logged


# --- the allow-list -----------------------------------------------------------------------------


def test_allow_list_by_group_and_for_strangers_inline_queries(index_dir: Path) -> None:
    stranger = 666

    async def scenario(stub: BotApiStub) -> None:
        # a listed group: anyone in it is answered
        stub.push_message(f"/ask {QUESTION}", user_id=stranger, chat_id=GROUP, chat_type="group")
        await replies(stub, GROUP, 1)
        # (buttons: only members of a chat can press them, so the chat check covers them)
        stub.push_inline(QUESTION, user_id=stranger)
        stub.push_message(f"/ask {QUESTION}", user_id=stranger, chat_id=-100999, chat_type="group")
        stub.push_message(QUESTION, user_id=stranger)
        await replies(stub, stranger, 1)
        stub.push_inline(QUESTION, user_id=USER)  # the listed user's inline query: answered
        await stub.until(lambda: stub.inline_answers)
        await asyncio.sleep(0.5)

    stub = run(index_dir, scenario, allowed_ids=frozenset({USER, GROUP}))
    assert quoted(stub.messages(GROUP)[0])
    assert len(stub.inline_answers) == 1 and stub.inline_answers[0]["results"]
    assert stub.messages(-100999) == []  # an unlisted group: silence
    (refusal,) = stub.messages(stranger)
    assert "private" in shown(refusal) and not quoted(refusal)


# --- admin commands in groups -------------------------------------------------------------------


def test_admin_commands_and_uploads_in_groups_from_non_admins_change_nothing(
    index_dir: Path,
) -> None:
    before = current_generation(index_dir)

    async def scenario(stub: BotApiStub) -> None:
        bot = f"@{stub.username}"
        for command in (
            f"/add{bot} https://example.org/x.pdf",
            f"/remove{bot} argencon-mission-to-the-united-states",
            f"/reindex{bot}",
            f"/stats{bot}",
        ):
            stub.push_message(command, chat_id=GROUP, chat_type="supergroup")
        doc = stub.add_file("evil.txt", b"Evil report.\n\nIt says 99% of everything.")
        stub.push_message(chat_id=GROUP, chat_type="supergroup", extra={"document": doc})
        await replies(stub, GROUP, 4)
        await asyncio.sleep(0.5)

    stub = run(index_dir, scenario)
    assert len(stub.messages(GROUP)) == 4  # the upload in the group: ignored, not downloaded
    assert all("only the bot's admins" in shown(m) for m in stub.messages(GROUP))
    assert current_generation(index_dir) == before
    assert stub.method_calls("getFile") == [] and not (index_dir / "uploads").exists()


def test_an_admin_in_a_group_is_still_an_admin(index_dir: Path) -> None:
    async def scenario(stub: BotApiStub) -> None:
        stub.push_message(
            f"/stats@{stub.username}", user_id=ADMIN, chat_id=GROUP, chat_type="supergroup"
        )
        await replies(stub, GROUP, 1)

    assert "Questions asked" in shown(run(index_dir, scenario).messages(GROUP)[0])


# --- webhook ------------------------------------------------------------------------------------


def test_webhook_without_a_configured_secret_still_requires_one(index_dir: Path) -> None:
    """No TELEGRAM_WEBHOOK_SECRET: a random secret is registered and enforced."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    def post(secret: str | None, payload: dict) -> int:
        update = {"update_id": 77, "message": payload}
        return post_webhook(f"http://127.0.0.1:{port}/hook", update, secret)

    with BotApiStub(TOKEN) as stub:
        settings = Settings(
            telegram_bot_token=TOKEN,
            telegram_api_base_url=stub.url,
            index_dir=index_dir,
            telegram_webhook_url="https://bot.example.org/hook",
            webhook_listen="127.0.0.1",
            webhook_port=port,
        )
        options = webhook_options(settings)
        assert len(options["secret_token"]) >= 32
        assert webhook_options(settings)["secret_token"] != options["secret_token"]

        async def main() -> list[int]:
            app = build_application(settings, embedder=HashEmbedder())
            async with app:
                await app.start()
                await app.updater.start_webhook(**options)
                payload = stub.message_payload(QUESTION)
                codes = [
                    await asyncio.to_thread(post, secret, payload)
                    for secret in (None, "guess", options["secret_token"])
                ]
                await stub.until(lambda: stub.messages(USER))
                await app.updater.stop()
                await app.stop()
            return codes

        codes = asyncio.run(main())
    assert codes == [403, 403, 200]
    assert stub.webhook["secret_token"] == options["secret_token"]
    assert len(stub.messages(USER)) == 1


# --- upload names and memory --------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(name=st.one_of(st.none(), st.text(max_size=300)), fallback=st.text(max_size=80))
def test_no_upload_name_leaves_the_uploads_folder(tmp_path_factory, name, fallback) -> None:
    uploads = tmp_path_factory.getbasetemp() / "uploads"
    path = upload_path(uploads, name, fallback)
    assert path.parent == uploads.resolve()
    assert path.name and not path.name.startswith(".") and path.name not in ("..", ".")
    assert "/" not in path.name and "\\" not in path.name and "\x00" not in path.name
    assert len(path.name.encode()) <= 255


def test_rate_limiter_forgets_idle_users() -> None:
    """A flood of distinct users must not grow the bot's memory for ever."""
    now = [0.0]
    limiter = RateLimiter(5, clock=lambda: now[0])
    for user in range(10_000):
        assert limiter.allow(user)
    now[0] = 61.0
    assert limiter.allow(1)
    assert len(limiter._events) == 1
    for _ in range(4):
        assert limiter.allow(1)
    assert not limiter.allow(1) and limiter.retry_in(1) > 0  # the limit itself still holds
