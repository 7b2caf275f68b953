"""Start-up and shutdown whatever Telegram says (issue 15.2), against the local stand-in.

The bot's profile (command menus, descriptions, admin scopes) is decoration: whichever way
Telegram fails it (500, 429 with retry_after, no answer in time) the failure is one warning and
the bot answers. Removing a webhook before polling is retried until it works. The one shutdown
call (a last getUpdates) failing is one warning and a clean stop. Only a rejected token or a
webhook that cannot be set stops the bot, with one sentence. Objects with fields the code does
not know (a newer Bot API) are read as usual.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path

import pytest

from bot.config import Settings
from bot.errors import ReportbotError
from bot.telegram.app import run_bot
from bot.telegram.transport import PROFILE_ENDPOINTS, RetryingRequest
from tests.botapi_stub import BotApiStub, Faults
from tests.test_telegram_bot import (
    ADMIN,
    QUESTION,
    TOKEN,
    USER,
    buttons,
    quoted,
    replies,
    run,
    running_bot,
    shown,
)

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def index_dir(corpus_index_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the corpus index (bot.db included)."""
    return Path(shutil.copytree(corpus_index_dir, tmp_path / "index"))


FAULTS = {
    "500": Faults(rate=1.0, kinds=("500",), methods=PROFILE_ENDPOINTS),
    "429": Faults(rate=1.0, kinds=("429",), methods=PROFILE_ENDPOINTS, retry_after=30),
    "timeout": Faults(rate=1.0, kinds=("timeout",), methods=PROFILE_ENDPOINTS, timeout_seconds=1.5),
}


def _problems(caplog: pytest.LogCaptureFixture) -> tuple[list[str], list[str]]:
    """(warnings, errors) logged, as their messages."""
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    errors = [r.getMessage() for r in caplog.records if r.levelno > logging.WARNING]
    return warnings, errors


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_profile_failures_are_one_warning_and_the_bot_answers(
    index_dir: Path, caplog: pytest.LogCaptureFixture, fault: str
) -> None:
    caplog.set_level(logging.INFO)

    def profile_warnings() -> list[str]:
        return [w for w in _problems(caplog)[0] if "profile" in w]

    async def scenario(stub: BotApiStub) -> None:
        stub.push_message(QUESTION)
        await replies(stub, USER, 1)
        await stub.until(profile_warnings, timeout=20)
        await asyncio.sleep(0.2)

    # A short read timeout, so that "no answer in time" takes 1 s here, not the bot's 10 s.
    request = RetryingRequest(attempts=2, backoff=0.01, read_timeout=1.0)
    stub = run(index_dir, scenario, faults=FAULTS[fault], request=request)
    (answer,) = stub.messages(USER)
    assert quoted(answer)  # the question was answered while the profile failed
    failed = {method for method, _ in stub.faults_injected}
    assert failed == PROFILE_ENDPOINTS  # every profile call was tried, and failed
    assert stub.commands == [] and stub.profile == {}
    warnings, errors = _problems(caplog)
    (warning,) = profile_warnings()
    assert "command menu (en)" in warning and "short description (es)" in warning
    assert f"admin command menu for {ADMIN}" in warning
    assert errors == [] and len(warnings) == 1, (warnings, errors)
    assert TOKEN not in caplog.text


def test_removing_the_webhook_before_polling_is_retried_until_it_works(
    index_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    faults = Faults(rate=1.0, kinds=("500",), methods=frozenset({"deleteWebhook"}), count=3)

    async def scenario(stub: BotApiStub) -> None:
        stub.push_message(QUESTION)
        await replies(stub, USER, 1)

    stub = run(index_dir, scenario, faults=faults, request=RetryingRequest(attempts=2))
    assert [kind for _, kind in stub.faults_injected] == ["500"] * 3
    assert len(stub.method_calls("deleteWebhook")) == 1  # carried out once, when it worked
    assert quoted(stub.messages(USER)[0])
    assert _problems(caplog)[1] == []


@pytest.mark.parametrize("fault", ["500", "429", "timeout"])
def test_a_failing_last_getupdates_at_shutdown_is_one_warning_and_a_clean_stop(
    index_dir: Path, caplog: pytest.LogCaptureFixture, fault: str
) -> None:
    caplog.set_level(logging.INFO)

    async def scenario(stub: BotApiStub) -> None:
        stub.push_message(QUESTION)
        await replies(stub, USER, 1)
        # From now on every getUpdates fails, the one at shutdown included.
        stub.faults = Faults(
            rate=1.0,
            kinds=(fault,),
            methods=frozenset({"getUpdates"}),
            retry_after=1,
            timeout_seconds=1.5,
        )

    polling = RetryingRequest(attempts=1, read_timeout=1.0)
    with BotApiStub(TOKEN) as stub:

        async def main() -> None:
            async with running_bot(stub, index_dir, get_updates_request=polling):
                await scenario(stub)

        asyncio.run(main())
    assert stub.rejections == []
    warnings, errors = _problems(caplog)
    assert errors == [], errors
    shutdown = [w for w in warnings if "did not confirm the last updates at shutdown" in w]
    assert len(shutdown) == 1, warnings


def test_objects_with_fields_the_code_does_not_know_are_read_as_usual(
    index_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    with BotApiStub(TOKEN, extra_fields=True) as stub:

        async def main() -> None:
            async with running_bot(stub, index_dir):
                stub.push_message(QUESTION)
                (answer,) = await replies(stub, USER, 1)
                stub.push_callback(answer, buttons(answer)["📄 Source 1"])
                await replies(stub, USER, 2)
                stub.push_message("/sources")
                await replies(stub, USER, 3)
                await stub.until(lambda: len(stub.profile) == 4)

        asyncio.run(main())
    assert stub.rejections == []
    answer, source, listing = stub.messages(USER)
    assert quoted(answer) and "Publisher:" in shown(source) and "2 documents" in shown(listing)
    assert _problems(caplog) == ([], [])


def test_a_webhook_telegram_will_not_set_stops_the_bot_with_one_sentence(
    index_dir: Path,
) -> None:
    with BotApiStub(TOKEN) as stub:
        settings = Settings(
            telegram_bot_token=TOKEN,
            telegram_api_base_url=stub.url,
            index_dir=index_dir,
            model="hash",
            telegram_webhook_url="http://bot.example.org/hook",  # Telegram wants https
            webhook_listen="127.0.0.1",
            webhook_port=0,
        )
        with pytest.raises(ReportbotError) as raised:
            run_bot(settings)
    message = str(raised.value)
    assert "would not set the webhook http://bot.example.org/hook" in message
    assert "https url must be provided" in message.lower() and "\n" not in message
    assert TOKEN not in message and raised.value.__cause__ is None
